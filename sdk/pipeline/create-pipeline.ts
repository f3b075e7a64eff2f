import { FaceGateError } from '../errors.ts';
import { OnnxEmbedder } from '../embed/onnx-embedder.ts';
import { DEFAULT_EMBEDDER, EMBEDDER_IDS, isEmbedderId, type EmbedderId } from '../registry.ts';
import { FusedEmbedder } from '../embed/fused-embedder.ts';
import { FUSIONS } from '../embed/fusion.ts';
import { loadFrame, toSourcePixels, type LoadFrameOptions } from '../image/load-frame.ts';
import type { ImageInput } from '../image/raw-frame.ts';
import type { Logger } from '../logger.ts';
import type { ExecutionProvider } from '../runtime/session.ts';
import type { PrecisionSetting } from '../runtime/model-types.ts';
import type { AnalyzedFace, AnalyzeResult, Box, DetectedFace, Detector, Embedder, FallbackUsed, Frame } from '../types.ts';
import { centreCropFace } from './centre-crop.ts';
import { createDetector, explainMissing, openPack, type DetectorKind } from './create-detector.ts';
import { mostCentralFace } from '../detect/face-choice.ts';
import { faceQuality } from './quality.ts';

export interface PipelineConfig {
  detector?: DetectorKind;
  embedder?: EmbedderId;
  /** Flip test-time augmentation in the embedder. */
  flip?: boolean;
  packDir?: string;
  providers?: ExecutionProvider[];
  /** Model build to load: fp32, int8, fp16, or auto (int8 on CPU, fp16 on GPU). Default fp32. */
  precision?: PrecisionSetting;
  /** MTCNN smallest face, px (default 20; a door camera may use 80). */
  minFaceSize?: number;
  mtcnnThresholds?: [number, number, number];
  /** MTCNN pyramid step (default 0.709); 0.6 gives fewer, smaller P-Net levels (measured in BENCHMARKS.md, issue 20). */
  mtcnnFactor?: number;
  /** MTCNN: IoU above which windows of one face merge across scales and after R-Net (default 0.7); lower sends fewer windows to R-Net and O-Net (BENCHMARKS.md, issue 20). */
  mtcnnMergeOverlap?: number;
  /** RFB score threshold (default 0.65). */
  rfbThreshold?: number;
  /** Decoder pixel limit (default 50 MP). */
  maxPixels?: number;
  /** ORT intra-op threads per session (default 1: several sessions share a 2-core terminal). */
  threads?: number;
  /** Offer detectAround for video (track-guided detection; RFB then loads MTCNN's O-Net too). */
  trackGuided?: boolean;
  logger?: Logger;
}

export type { FallbackUsed };

export interface AnalyzeOptions {
  /**
   * When no face is found (LFW-style evaluation, one face per image assumed): take the most
   * central detection at lower thresholds, else embed a centre crop; `fallback` says which.
   */
  fallback?: boolean;
  /** Keep at most this many faces, highest detection score first. */
  maxFaces?: number;
}

/** The first half of analyze(): the decoded frame and its detections (score order). */
export interface DetectResult {
  frame: Frame;
  faces: DetectedFace[];
  timings: { decodeMs: number; detectMs: number };
}

export interface Pipeline {
  readonly detector: Detector;
  readonly embedder: Embedder;
  readonly modelId: string;
  analyze(input: ImageInput, opts?: AnalyzeOptions): Promise<AnalyzeResult & { fallback?: FallbackUsed }>;
  /** Decode + detect only (no fallback): analyze() without the embedding half. */
  detect(input: ImageInput): Promise<DetectResult>;
  /** Faces near the given boxes only (a video's live tracks); present with `trackGuided`. */
  detectAround?(frame: Frame, hints: readonly Box[]): Promise<DetectedFace[]>;
  /**
   * The embedding half of analyze(): aligns and embeds the given faces of a decoded frame and
   * measures their quality, exactly as analyze() does. Lets a caller (the device loop) embed
   * only the faces that need it.
   */
  embedFaces(frame: Frame, faces: readonly DetectedFace[]): Promise<AnalyzedFace[]>;
  /** Present for a fused embedder: its cheaper first part, for following a face (TrackingEmbedding). */
  tracking?: TrackingEmbedding;
  release(): Promise<void>;
}

/**
 * A cheaper embedding that tells whether a tracked face is still the same person (a fused
 * embedder's first part). It never decides a match: a video loop can use it on faces it has
 * already decided, and the full embedding where a decision is still to come.
 */
