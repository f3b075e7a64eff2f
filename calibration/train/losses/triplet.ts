/**
 * Triplet loss with online mining inside a P x K batch (FaceNet, Schroff et al. 2015):
 * L = [ |f(a)-f(p)|^2 - |f(a)-f(n)|^2 + alpha ]_+ for every anchor-positive pair (a, p) of the
 * batch, with the negative n chosen from the batch:
 *   semi-hard: d_ap < d_an < d_ap + alpha (the closest such negative: the hardest semi-hard one);
 *   hard fallback (option): when no semi-hard negative exists but some d_an <= d_ap, the closest
 *     negative overall — FaceNet warns this can collapse training early, hence optional;
 *   easy: every negative already lies beyond d_ap + alpha, the pair contributes 0.
 * The loss is the mean over all anchor-positive pairs (easy ones count as 0), so its scale does
 * not depend on how many triplets are active. The choice of n is held fixed when differentiating.
 */
import { pairwiseSquaredDistances, type LossResult } from './types.ts';

export type NegativeFallback = 'hardest' | 'none';

export interface TripletOptions {
  /** Margin alpha on squared distances (unit vectors: squared distances lie in [0, 4]). */
  margin: number;
  fallback: NegativeFallback;
}

export interface TripletCounts {
  /** Anchor-positive pairs seen (ordered: (a, p) and (p, a) both count, as in FaceNet). */
  anchorPositive: number;
  semiHard: number;
  /** Hardest-negative fallbacks used. */
  hard: number;
  /** Pairs with only hard negatives and fallback 'none': skipped. */
  hardSkipped: number;
  /** Pairs whose every negative is beyond the margin (loss 0). */
  easy: number;
}

export function emptyTripletCounts(): TripletCounts {
  return { anchorPositive: 0, semiHard: 0, hard: 0, hardSkipped: 0, easy: 0 };
}

export function addTripletCounts(into: TripletCounts, c: TripletCounts): void {
  into.anchorPositive += c.anchorPositive;
  into.semiHard += c.semiHard;
  into.hard += c.hard;
  into.hardSkipped += c.hardSkipped;
  into.easy += c.easy;
}

export function tripletLoss(y: Float64Array, n: number, k: number, labels: ArrayLike<number>, opts: TripletOptions): LossResult & { counts: TripletCounts } {
  const alpha = opts.margin;
  const D = pairwiseSquaredDistances(y, n, k);
  const gradY = new Float64Array(n * k);
  const counts = emptyTripletCounts();
  const chosen: number[] = []; // a, p, n triples; gradients added once the pair count is known
  let loss = 0;
  for (let a = 0; a < n; a++) {
    for (let p = 0; p < n; p++) {
      if (p === a || labels[p] !== labels[a]) continue;
      counts.anchorPositive++;
      const dap = D[a * n + p];
      let semi = -1;
      let semiD = Infinity;
      let hardest = -1;
      let hardestD = Infinity;
      for (let q = 0; q < n; q++) {
        if (labels[q] === labels[a]) continue;
        const dan = D[a * n + q];
        if (dan < hardestD) { hardestD = dan; hardest = q; }
        if (dan > dap && dan < dap + alpha && dan < semiD) { semiD = dan; semi = q; }
      }
      let neg = -1;
      if (semi >= 0) {
        neg = semi;
        counts.semiHard++;
      } else if (hardest >= 0 && hardestD <= dap) {
        if (opts.fallback === 'hardest') {
          neg = hardest;
          counts.hard++;
        } else counts.hardSkipped++;
      } else counts.easy++;
      if (neg >= 0) {
        const l = dap - D[a * n + neg] + alpha;
        if (l > 0) {
          loss += l;
          chosen.push(a, p, neg);
        }
      }
    }
  }
  if (counts.anchorPositive === 0) return { loss: 0, gradY, counts };
  const w = 1 / counts.anchorPositive;
  for (let t = 0; t < chosen.length; t += 3) {
    const ao = chosen[t] * k;
    const po = chosen[t + 1] * k;
    const no = chosen[t + 2] * k;
    for (let j = 0; j < k; j++) {
      const ya = y[ao + j];
      const yp = y[po + j];
      const yn = y[no + j];
      // d/dya (|a-p|^2 - |a-n|^2) = 2(n - p); d/dyp = 2(p - a); d/dyn = 2(a - n)
      gradY[ao + j] += 2 * (yn - yp) * w;
      gradY[po + j] += 2 * (yp - ya) * w;
      gradY[no + j] += 2 * (ya - yn) * w;
    }
  }
  return { loss: loss * w, gradY, counts };
}
