/** What every loss returns for one batch of unit head outputs y (n x k). */
export interface LossResult {
  /** Mean loss over the batch (the normalisation each loss documents). */
  loss: number;
  /** dLoss/dy, n x k. */
  gradY: Float64Array;
}

/** Squared Euclidean distances between all rows of y (n x k): an n x n symmetric matrix. */
export function pairwiseSquaredDistances(y: Float64Array, n: number, k: number): Float64Array {
  const D = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      for (let j = 0; j < k; j++) {
        const t = y[a * k + j] - y[b * k + j];
        s += t * t;
      }
      D[a * n + b] = s;
      D[b * n + a] = s;
    }
  }
  return D;
}
