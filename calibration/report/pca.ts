/**
 * Two leading principal components of a set of embeddings, by power iteration on X^T X without
 * forming the d x d covariance (O(n d) per step), with deflation for the second component.
 */
import { FaceGateError } from '../../sdk/errors.ts';

export interface Projection2d {
  x: Float64Array;
  y: Float64Array;
  /** Fraction of total variance along each component. */
  explained: [number, number];
  components: [Float64Array, Float64Array];
}

function powerIteration(X: Float64Array, n: number, d: number, deflate: Float64Array | null): { v: Float64Array; lambda: number } {
  let v = new Float64Array(d);
  for (let j = 0; j < d; j++) v[j] = 1 + ((j * 7919) % 13) / 13; // fixed start: same map every run
  const xv = new Float64Array(n);
  let lambda = 0;
  for (let iter = 0; iter < 300; iter++) {
    if (deflate) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[j] * deflate[j];
      for (let j = 0; j < d; j++) v[j] -= dot * deflate[j];
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) s += X[row + j] * v[j];
      xv[i] = s;
    }
    const w = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const row = i * d;
      const a = xv[i];
      for (let j = 0; j < d; j++) w[j] += X[row + j] * a;
    }
    if (deflate) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += w[j] * deflate[j];
      for (let j = 0; j < d; j++) w[j] -= dot * deflate[j];
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += w[j] * w[j];
    norm = Math.sqrt(norm);
    if (norm === 0) return { v, lambda: 0 };
    let change = 0;
    for (let j = 0; j < d; j++) {
      w[j] /= norm;
      change += Math.abs(w[j] - v[j]);
    }
    v = w;
    const converged = Math.abs(norm - lambda) <= 1e-12 * norm && change < 1e-10;
    lambda = norm;
    if (converged) break;
  }
  // Sign convention: largest-magnitude coordinate positive, so maps do not flip between runs.
  let k = 0;
  for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[k])) k = j;
  if (v[k] < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
  return { v, lambda };
}

export function pca2(vectors: readonly ArrayLike<number>[]): Projection2d {
  const n = vectors.length;
  if (n < 2) throw new FaceGateError('FG_CALIBRATION', 'PCA needs at least two vectors');
  const d = vectors[0].length;
  const X = new Float64Array(n * d);
  const mean = new Float64Array(d);
  vectors.forEach((v, i) => {
    if (v.length !== d) throw new FaceGateError('FG_CALIBRATION', `PCA: vector ${i} has ${v.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) mean[j] += v[j] / n;
  });
  let total = 0;
  vectors.forEach((v, i) => {
    for (let j = 0; j < d; j++) {
      const c = v[j] - mean[j];
      X[i * d + j] = c;
      total += c * c;
    }
  });
  const a = powerIteration(X, n, d, null);
  const b = powerIteration(X, n, d, a.v);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let t = 0;
    for (let j = 0; j < d; j++) {
      s += X[i * d + j] * a.v[j];
      t += X[i * d + j] * b.v[j];
    }
    x[i] = s;
    y[i] = t;
  }
  return { x, y, explained: total > 0 ? [a.lambda / total, b.lambda / total] : [0, 0], components: [a.v, b.v] };
}
