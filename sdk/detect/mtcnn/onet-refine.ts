import { FaceGateError } from '../../errors.ts';
import { MipChain } from '../../image/resample.ts';
import { tensorDims, tensorTarget } from '../../image/tensor-target.ts';
import type { Preprocess } from '../../runtime/model-types.ts';
import { runBatched } from '../../runtime/model-io.ts';
import type { LoadedModel } from '../../runtime/pack.ts';
import type { Box, DetectedFace, Frame, Landmarks5 } from '../../types.ts';
import { boxToCorners, cornersToBox, nms, regressBox, scaleBox, squareBox, type ScoredBox } from '../box-math.ts';

/**
 * MTCNN's refinement stages as functions of a loaded net: R-Net/O-Net over crops of given boxes,
 * and O-Net's final faces. MtcnnDetector runs them after P-Net; any detector can run O-Net alone
 * around known boxes (track-guided detection), which is what aroundWindows() prepares.
 */

/** NMS overlap after O-Net (intersection over the smaller box), as in the reference implementation. */
const NMS_ONET = 0.7;

/**
 * O-Net windows tried around each hint of a track-guided pass: the hint squared, and grown by this
 * factor about its centre, so a face that moved or grew since the hint still lies inside one.
 */
export const AROUND_GROWTH = 1.3;

export interface Scored extends ScoredBox {
  /** Row of this box in the last net's outputs. */
  row: number;
}

/** The O-Net windows for hints (two per hint: squared, and squared and grown). */
export function aroundWindows(hints: readonly Box[]): ScoredBox[] {
  return hints.flatMap((h) => {
    const sq = squareBox({ ...boxToCorners(h), score: 1 });
    return [sq, scaleBox(sq, AROUND_GROWTH)];
  });
}

/** One batched run of R-Net or O-Net over zero-padded crops of `boxes`; keeps scores > threshold. */
export async function refineBoxes(net: LoadedModel, mips: MipChain, boxes: readonly ScoredBox[], threshold: number, keys: string[]): Promise<{ boxes: Scored[]; outputs: Float32Array[] }> {
  const pre: Preprocess = net.entry.preprocess;
  const [w, h] = pre.size ?? [0, 0];
  if (!w || !h) throw new FaceGateError('FG_MODEL_LOAD', `${net.entry.id}: manifest gives no input size`);
  const outputs = await runBatched(net, boxes.length, tensorDims(pre, 1, w, h).slice(1), (data, from, n) => {
    for (let k = 0; k < n; k++) mips.resampleInto(cornersToBox(boxes[from + k]), tensorTarget(data, pre, w, h, k));
  }, keys);
  const prob = outputs[0];
  const kept: Scored[] = [];
  boxes.forEach((b, row) => {
    const score = prob[2 * row + 1];
    if (score > threshold) kept.push({ x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, score, row });
  });
  return { boxes: kept, outputs };
}

/** O-Net on `boxes`: score threshold, regression, landmarks, final NMS; highest score first. */
export async function onetFaces(onet: LoadedModel, mips: MipChain, boxes: readonly ScoredBox[], threshold: number): Promise<DetectedFace[]> {
  if (!boxes.length) return [];
  const out = await refineBoxes(onet, mips, boxes, threshold, ['prob', 'reg', 'landmarks']);
  const [, reg, lms] = out.outputs;
  const faces = out.boxes.map((b) => {
    const w = b.x2 - b.x1;
    const h = b.y2 - b.y1;
    const l = 10 * b.row;
    // Landmarks are relative to the box O-Net saw: x = left + l[j] * w, y = top + l[j + 5] * h.
    const landmarks5 = [0, 1, 2, 3, 4].map((j) => [b.x1 + lms[l + j] * w, b.y1 + lms[l + j + 5] * h]) as Landmarks5;
    const r = 4 * b.row;
    return { ...regressBox(b, reg[r], reg[r + 1], reg[r + 2], reg[r + 3]), landmarks5 };
  });
  return nms(faces, NMS_ONET, 'min')
    .map((i) => ({ box: cornersToBox(faces[i]), score: faces[i].score, landmarks5: faces[i].landmarks5 }))
    .sort((a, b) => b.score - a.score);
}

/**
 * O-Net alone, for a detector without a cheap pass of its own (RFB): re-finds faces around hints
 * (the live tracks) with MTCNN's output net, its 0.7 threshold and its 5 landmarks.
 */
export class OnetAround {
  readonly #onet: LoadedModel;
  readonly threshold: number;

  constructor(onet: LoadedModel, threshold = 0.7) {
    this.#onet = onet;
    this.threshold = threshold;
  }

  async detectAround(frame: Frame, hints: readonly Box[]): Promise<DetectedFace[]> {
    return hints.length ? onetFaces(this.#onet, new MipChain(frame), aroundWindows(hints), this.threshold) : [];
  }

  async release(): Promise<void> {
    await this.#onet.session.release();
  }
}
