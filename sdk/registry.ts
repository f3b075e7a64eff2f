/**
 * The one table of face models. Each detector and embedder is a row: its name, the pack models it
 * loads, its defaults and (detectors) how to create it. The config schema's enums, the CLI's
 * choices and help text, the default 1:N thresholds and the pipeline all read these rows, so adding
 * a model is one row here. Detector code is imported when a detector is created, not when the
 * table is read, so the CLI's help and config checks do not load ONNX Runtime.
 */
import type { Logger } from './logger.ts';
import type { ModelPack } from './runtime/pack.ts';
import type { ExecutionProvider } from './runtime/session.ts';
import type { Box, DetectedFace, Detector, Frame } from './types.ts';

/** Detector settings a factory reads (a PipelineConfig carries them). */
export interface DetectorSettings {
  /** MTCNN smallest face, px (default 20). */
  minFaceSize?: number;
  mtcnnThresholds?: [number, number, number];
  /** MTCNN pyramid step (default 0.709); 0.6 gives fewer, smaller P-Net levels (measured in BENCHMARKS.md, issue 20). */
  mtcnnFactor?: number;
  /** MTCNN: IoU above which windows of one face merge across scales and after R-Net (default 0.7); lower sends fewer windows to R-Net and O-Net (BENCHMARKS.md, issue 20). */
  mtcnnMergeOverlap?: number;
  /** RFB score threshold (default 0.65). */
  rfbThreshold?: number;
  providers?: ExecutionProvider[];
  /**
   * Offer detectAround (track-guided detection): MTCNN has it built in; RFB loads MTCNN's O-Net
   * for it (default false: still-image callers never need it).
   */
  trackGuided?: boolean;
  logger?: Logger;
}

/** A created detector, and the same detector at the lower thresholds of the no-face fallback. */
export interface DetectorHandle {
  detector: Detector;
  /** The same detector at lower thresholds. */
  detectLow(frame: Frame): Promise<DetectedFace[]>;
  /** Faces near the given boxes only (MTCNN's O-Net on a few windows each); with `trackGuided`. */
  detectAround?(frame: Frame, hints: readonly Box[]): Promise<DetectedFace[]>;
  /** Releases what the handle loaded beside the detector (RFB's O-Net). */
  releaseExtras(): Promise<void>;
}

/** One detector row. */
export interface DetectorSpec {
  /** Pack model ids it loads. */
  readonly models: readonly string[];
  /** One line for CLI help and docs. */
  readonly summary: string;
  /** Detector to suggest when this one's models are missing from the pack (ONNX-only ones need no converter). */
  readonly alternative?: string;
  create(pack: ModelPack, settings: DetectorSettings): Promise<DetectorHandle>;
}

/** One embedder row; its name is the pack model id it loads. */
export interface EmbedderSpec {
  /** One line for CLI help and docs. */
  readonly summary: string;
  /** Embedding dimension. */
  readonly dim: number;
  /**
   * Starting 1:N threshold (Euclidean, unit embeddings) when none is configured: the largest one
   * keeping the false-accept rate of not-enrolled people at or under 1% on lfw-dev 1:N (180
   * identities, 675 strangers), rounded down below every measured variant. Measured bounds:
   * mobilefacenet-192 (MTCNN) 0.949 1-shot, 0.945 2-shot, with flip 0.947 / 0.934;
   * fr-feature-512 + flip (MTCNN) 1.076 1-shot, 1.055 2-shot. Calibrate per site.
   */
  readonly threshold: number;
  /** Set for a fusion of two pack embedders (embed/fusion.ts): it has no pack model of its own. */
  readonly fusedFrom?: readonly [string, string];
}

/** Thresholds of the fallback pass that looks harder for a face the default pass missed. */
export const FALLBACK_MTCNN_THRESHOLDS: [number, number, number] = [0.5, 0.5, 0.5];
export const FALLBACK_RFB_THRESHOLD = 0.3;

