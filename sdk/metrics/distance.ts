/**
 * Distances between embeddings. Embeddings are L2-normalised Float32Arrays; sums are kept in
 * float64 so a 512-d distance does not drift with float32 accumulation.
 */
import { FaceGateError } from '../errors.ts';

function checkDims(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length || a.length === 0) {
    throw new FaceGateError('FG_INPUT_INVALID', `embedding dimensions differ or are empty: ${a.length} vs ${b.length}`);
  }
}

/** Squared Euclidean distance of `dim` values from `a[ao]` and `b[bo]` (rows of packed arrays), unchecked. */
export function squaredL2At(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[ao + j] - b[bo + j];
    s += d * d;
  }
  return s;
}

/** Squared Euclidean distance, unchecked (hot paths and the exact index's reference). */
export function squaredL2(a: Float32Array, b: Float32Array): number {
  return squaredL2At(a, 0, b, 0, a.length);
}

/** Euclidean (L2) distance. On unit vectors it lies in [0, 2] and equals sqrt(2 - 2 cos). */
export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  checkDims(a, b);
  return Math.sqrt(squaredL2(a, b));
}

/** Cosine distance 1 - cos(a, b), in [0, 2]; does not assume unit vectors. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  checkDims(a, b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) throw new FaceGateError('FG_INPUT_INVALID', 'cosine distance of a zero vector is undefined');
  return 1 - dot / Math.sqrt(na * nb);
}

export type DistanceMetric = 'euclidean' | 'cosine';

export function distanceFn(metric: DistanceMetric): (a: Float32Array, b: Float32Array) => number {
  return metric === 'cosine' ? cosineDistance : euclideanDistance;
}
