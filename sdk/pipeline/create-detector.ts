import { FaceGateError, isFaceGateError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ModelPack, type PackDefaults } from '../runtime/pack.ts';
import { resolvePackDir } from '../runtime/pack-dir.ts';
import type { PrecisionSetting } from '../runtime/model-types.ts';
import type { ExecutionProvider } from '../runtime/session.ts';
import { DEFAULT_DETECTOR, DETECTORS, DETECTOR_KINDS, isDetectorKind, type DetectorHandle, type DetectorKind, type DetectorSpec } from '../registry.ts';

export { DETECTOR_KINDS, FALLBACK_MTCNN_THRESHOLDS, FALLBACK_RFB_THRESHOLD, type DetectorKind, type DetectorHandle } from '../registry.ts';

export interface DetectorConfig {
  detector?: DetectorKind;
  packDir?: string;
  /** Model build to load: fp32, int8, fp16, or auto (int8 on CPU, fp16 on GPU). Default fp32. */
  precision?: PrecisionSetting;
  providers?: ExecutionProvider[];
  /** MTCNN smallest face, px (default 20). */
  minFaceSize?: number;
  mtcnnThresholds?: [number, number, number];
  /** MTCNN pyramid step (default 0.709); 0.6 gives fewer, smaller P-Net levels (measured in BENCHMARKS.md, issue 20). */
  mtcnnFactor?: number;
  /** MTCNN: IoU above which windows of one face merge across scales and after R-Net (default 0.7); lower sends fewer windows to R-Net and O-Net (BENCHMARKS.md, issue 20). */
  mtcnnMergeOverlap?: number;
  /** RFB score threshold (default 0.65). */
  rfbThreshold?: number;
  /** ORT intra-op threads per session (default 1). */
  threads?: number;
  /**
   * Offer detectAround (track-guided detection): MTCNN has it built in; RFB loads MTCNN's O-Net
   * for it (default false: still-image callers never need it).
   */
  trackGuided?: boolean;
  logger?: Logger;
}

/** Opens the model pack (models/pack unless FACEGATE_MODELS_DIR or `dir` says otherwise). */
export async function openPack(dir?: string, defaults: PackDefaults = {}): Promise<ModelPack> {
  return ModelPack.open(resolvePackDir(dir), defaults);
}

/** A detector from the registry (default MTCNN), on `pack` or the pack the config names. */
export async function createDetector(config: DetectorConfig = {}, pack?: ModelPack): Promise<DetectorHandle> {
  const kind = config.detector ?? DEFAULT_DETECTOR;
  if (!isDetectorKind(kind)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `detector must be one of ${DETECTOR_KINDS.join(', ')}, got "${String(kind)}"`);
  }
  const p = pack ?? (await openPack(config.packDir, { precision: config.precision, intraOpThreads: config.threads, logger: config.logger }));
  try {
    return await DETECTORS[kind].create(p, config);
  } catch (e) {
    const spec: DetectorSpec = DETECTORS[kind];
    throw explainMissing(e, `detector "${kind}"`, spec.alternative ? `detector: "${spec.alternative}"` : null);
  }
}

/** Adds the way out to a missing-model error (build the pack, or pick another model). */
export function explainMissing(e: unknown, what: string, alternative: string | null): unknown {
  if (!isFaceGateError(e) || e.code !== 'FG_MODEL_MISSING') return e;
  const hint = alternative ? `; or configure ${alternative}` : '';
  return new FaceGateError('FG_MODEL_MISSING',
    `${what} needs a model the pack lacks: ${e.message}. Build it with \`npx facegate models build\` (TFLite models need the converter)${hint}`,
    { cause: e, details: e.details });
}
