/**
 * The naive loss: pull every same-person pair together, L = mean over same-label pairs of
 * |y_i - y_j|^2. Nothing pushes different people apart, so its minimum is reached when all
 * outputs coincide: the head collapses (the failure that motivates the triplet loss).
 */
import type { LossResult } from './types.ts';

export function naiveLoss(y: Float64Array, n: number, k: number, labels: ArrayLike<number>): LossResult & { pairs: number } {
  const gradY = new Float64Array(n * k);
  let pairs = 0;
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (labels[a] === labels[b]) pairs++;
  if (pairs === 0) return { loss: 0, gradY, pairs };
  let loss = 0;
  const w = 1 / pairs;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      if (labels[a] !== labels[b]) continue;
      for (let j = 0; j < k; j++) {
        const t = y[a * k + j] - y[b * k + j];
        loss += t * t * w;
        gradY[a * k + j] += 2 * t * w;
        gradY[b * k + j] -= 2 * t * w;
      }
    }
  }
  return { loss, gradY, pairs };
}
