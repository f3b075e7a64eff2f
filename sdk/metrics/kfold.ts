/**
 * LFW-protocol verification accuracy: for each fold, the threshold that maximises accuracy on the
 * other folds is applied to the held-out fold; report the mean and (population) std over folds.
 */
import { FaceGateError } from '../errors.ts';

export interface AccuracyThreshold {
  threshold: number;
  accuracy: number;
}

/** Pair indices ordered by distance (one sort; folds reuse it). */
export function orderByDistance(distances: ArrayLike<number>, indices?: ArrayLike<number>): Uint32Array {
  const idx = indices ? Uint32Array.from(indices) : Uint32Array.from({ length: distances.length }, (_, i) => i);
  const d = Float64Array.from(distances);
  return idx.sort((a, b) => d[a] - d[b]);
}

/**
 * Sweeps `order` (ascending distance), skipping pairs whose fold is `skipFold`, and returns the
 * threshold with the highest accuracy on the pairs kept. Candidates sit between consecutive
 * distinct distances; among equally good candidates the middle one is taken, so the choice does
 * not lean to either edge of a plateau.
 */
function sweepBest(distances: ArrayLike<number>, same: ArrayLike<number>, order: Uint32Array, folds: ArrayLike<number> | null, skipFold: number): AccuracyThreshold {
  // Distances, labels and inclusion laid out in sweep order once: the loops below touch only typed arrays.
  const len = order.length;
  const d = new Float64Array(len);
  const g = new Int8Array(len);
  let n = 0;
  let correct = 0;
  for (let k = 0; k < len; k++) {
    const i = order[k];
    if (folds && folds[i] === skipFold) continue;
    d[n] = distances[i];
    g[n] = same[i] ? 1 : -1;
    if (!same[i]) correct++; // threshold below all: every pair rejected
    n++;
  }
  if (n === 0) throw new FaceGateError('FG_CALIBRATION', 'no pairs to choose a threshold from');
  const candT = new Float64Array(n + 1);
  const candC = new Int32Array(n + 1);
  let m = 0;
  candT[m] = d[0] - 1;
  candC[m++] = correct;
  let k = 0;
  while (k < n) {
    const v = d[k];
    while (k < n && d[k] === v) correct += g[k++];
    candT[m] = k < n ? (v + d[k]) / 2 : v + 1;
    candC[m++] = correct;
  }
  let best = -1;
  let nBest = 0;
  for (let c = 0; c < m; c++) {
    if (candC[c] > best) { best = candC[c]; nBest = 1; } else if (candC[c] === best) nBest++;
  }
  const want = (nBest - 1) >> 1;
  let seen = 0;
  let pick = 0;
  for (let c = 0; c < m; c++) {
    if (candC[c] === best && seen++ === want) { pick = c; break; }
  }
  return { threshold: candT[pick], accuracy: best / n };
}

/** Threshold with the highest accuracy on the given pairs (same[i] = 1 genuine, 0 impostor). */
export function bestAccuracyThreshold(distances: ArrayLike<number>, same: ArrayLike<number>, indices?: ArrayLike<number>): AccuracyThreshold {
  return sweepBest(distances, same, orderByDistance(distances, indices), null, 0);
}

export function accuracyAt(distances: ArrayLike<number>, same: ArrayLike<number>, threshold: number, indices: ArrayLike<number>): number {
  let ok = 0;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if ((distances[i] <= threshold) === Boolean(same[i])) ok++;
  }
  return ok / indices.length;
}

export interface FoldResult {
  fold: number;
  threshold: number;
  accuracy: number;
  pairs: number;
}

export interface KFoldAccuracy {
  mean: number;
  /** Population standard deviation over folds (as LFW results are usually quoted). */
  std: number;
  folds: FoldResult[];
}

export function kFoldAccuracy(distances: ArrayLike<number>, same: ArrayLike<number>, folds: ArrayLike<number>): KFoldAccuracy {
  if (distances.length !== same.length || distances.length !== folds.length) {
    throw new FaceGateError('FG_CALIBRATION', 'distances, labels and folds differ in length');
  }
  const ids = [...new Set(Array.from(folds))].sort((a, b) => a - b);
  if (ids.length < 2) throw new FaceGateError('FG_CALIBRATION', `k-fold accuracy needs at least 2 folds, got ${ids.length}`);
  const order = orderByDistance(distances);
  const results: FoldResult[] = [];
  for (const f of ids) {
    const { threshold } = sweepBest(distances, same, order, folds, f);
    const test: number[] = [];
    for (let i = 0; i < folds.length; i++) if (folds[i] === f) test.push(i);
    results.push({ fold: f, threshold, accuracy: accuracyAt(distances, same, threshold, test), pairs: test.length });
  }
  const mean = results.reduce((s, r) => s + r.accuracy, 0) / results.length;
  const std = Math.sqrt(results.reduce((s, r) => s + (r.accuracy - mean) ** 2, 0) / results.length);
  return { mean, std, folds: results };
}

/**
 * Splits pairs into k blocks keeping each block balanced: the genuine pairs in file order are cut
 * into k equal runs, and so are the impostor pairs (LFW's 10 sets of 300+300; on lfw-dev's 1,800
 * pairs, 10 blocks of 90+90). Returns a fold number 1..k per pair.
 */
export function blockFolds(same: ArrayLike<number>, k = 10): Int32Array {
  let nG = 0;
  for (let i = 0; i < same.length; i++) if (same[i]) nG++;
  const nI = same.length - nG;
  if (nG < k || nI < k) throw new FaceGateError('FG_CALIBRATION', `${k} blocks need at least ${k} genuine and ${k} impostor pairs (have ${nG}, ${nI})`);
  const out = new Int32Array(same.length);
  let g = 0;
  let m = 0;
  for (let i = 0; i < same.length; i++) {
    out[i] = same[i] ? 1 + Math.floor((g++ * k) / nG) : 1 + Math.floor((m++ * k) / nI);
  }
  return out;
}
