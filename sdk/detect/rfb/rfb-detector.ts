import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../../errors.ts';
import { MipChain } from '../../image/resample.ts';
import { tensorDims, tensorTarget } from '../../image/tensor-target.ts';
import type { Logger } from '../../logger.ts';
import { inputName, outputName, runBatched } from '../../runtime/model-io.ts';
import type { LoadedModel, ModelPack } from '../../runtime/pack.ts';
import type { ExecutionProvider } from '../../runtime/session.ts';
import type { DetectedFace, Detector, Frame } from '../../types.ts';
import { nms, type ScoredBox } from '../box-math.ts';
import { landmarkCropRect, reduce68To5 } from './landmarks68.ts';

export interface RfbOptions {
  /** Face score threshold (default 0.65). */
  scoreThreshold?: number;
  /** IoU above which the lower-scored box is dropped (default 0.4). */
  nmsThreshold?: number;
  /** Candidates kept before NMS (default 750). */
  topK?: number;
  providers?: ExecutionProvider[];
  logger?: Logger;
}

export type RfbDetectOptions = Pick<RfbOptions, 'scoreThreshold'>;

export interface RfbStats {
  detectMs: number;
  landmarksMs: number;
  boxes: number;
}

/**
 * RFB-320 single-shot detector (whole frame stretched to 320x240; its boxes come out decoded,
 * normalised x1,y1,x2,y2) + a 68-point landmark net on a grey 64x64 crop of each box, reduced to
 * the 5 points the aligner needs.
 */
export class RfbDetector implements Detector {
  readonly id = 'rfb';
  readonly scoreThreshold: number;
  readonly nmsThreshold: number;
  readonly topK: number;
  lastStats: RfbStats | null = null;
  readonly #det: LoadedModel;
  readonly #lm: LoadedModel;

  private constructor(det: LoadedModel, lm: LoadedModel, opts: RfbOptions) {
    this.#det = det;
    this.#lm = lm;
    this.scoreThreshold = opts.scoreThreshold ?? 0.65;
    this.nmsThreshold = opts.nmsThreshold ?? 0.4;
    this.topK = opts.topK ?? 750;
  }

  static async create(pack: ModelPack, opts: RfbOptions = {}): Promise<RfbDetector> {
    for (const [k, v] of [['scoreThreshold', opts.scoreThreshold], ['nmsThreshold', opts.nmsThreshold]] as const) {
      if (v !== undefined && !(v >= 0 && v <= 1)) throw new FaceGateError('FG_CONFIG_INVALID', `RFB: ${k} must be in [0, 1], got ${v}`);
    }
    const load = { providers: opts.providers, logger: opts.logger };
    const [det, lm] = await Promise.all([pack.load('rfb-320', load), pack.load('landmark-68', load)]);
    outputName(det.entry, 'scores');
    outputName(det.entry, 'boxes');
    outputName(lm.entry, 'landmarks');
    return new RfbDetector(det, lm, opts);
  }

  async detect(frame: Frame, override: RfbDetectOptions = {}): Promise<DetectedFace[]> {
    const threshold = override.scoreThreshold ?? this.scoreThreshold;
    const { width: W, height: H } = frame;
    const mips = new MipChain(frame);
    let t = performance.now();
    const entry = this.#det.entry;
    const pre = entry.preprocess;
    const [iw, ih] = pre.size ?? [320, 240];
    const data = new Float32Array(iw * ih * 3);
    mips.resampleInto({ x: 0, y: 0, w: W, h: H }, tensorTarget(data, pre, iw, ih));
    const out = await this.#det.session.run({ [inputName(entry)]: new ort.Tensor('float32', data, tensorDims(pre, 1, iw, ih)) });
    const scores = out[outputName(entry, 'scores')]?.data as Float32Array | undefined;
    const boxes = out[outputName(entry, 'boxes')]?.data as Float32Array | undefined;
    if (!scores || !boxes) throw new FaceGateError('FG_MODEL_LOAD', 'rfb-320 returned no scores/boxes output');

    let cands: ScoredBox[] = [];
    for (let i = 0, n = scores.length / 2; i < n; i++) {
      const score = scores[2 * i + 1];
      if (score < threshold) continue;
      cands.push({ x1: boxes[4 * i] * W, y1: boxes[4 * i + 1] * H, x2: boxes[4 * i + 2] * W, y2: boxes[4 * i + 3] * H, score });
    }
    if (cands.length > this.topK) cands = cands.sort((a, b) => b.score - a.score).slice(0, this.topK);
    const kept = nms(cands, this.nmsThreshold, 'union').map((i) => cands[i]).filter((b) => b.x2 > b.x1 && b.y2 > b.y1);
    const detectMs = performance.now() - t;

    t = performance.now();
    const lmEntry = this.#lm.entry;
    const lpre = lmEntry.preprocess;
    const [lw, lh] = lpre.size ?? [64, 64];
    const rects = kept.map((b) => landmarkCropRect({ x: b.x1, y: b.y1, w: b.x2 - b.x1, h: b.y2 - b.y1 }, W, H));
    const [pts] = kept.length
      ? await runBatched(this.#lm, kept.length, tensorDims(lpre, 1, lw, lh).slice(1), (buf, from, n) => {
        for (let k = 0; k < n; k++) mips.resampleInto(rects[from + k], tensorTarget(buf, lpre, lw, lh, k));
      }, ['landmarks'])
      : [new Float32Array(0)];
    const faces: DetectedFace[] = kept.map((b, k) => {
      const r = rects[k];
      // Points come as fractions of the crop; map them back to frame pixels.
      const abs = new Float32Array(136);
      for (let j = 0; j < 68; j++) {
        abs[2 * j] = r.x + pts[136 * k + 2 * j] * r.w;
        abs[2 * j + 1] = r.y + pts[136 * k + 2 * j + 1] * r.h;
      }
      return { box: { x: b.x1, y: b.y1, w: b.x2 - b.x1, h: b.y2 - b.y1 }, score: b.score, landmarks5: reduce68To5(abs) };
    });
    this.lastStats = { detectMs, landmarksMs: performance.now() - t, boxes: faces.length };
    return faces.sort((a, b) => b.score - a.score);
  }

  async release(): Promise<void> {
    await Promise.all([this.#det.session.release(), this.#lm.session.release()]);
  }
}
