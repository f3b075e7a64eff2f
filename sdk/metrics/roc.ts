/**
 * ROC from genuine (same person) and impostor (different people) distances. A pair is accepted
 * when distance <= threshold. One sort per list, then a merge sweep: O(n log n).
 */
import { sortedCopy, requireNonEmpty } from './sorted.ts';

export interface RocCurve {
  /** Threshold of each point; point 0 is -Infinity (nothing accepted), the last accepts everything. */
  thresholds: Float64Array;
  /** False accept rate: fraction of impostor pairs with distance <= threshold. Non-decreasing. */
  far: Float64Array;
  /** True accept rate: fraction of genuine pairs with distance <= threshold. Non-decreasing. */
  tar: Float64Array;
  genuineCount: number;
  impostorCount: number;
}

export function rocCurve(genuine: ArrayLike<number>, impostor: ArrayLike<number>): RocCurve {
  const g = sortedCopy(genuine, 'genuine');
  const m = sortedCopy(impostor, 'impostor');
  requireNonEmpty(g.length, 'genuine');
  requireNonEmpty(m.length, 'impostor');
  const cap = g.length + m.length + 1;
  const thresholds = new Float64Array(cap);
  const far = new Float64Array(cap);
  const tar = new Float64Array(cap);
  thresholds[0] = -Infinity;
  let n = 1;
  let i = 0;
  let j = 0;
  // Each distinct distance is one point; equal genuine and impostor values move together, so a
  // tie becomes a diagonal segment and the trapezoid AUC gives it half credit.
  while (i < g.length || j < m.length) {
    const v = Math.min(i < g.length ? g[i] : Infinity, j < m.length ? m[j] : Infinity);
    while (i < g.length && g[i] === v) i++;
    while (j < m.length && m[j] === v) j++;
    thresholds[n] = v;
    far[n] = j / m.length;
    tar[n] = i / g.length;
    n++;
  }
  return {
    thresholds: thresholds.subarray(0, n),
    far: far.subarray(0, n),
    tar: tar.subarray(0, n),
    genuineCount: g.length,
    impostorCount: m.length,
  };
}

/** Area under the ROC (trapezoid rule) = P(genuine < impostor) + P(equal) / 2. */
export function auc(roc: RocCurve): number {
  let area = 0;
  for (let k = 1; k < roc.far.length; k++) {
    area += (roc.far[k] - roc.far[k - 1]) * (roc.tar[k] + roc.tar[k - 1]) / 2;
  }
  return area;
}

export interface EqualErrorRate {
  /** The rate where FAR = FRR, linearly interpolated between the two ROC points around the crossing. */
  eer: number;
  /** Threshold interpolated in the same proportion (a convenience: the real rates are step functions). */
  threshold: number;
}

export function equalErrorRate(roc: RocCurve): EqualErrorRate {
  const { far, tar, thresholds } = roc;
  // diff = FAR - FRR rises from -1 (nothing accepted) to +1 (everything accepted).
  for (let k = 1; k < far.length; k++) {
    const d = far[k] - (1 - tar[k]);
    if (d < 0) continue;
    const dPrev = far[k - 1] - (1 - tar[k - 1]);
    const alpha = d === dPrev ? 0 : -dPrev / (d - dPrev);
    const eer = far[k - 1] + alpha * (far[k] - far[k - 1]);
    const tPrev = thresholds[k - 1];
    const threshold = Number.isFinite(tPrev) ? tPrev + alpha * (thresholds[k] - tPrev) : thresholds[k];
    return { eer, threshold };
  }
  // Unreachable for a valid curve: the last point has FAR 1, FRR 0.
  return { eer: 0, threshold: thresholds[thresholds.length - 1] };
}

export interface OperatingPoint {
  threshold: number;
  far: number;
  tar: number;
}

/**
 * The best TAR whose FAR does not exceed `maxFar` (no interpolation: a point that was measured).
 * With n impostor pairs, maxFar below 1/n can only select FAR 0 — the caller should say so.
 */
export function tarAtFar(roc: RocCurve, maxFar: number): OperatingPoint {
  let best = 0;
  for (let k = 1; k < roc.far.length; k++) {
    if (roc.far[k] <= maxFar + 1e-12) best = k;
    else break; // FAR is non-decreasing along the curve
  }
  return { threshold: roc.thresholds[best], far: roc.far[best], tar: roc.tar[best] };
}

/** DET points (FAR, FRR) for plotting; FRR = 1 - TAR. */
export function detPoints(roc: RocCurve): { far: Float64Array; frr: Float64Array } {
  const frr = new Float64Array(roc.tar.length);
  for (let k = 0; k < frr.length; k++) frr[k] = 1 - roc.tar[k];
  return { far: roc.far, frr };
}
