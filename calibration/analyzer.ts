/**
 * What calibration needs from the face pipeline: analyse one image file, get faces with
 * embeddings, the fallback used when no face was found, and stage timings.
 */
import type { Box, StageTimings } from '../sdk/types.ts';
import type { PrecisionSetting } from '../sdk/runtime/model-types.ts';
import type { EmbedderId } from '../sdk/embed/onnx-embedder.ts';

export type FallbackKind = 'none' | 'low-threshold' | 'centre-crop';

export interface AnalyzedImageLike {
  width: number;
  height: number;
  faces: ReadonlyArray<{ box: Box; score: number; embedding: Float32Array }>;
  fallback?: FallbackKind;
  timings: StageTimings;
}

export interface FaceAnalyzer {
  readonly modelId: string;
  analyze(input: string | Uint8Array, opts: { fallback: boolean }): Promise<AnalyzedImageLike>;
  release(): Promise<void>;
}

export type DetectorName = 'mtcnn' | 'rfb';
/** Any registered embedder, fusions included (sdk/embed/onnx-embedder.ts EMBEDDER_IDS). */
export type EmbedderName = EmbedderId;

export interface AnalyzerConfig {
  detector: DetectorName;
  embedder: EmbedderName;
  flip: boolean;
  /** Model build (default fp32). */
  precision?: PrecisionSetting;
}

/** The pipeline, loaded lazily so the metrics and CSV parts work without the model pack. */
export async function createAnalyzer(cfg: AnalyzerConfig): Promise<FaceAnalyzer> {
  const { createPipeline } = await import('../sdk/pipeline/create-pipeline.ts');
  return createPipeline({ detector: cfg.detector, embedder: cfg.embedder, flip: cfg.flip, precision: cfg.precision });
}

/**
 * The face of an LFW-style photo: the one whose box centre is nearest the image centre (measured
 * on lfw-dev, this beat "largest face", which sometimes picked a neighbour).
 */
export function centralFaceIndex(faces: ReadonlyArray<{ box: Box }>, width: number, height: number): number {
  let best = -1;
  let bestD = Infinity;
  faces.forEach((f, i) => {
    const dx = f.box.x + f.box.w / 2 - width / 2;
    const dy = f.box.y + f.box.h / 2 - height / 2;
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
