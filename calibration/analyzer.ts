/**
 * What calibration needs from the face pipeline: analyse one image file, get faces with
 * embeddings, the fallback used when no face was found, and stage timings.
 */
import type { FaceAnalyzer as SdkFaceAnalyzer } from '../sdk/types.ts';
import type { PrecisionSetting } from '../sdk/runtime/model-types.ts';
import type { EmbedderId } from '../sdk/embed/onnx-embedder.ts';

/** The SDK's analyzer, plus release(): calibration owns the pipeline it creates. */
export type FaceAnalyzer = SdkFaceAnalyzer & { release(): Promise<void> };

export type { DetectorKind as DetectorName, EmbedderId as EmbedderName } from '../sdk/registry.ts';
import type { DetectorKind as DetectorName, EmbedderId as EmbedderName } from '../sdk/registry.ts';

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
export { mostCentralFace as centralFaceIndex } from '../sdk/detect/face-choice.ts';