/** The detectors, by name. */
export const DETECTORS = {
  mtcnn: {
    models: ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet'],
    summary: 'MTCNN cascade: 5 landmarks, finds small faces (minFaceSize)',
    alternative: 'rfb',
    async create(pack, s): Promise<DetectorHandle> {
      const { MtcnnDetector } = await import('./detect/mtcnn/mtcnn-detector.ts');
      const det = await MtcnnDetector.create(pack, { minFaceSize: s.minFaceSize, thresholds: s.mtcnnThresholds, factor: s.mtcnnFactor, mergeOverlap: s.mtcnnMergeOverlap, providers: s.providers, logger: s.logger });
      return {
        detector: det, detectLow: (f) => det.detect(f, { thresholds: FALLBACK_MTCNN_THRESHOLDS }),
        ...(s.trackGuided ? { detectAround: (f: Frame, hints: readonly Box[]) => det.detectAround(f, hints) } : {}),
        releaseExtras: async () => {},
      };
    },
  },
  rfb: {
    models: ['rfb-320', 'landmark-68'],
    summary: 'RFB-320 boxes + 68-point landmarks (reduced to 5)',
    async create(pack, s): Promise<DetectorHandle> {
      const { RfbDetector } = await import('./detect/rfb/rfb-detector.ts');
      const det = await RfbDetector.create(pack, { scoreThreshold: s.rfbThreshold, providers: s.providers, logger: s.logger });
      let around: import('./detect/mtcnn/onet-refine.ts').OnetAround | undefined;
      if (s.trackGuided) {
        try {
          const { OnetAround } = await import('./detect/mtcnn/onet-refine.ts');
          around = new OnetAround(await pack.load('mtcnn-onet', { providers: s.providers, logger: s.logger }));
        } catch (e) {
          await det.release();
          throw e;
        }
      }
      const aroundRef = around;
      return {
        detector: det, detectLow: (f) => det.detect(f, { scoreThreshold: FALLBACK_RFB_THRESHOLD }),
        ...(aroundRef ? { detectAround: (f: Frame, hints: readonly Box[]) => aroundRef.detectAround(f, hints) } : {}),
        releaseExtras: async () => { await aroundRef?.release(); },
      };
    },
  },
} as const satisfies Record<string, DetectorSpec>;

/** The embedders, by name (= pack model id). */
export const EMBEDDERS = {
  'mobilefacenet-192': { summary: 'MobileFaceNet, 192-d', dim: 192, threshold: 0.93 },
  'fr-feature-512': { summary: 'fr_feature ResNet, 512-d', dim: 512, threshold: 1.05 },
  // Not a pack model: both of the above, concatenated with weights (embed/fusion.ts FUSIONS). Its
  // fallback threshold is the fpir 0.001 one at ~1,200 people on lfw-dev (docs/operating-point.md).
  'fusion-mfn192-fr512': { summary: 'MobileFaceNet-192 + fr_feature-512, weighted concatenation, 704-d', dim: 704, threshold: 0.92, fusedFrom: ['mobilefacenet-192', 'fr-feature-512'] },
} as const satisfies Record<string, EmbedderSpec>;

/** A detector name. */
export type DetectorKind = keyof typeof DETECTORS;
/** An embedder name. */
export type EmbedderId = keyof typeof EMBEDDERS;

/** A list with at least one element. */
export type NonEmpty<T> = readonly [T, ...T[]];
function namesOf<K extends string>(table: Record<K, unknown>): NonEmpty<K> {
  return Object.keys(table) as [K, ...K[]];
}
/** Detector names in table order (a non-empty tuple, as zod's enum wants). */
export const DETECTOR_KINDS = namesOf(DETECTORS);
/** Embedder names in table order. */
export const EMBEDDER_IDS = namesOf(EMBEDDERS);
/** Embedders that are one pack model each (not fusions): what the pack builds and quantises. */
export const PACK_EMBEDDER_IDS: readonly EmbedderId[] = EMBEDDER_IDS.filter((id) => !(EMBEDDERS[id] as EmbedderSpec).fusedFrom);

/** The detector used when none is named. */
export const DEFAULT_DETECTOR: DetectorKind = 'mtcnn';
/** The embedder used when none is named (the SDK and the CLI's new galleries). */
export const DEFAULT_EMBEDDER: EmbedderId = 'mobilefacenet-192';
/**
 * The device's embedder when its config names none: the fusion, which keeps strangers out best at
 * site scale (docs/operating-point.md); the loop follows decided faces with its MobileFaceNet part, so
 * it costs about what MobileFaceNet does per frame (BENCHMARKS.md, "Decided faces followed").
 */
export const DEFAULT_DEVICE_EMBEDDER: EmbedderId = 'fusion-mfn192-fr512';

/** True when `name` is a detector in the table. */
export function isDetectorKind(name: unknown): name is DetectorKind {
  return typeof name === 'string' && Object.hasOwn(DETECTORS, name);
}

/** True when `name` is an embedder in the table. */
export function isEmbedderId(name: unknown): name is EmbedderId {
  return typeof name === 'string' && Object.hasOwn(EMBEDDERS, name);
}

/** CLI help for a choice flag: the names joined by " | ", with the default marked. */
export function choiceHelp(names: readonly string[], defaultName?: string): string {
  return names.join(' | ') + (defaultName ? ` (default ${defaultName})` : '');
}
