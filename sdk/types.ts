/**
 * Types that cross stage boundaries: frame -> detect -> align -> embed -> match -> decide.
 * Each stage folder implements one of the interfaces below; config picks the implementation.
 */

/** Decoded image or camera frame: tightly packed 8-bit RGB, row-major. */
export interface Frame {
  data: Uint8Array; // length = width * height * 3, RGB
  width: number;
  height: number;
  /**
   * Set when a large image was decoded shrunk (loadFrame's working size): its encoded size, after
   * EXIF orientation. Boxes and landmarks of this frame times source/frame size are source px.
   */
  source?: { width: number; height: number };
}

/** Axis-aligned box in pixels of the frame: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Five points in frame pixels: left eye, right eye (as seen in the image), nose, left and right mouth corner. */
export type Landmarks5 = [[number, number], [number, number], [number, number], [number, number], [number, number]];

export interface DetectedFace {
  box: Box;
  score: number;
  landmarks5: Landmarks5;
}

export interface Detector {
  readonly id: string;
  detect(frame: Frame): Promise<DetectedFace[]>;
  release(): Promise<void>;
}

export interface Embedder {
  /** Model id recorded with every template, so a gallery never mixes embedding spaces. */
  readonly modelId: string;
  readonly dim: number;
  /** Embeds faces of a frame (aligned internally from their landmarks); rows are L2-normalised. */
  embed(frame: Frame, faces: readonly Landmarks5[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export interface FaceQuality {
  /** max(box w, h) in px. */
  sizePx: number;
  interEyePx: number;
  /** Variance of the Laplacian of the aligned grey face: low = blurred. */
  blur: number;
}

export interface AnalyzedFace extends DetectedFace {
  quality: FaceQuality;
  embedding: Float32Array;
}

export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  embedMs: number; // align + embed
  totalMs: number;
}

export interface AnalyzeResult {
  width: number;
  height: number;
  faces: AnalyzedFace[];
  timings: StageTimings;
}

/** Which no-face fallback analyze() used: none, a lower-threshold pass, or a centre crop. */
export type FallbackUsed = 'none' | 'low-threshold' | 'centre-crop';

/** One image analysed by a FaceAnalyzer: its faces with embeddings, and stage timings. */
export interface AnalyzedImage {
  width: number;
  height: number;
  faces: ReadonlyArray<DetectedFace & { embedding: Float32Array }>;
  fallback?: FallbackUsed;
  timings: StageTimings;
}

/** Anything that turns an image into embedded faces (a Pipeline is one); jobs and tools take this. */
export interface FaceAnalyzer {
  readonly modelId: string;
  analyze(input: string | Uint8Array, opts?: { fallback?: boolean }): Promise<AnalyzedImage>;
}

/** A labelled image file: whose face it holds, the name as written in the input, the resolved path. */
export interface LabeledImage {
  identity: string;
  /** As written in the input (reported back). */
  image: string;
  /** Resolved file path. */
  path: string;
}
