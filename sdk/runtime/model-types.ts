/** Description of a model in the pack: written by models/, read by the sdk at run time. */

export type ModelRole = 'detector-pnet' | 'detector-rnet' | 'detector-onet' | 'detector-rfb' | 'landmarks68' | 'embedder' | 'liveness';
export type GraphOptLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface Preprocess {
  /** Network input size as [width, height]; null for fully dynamic (P-Net). */
  size: [number, number] | null;
  /** pixel' = (pixel - mean) * scale, per channel in `colour` order. */
  mean: number;
  scale: number;
  colour: 'RGB' | 'BGR' | 'GREY';
  layout: 'NHWC' | 'NCHW';
  /** MTCNN nets (facenet TF port) expect the image transposed: x-major. */
  transposed?: boolean;
}

export interface ModelSpec {
  id: string;
  role: ModelRole;
  source: string; // key of models/sources.ts
  path: string;
  format: 'onnx' | 'tflite';
  preprocess: Preprocess;
  /** Output names in the order the SDK reads them, with meaning. */
  outputs: Record<string, string>;
  /** Embedding dimension (embedders only). */
  dim?: number;
  /** Fastest ORT graph optimisation level measured for this model on CPU. */
  optLevel: GraphOptLevel;
  /** Make these input dims dynamic when converting/patching (e.g. batch, H, W). */
  dynamicInput?: ('batch' | 'height' | 'width')[];
}

/** Numeric precision of a model file: the converted float model or a variant built from it. */
export type Precision = 'fp32' | 'int8' | 'fp16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8', 'fp16'];
/** 'auto': fp16 when a GPU execution provider is used, int8 on CPU. */
export type PrecisionSetting = Precision | 'auto';

/** How an int8 variant's activation ranges were measured (recorded so a build is reproducible). */
export interface VariantCalibration {
  method: 'minmax' | 'percentile' | 'entropy';
  /** percentile: share of samples kept per tail. */
  percentile?: number;
  /** Where the images came from: 'faceapi-demo' (always available) or 'dir:<path>'. */
  source: string;
  images: number;
  /** Face detections across the images (each yields embedder inputs). */
  faces: number;
  /** sha256 over the calibration images' bytes, in order. */
  dataHash: string;
}

/** A lower-precision build of a pack model (file in the same directory). */
export interface PackVariant {
  file: string;
  sha256: string;
  bytes: number;
  /** Fastest ORT graph optimisation level measured for this variant on CPU (else the entry's). */
  optLevel?: GraphOptLevel;
  calibration?: VariantCalibration;
  /** false: precision 'auto' keeps fp32 for this model (this build measured no faster on CPU). */
  auto?: boolean;
  /** Build parameters (e.g. reduceRange, prelu handling, I/O type). */
  params?: Record<string, string | number | boolean>;
}

/** One model as recorded in the built pack's manifest.json. */
export interface PackEntry extends ModelSpec {
  file: string; // file name inside the pack directory
  sourceSpec: string; // package@version
  sourceSha256: string;
  sha256: string; // of the built .onnx
  bytes: number;
  inputs: { name: string; shape: (number | string)[] }[];
  outputNames: string[];
  license: string;
  /** Lower-precision builds; absent ones fall back to this (fp32) file. */
  variants?: Partial<Record<Exclude<Precision, 'fp32'>, PackVariant>>;
}

export interface PackManifest {
  version: 1;
  builtAt: string;
  models: PackEntry[];
}
