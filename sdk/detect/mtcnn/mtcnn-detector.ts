import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../../errors.ts';
import { MipChain } from '../../image/resample.ts';
import { tensorDims, tensorTarget } from '../../image/tensor-target.ts';
import { inputName, outputName } from '../../runtime/model-io.ts';
import type { LoadedModel, ModelPack } from '../../runtime/pack.ts';
import type { ExecutionProvider } from '../../runtime/session.ts';
import type { Logger } from '../../logger.ts';
import type { Box, DetectedFace, Detector, Frame } from '../../types.ts';
import { nms, pyramidScales, regressBox, squareBox, type ScoredBox } from '../box-math.ts';
import { aroundWindows, onetFaces, refineBoxes } from './onet-refine.ts';
import { pnetCandidates, type PnetCandidate } from './pnet-decode.ts';

export interface MtcnnOptions {
  /** Smallest face to find, px (default 20; a door camera can use 80 and run far faster). */
  minFaceSize?: number;
  /**
   * Largest face to find, px (default: no limit). Pyramid levels for larger faces are skipped; a
   * face up to 1/factor (1.41x) larger than this may still be found.
   */
  maxFaceSize?: number;
  /** P-Net, R-Net, O-Net score thresholds (default 0.6, 0.7, 0.7 as in the paper). */
  thresholds?: [number, number, number];
  /** Pyramid scale step (default 0.709 = 1/sqrt(2)). */
  factor?: number;
  /**
   * IoU above which overlapping windows are merged across pyramid scales and after R-Net
   * (default 0.7, the reference implementation's). Lower merges more windows of one face, so fewer
   * reach R-Net and O-Net, the costly stages.
   */
  mergeOverlap?: number;
  providers?: ExecutionProvider[];
  logger?: Logger;
}

/** Per-call overrides, e.g. lower thresholds for a fallback pass. */
export type MtcnnDetectOptions = Pick<MtcnnOptions, 'minFaceSize' | 'thresholds'>;

/** What the last detect() call spent where, for benchmarks and profiling. */
export interface MtcnnStats {
  scales: number;
  /** Of pnetMs: building the pyramid (area resampling into P-Net tensors). */
  pyramidMs: number;
  pnetMs: number;
  rnetMs: number;
  onetMs: number;
  pnetBoxes: number;
  rnetBoxes: number;
  onetBoxes: number;
}


export const MTCNN_DEFAULT_THRESHOLDS: [number, number, number] = [0.6, 0.7, 0.7];
// NMS overlaps of the reference implementation: within a scale; across scales and after R-Net
// (mergeOverlap's default); O-Net's is in onet-refine.ts.
const NMS_SCALE = 0.5;
const NMS_MERGE = 0.7;


/**
 * Multi-task cascaded CNN face detector (Zhang et al. 2016): P-Net on an image pyramid proposes
 * windows, R-Net and O-Net refine them (one batched run each) and O-Net adds 5 landmarks.
 */
export class MtcnnDetector implements Detector {
  readonly id = 'mtcnn';
  readonly minFaceSize: number;
  readonly maxFaceSize: number;
  readonly thresholds: [number, number, number];
  readonly factor: number;
  readonly mergeOverlap: number;
  lastStats: MtcnnStats | null = null;
  readonly #pnet: LoadedModel;
  readonly #rnet: LoadedModel;
  readonly #onet: LoadedModel;

  private constructor(pnet: LoadedModel, rnet: LoadedModel, onet: LoadedModel, opts: MtcnnOptions) {
    this.#pnet = pnet;
    this.#rnet = rnet;
    this.#onet = onet;
    this.minFaceSize = opts.minFaceSize ?? 20;
    this.maxFaceSize = opts.maxFaceSize ?? Infinity;
    this.thresholds = opts.thresholds ?? MTCNN_DEFAULT_THRESHOLDS;
    this.factor = opts.factor ?? 0.709;
    this.mergeOverlap = opts.mergeOverlap ?? NMS_MERGE;
    validate(this.minFaceSize, this.thresholds, this.factor, this.maxFaceSize, this.mergeOverlap);
  }

  static async create(pack: ModelPack, opts: MtcnnOptions = {}): Promise<MtcnnDetector> {
    validate(opts.minFaceSize ?? 20, opts.thresholds ?? MTCNN_DEFAULT_THRESHOLDS, opts.factor ?? 0.709, opts.maxFaceSize, opts.mergeOverlap);
    const load = { providers: opts.providers, logger: opts.logger };
    const nets = await Promise.all(['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet'].map((id) => pack.load(id, load)));
    for (const [net, key] of [[nets[0], 'prob'], [nets[0], 'reg'], [nets[1], 'prob'], [nets[1], 'reg'], [nets[2], 'prob'], [nets[2], 'reg'], [nets[2], 'landmarks']] as const) {
      outputName(net.entry, key); // fail now, not on the first frame, when the manifest lacks an output
    }
    return new MtcnnDetector(nets[0], nets[1], nets[2], opts);
  }