export interface TrackingEmbedding {
  readonly dim: number;
  embed(frame: Frame, faces: readonly DetectedFace[]): Promise<Float32Array[]>;
  /** The same embedding taken out of a full one from `embedFaces` (no model run). */
  of(embedding: Float32Array): Float32Array;
}

/** Detector + embedder from the model pack; default MTCNN + MobileFaceNet-192. */
export async function createPipeline(config: PipelineConfig = {}): Promise<Pipeline> {
  const embedderId = config.embedder ?? DEFAULT_EMBEDDER;
  if (!isEmbedderId(embedderId)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `embedder must be one of ${EMBEDDER_IDS.join(', ')}, got "${String(embedderId)}"`);
  }
  const pack = await openPack(config.packDir, { precision: config.precision, intraOpThreads: config.threads, logger: config.logger });
  const det = await createDetector(config, pack);
  let embedder: OnnxEmbedder | FusedEmbedder;
  try {
    const eo = { flip: config.flip, providers: config.providers, logger: config.logger };
    embedder = FUSIONS[embedderId] ? await FusedEmbedder.create(pack, embedderId, eo) : await OnnxEmbedder.create(pack, embedderId, eo);
  } catch (e) {
    await Promise.all([det.detector.release(), det.releaseExtras()]);
    const other = EMBEDDER_IDS.find((id) => id !== embedderId);
    throw explainMissing(e, `embedder "${embedderId}"`, `embedder: "${other}"`);
  }
  const decodeOpts: LoadFrameOptions = { maxPixels: config.maxPixels };

  async function detect(input: ImageInput): Promise<DetectResult> {
    const t0 = performance.now();
    const frame = await loadFrame(input, decodeOpts);
    const t1 = performance.now();
    const faces = await det.detector.detect(frame);
    return { frame, faces, timings: { decodeMs: t1 - t0, detectMs: performance.now() - t1 } };
  }

  async function embedFaces(frame: Frame, faces: readonly DetectedFace[]): Promise<AnalyzedFace[]> {
    const embedded = await embedder.embedFaces(frame, faces.map((f) => f.landmarks5));
    return faces.map((f, i) => ({
      ...f,
      quality: faceQuality(f.box, f.landmarks5, embedded[i].blur),
      embedding: embedded[i].embedding,
    }));
  }

  return {
    detector: det.detector,
    embedder,
    modelId: embedder.modelId,
    detect,
    embedFaces,
    ...(det.detectAround ? { detectAround: det.detectAround } : {}),
    ...(embedder instanceof FusedEmbedder ? { tracking: trackingOf(embedder) } : {}),

    async analyze(input, opts = {}) {
      const d = await detect(input);
      const { frame } = d;
      const t1 = performance.now();
      let faces: DetectedFace[] = d.faces;
      let fallback: FallbackUsed | undefined;
      if (opts.fallback) {
        fallback = 'none';
        if (!faces.length) {
          const low = await det.detectLow(frame);
          const i = mostCentralFace(low, frame.width, frame.height);
          if (i >= 0) {
            faces = [low[i]];
            fallback = 'low-threshold';
          } else {
            faces = [centreCropFace(frame.width, frame.height)];
            fallback = 'centre-crop';
          }
        }
      }
      if (opts.maxFaces !== undefined) faces = faces.slice(0, Math.max(0, opts.maxFaces));
      const t2 = performance.now();
      const analyzed = await embedFaces(frame, faces);
      const embedMs = performance.now() - t2;
      const detectMs = d.timings.detectMs + (t2 - t1);
      // Callers get boxes in the pixels of the image they passed, even when it was decoded shrunk;
      // quality stays as measured on the decoded frame, the pixels the embedder saw.
      const size = frame.source ?? frame;
      return {
        width: size.width,
        height: size.height,
        faces: frame.source ? analyzed.map((f) => toSourcePixels(f, frame)) : analyzed,
        timings: { decodeMs: d.timings.decodeMs, detectMs, embedMs, totalMs: d.timings.decodeMs + detectMs + embedMs },
        ...(fallback ? { fallback } : {}),
      };
    },

    async release() {
      await Promise.all([det.detector.release(), det.releaseExtras(), embedder.release()]);
    },
  };
}

function trackingOf(embedder: FusedEmbedder): TrackingEmbedding {
  return {
    dim: embedder.firstPartDim,
    embed: (frame, faces) => embedder.embedFirstPart(frame, faces.map((f) => f.landmarks5)),
    of: (embedding) => embedder.firstPartOf(embedding),
  };
}
