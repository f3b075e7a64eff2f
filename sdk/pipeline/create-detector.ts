import { FaceGateError, isFaceGateError } from '../errors.ts';
import { MtcnnDetector } from '../detect/mtcnn/mtcnn-detector.ts';
import { RfbDetector } from '../detect/rfb/rfb-detector.ts';
import type { Logger } from '../logger.ts';
import { ModelPack, type PackDefaults } from '../runtime/pack.ts';
import type { PrecisionSetting } from '../runtime/model-types.ts';
import type { ExecutionProvider } from '../runtime/session.ts';
import type { DetectedFace, Detector, Frame } from '../types.ts';
import { resolvePackDir } from '../runtime/pack-dir.ts';

export type DetectorKind = 'mtcnn' | 'rfb';
export const DETECTOR_KINDS: readonly DetectorKind[] = ['mtcnn', 'rfb'];

export interface DetectorConfig {
  detector?: DetectorKind;
  packDir?: string;
  /** Model build to load: fp32, int8, fp16, or auto (int8 on CPU, fp16 on GPU). Default fp32. */
  precision?: PrecisionSetting;
  providers?: ExecutionProvider[];
  /** MTCNN smallest face, px (default 20). */
  minFaceSize?: number;
  mtcnnThresholds?: [number, number, number];
  /** RFB score threshold (default 0.65). */
  rfbThreshold?: number;
  /** ORT intra-op threads per session (default 1). */
  threads?: number;
  logger?: Logger;
}

/** Thresholds of the fallback pass that looks harder for a face the default pass missed. */
export const FALLBACK_MTCNN_THRESHOLDS: [number, number, number] = [0.5, 0.5, 0.5];
export const FALLBACK_RFB_THRESHOLD = 0.3;

export interface DetectorHandle {
  detector: Detector;
  /** The same detector at lower thresholds. */
  detectLow(frame: Frame): Promise<DetectedFace[]>;
}

/** Opens the model pack (models/pack unless FACEGATE_MODELS_DIR or `dir` says otherwise). */
export async function openPack(dir?: string, defaults: PackDefaults = {}): Promise<ModelPack> {
  return ModelPack.open(resolvePackDir(dir), defaults);
}

export async function createDetector(config: DetectorConfig = {}, pack?: ModelPack): Promise<DetectorHandle> {
  const kind = config.detector ?? 'mtcnn';
  if (!DETECTOR_KINDS.includes(kind)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `detector must be one of ${DETECTOR_KINDS.join(', ')}, got "${String(kind)}"`);
  }
  const p = pack ?? (await openPack(config.packDir, { precision: config.precision, intraOpThreads: config.threads, logger: config.logger }));
  try {
    if (kind === 'mtcnn') {
      const det = await MtcnnDetector.create(p, {
        minFaceSize: config.minFaceSize, thresholds: config.mtcnnThresholds, providers: config.providers, logger: config.logger,
      });
      return { detector: det, detectLow: (f) => det.detect(f, { thresholds: FALLBACK_MTCNN_THRESHOLDS }) };
    }
    const det = await RfbDetector.create(p, { scoreThreshold: config.rfbThreshold, providers: config.providers, logger: config.logger });
    return { detector: det, detectLow: (f) => det.detect(f, { scoreThreshold: FALLBACK_RFB_THRESHOLD }) };
  } catch (e) {
    throw explainMissing(e, kind === 'mtcnn' ? 'detector "mtcnn"' : 'detector "rfb"', kind === 'mtcnn' ? 'detector: "rfb"' : null);
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