  async detect(frame: Frame, override: MtcnnDetectOptions = {}): Promise<DetectedFace[]> {
    const minFace = override.minFaceSize ?? this.minFaceSize;
    const [t1, t2, t3] = override.thresholds ?? this.thresholds;
    if (override.minFaceSize !== undefined || override.thresholds) validate(minFace, [t1, t2, t3], this.factor);
    const mips = new MipChain(frame);
    const stats: MtcnnStats = { scales: 0, pyramidMs: 0, pnetMs: 0, rnetMs: 0, onetMs: 0, pnetBoxes: 0, rnetBoxes: 0, onetBoxes: 0 };
    this.lastStats = stats;

    let t = performance.now();
    const proposals = await this.#proposals(frame, mips, minFace, t1, stats);
    stats.pnetBoxes = proposals.length;
    stats.pnetMs = performance.now() - t;
    if (!proposals.length) return [];

    t = performance.now();
    const rnet = await refineBoxes(this.#rnet, mips, proposals, t2, ['prob', 'reg']);
    const keep = nms(rnet.boxes, this.mergeOverlap, 'union');
    const refined = keep.map((i) => {
      const b = rnet.boxes[i];
      const r = rnet.outputs[1];
      return squareBox(regressBox(b, r[4 * b.row], r[4 * b.row + 1], r[4 * b.row + 2], r[4 * b.row + 3]));
    });
    stats.rnetBoxes = refined.length;
    stats.rnetMs = performance.now() - t;
    if (!refined.length) return [];

    t = performance.now();
    const faces = await onetFaces(this.#onet, mips, refined, t3);
    stats.onetBoxes = faces.length;
    stats.onetMs = performance.now() - t;
    return faces;
  }

  /**
   * Re-finds faces near known boxes (the live tracks of a video) without the pyramid: O-Net alone
   * on a few windows around each hint, as its regression and score already do for R-Net's boxes.
   * A face that left its hint's windows is not found: the caller runs detect() on the whole frame
   * for that (and for faces that are new).
   */
  async detectAround(frame: Frame, hints: readonly Box[], override: Pick<MtcnnDetectOptions, 'thresholds'> = {}): Promise<DetectedFace[]> {
    const t3 = (override.thresholds ?? this.thresholds)[2];
    const stats: MtcnnStats = { scales: 0, pyramidMs: 0, pnetMs: 0, rnetMs: 0, onetMs: 0, pnetBoxes: 0, rnetBoxes: 0, onetBoxes: 0 };
    this.lastStats = stats;
    if (!hints.length) return [];
    const t = performance.now();
    const windows = aroundWindows(hints);
    stats.rnetBoxes = windows.length;
    const faces = await onetFaces(this.#onet, new MipChain(frame), windows, t3);
    stats.onetBoxes = faces.length;
    stats.onetMs = performance.now() - t;
    return faces;
  }

  /** P-Net over the pyramid; NMS per scale and across scales; regression; squaring. */
  async #proposals(frame: Frame, mips: MipChain, minFace: number, threshold: number, stats: MtcnnStats): Promise<ScoredBox[]> {
    const entry = this.#pnet.entry;
    const pre = entry.preprocess;
    const input = inputName(entry);
    const probName = outputName(entry, 'prob');
    const regName = outputName(entry, 'reg');
    const all: PnetCandidate[] = [];
    const scales = pyramidScales(frame.width, frame.height, minFace, this.factor, 12, Math.max(minFace, this.maxFaceSize));
    stats.scales = scales.length;
    for (const s of scales) {
      const ws = Math.ceil(frame.width * s);
      const hs = Math.ceil(frame.height * s);
      const data = new Float32Array(ws * hs * 3);
      const t0 = performance.now();
      // Sample exactly ws/s x hs/s frame px (the sliver past the edge is zero) so the scale is exact.
      mips.resampleInto({ x: 0, y: 0, w: ws / s, h: hs / s }, tensorTarget(data, pre, ws, hs));
      stats.pyramidMs += performance.now() - t0;
      const out = await this.#pnet.session.run({ [input]: new ort.Tensor('float32', data, tensorDims(pre, 1, ws, hs)) });
      const prob = out[probName];
      const reg = out[regName];
      if (!prob || !reg) throw new FaceGateError('FG_MODEL_LOAD', `mtcnn-pnet returned no "${probName}"/"${regName}" output`);
      const [, a, b] = prob.dims;
      const [mapW, mapH] = pre.transposed ? [a, b] : [b, a];
      const cands = pnetCandidates(prob.data as Float32Array, reg.data as Float32Array, mapW, mapH, s, threshold, !!pre.transposed);
      for (const i of nms(cands, NMS_SCALE, 'union')) all.push(cands[i]);
    }
    return nms(all, this.mergeOverlap, 'union').map((i) => {
      const c = all[i];
      return squareBox(regressBox({ x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2, score: c.score }, ...c.reg));
    });
  }

  async release(): Promise<void> {
    await Promise.all([this.#pnet.session.release(), this.#rnet.session.release(), this.#onet.session.release()]);
  }
}

function validate(minFace: number, thresholds: readonly number[], factor: number, maxFace = Infinity, mergeOverlap = NMS_MERGE): void {
  const problems: string[] = [];
  if (!(mergeOverlap > 0 && mergeOverlap <= 1)) problems.push(`mergeOverlap must be in (0, 1], got ${mergeOverlap}`);
  if (!(minFace >= 12)) problems.push(`minFaceSize must be >= 12 px, got ${minFace}`);
  if (!(maxFace >= minFace)) problems.push(`maxFaceSize must be >= minFaceSize (${minFace} px), got ${maxFace}`);
  if (thresholds.length !== 3 || thresholds.some((t) => !(t >= 0 && t <= 1))) {
    problems.push(`thresholds must be three numbers in [0, 1], got [${thresholds.join(', ')}]`);
  }
  if (!(factor > 0.1 && factor < 0.95)) problems.push(`factor must be in (0.1, 0.95), got ${factor}`);
  if (problems.length) throw new FaceGateError('FG_CONFIG_INVALID', `MTCNN: ${problems.join('; ')}`);
}
