/**
 * Logistic regression by Newton's method (IRLS), for calibrating and fusing a handful of liveness
 * scores: few features, a few hundred samples, so a dense Hessian solve per step is cheap.
 * Pure: the fitted weights are printed by the calibration bench and written into the code.
 */
import { FaceGateError } from '../errors.ts';

export interface LogisticModel {
  /** One weight per feature. */
  weights: number[];
  bias: number;
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** log(p / (1 - p)) with p clamped away from 0 and 1, so saturated probabilities stay finite. */
export function logit(p: number, eps = 1e-6): number {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return Math.log(q / (1 - q));
}

export function predictLogistic(m: LogisticModel, x: readonly number[]): number {
  let z = m.bias;
  for (let j = 0; j < m.weights.length; j++) z += m.weights[j] * x[j];
  return sigmoid(z);
}

/** Solves A x = b for a small symmetric positive-definite A (Gaussian elimination, partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    if (Math.abs(d) < 1e-12) throw new FaceGateError('FG_CALIBRATION', 'logistic fit: singular Hessian (features are collinear)');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / d;
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

export interface LogisticFitOptions {
  /** L2 penalty on the weights (not the bias); keeps separable data finite. Default 1e-3. */
  l2?: number;
  /** Per-sample weights, e.g. to give each subject the same total (default 1). */
  sampleWeights?: readonly number[];
  maxIterations?: number;
}

/** Fits P(y = 1 | x) = sigmoid(w.x + b) by penalised maximum likelihood. y is 0 or 1. */
export function fitLogistic(X: readonly (readonly number[])[], y: readonly number[], opts: LogisticFitOptions = {}): LogisticModel {
  const n = X.length;
  if (!n || y.length !== n) throw new FaceGateError('FG_CALIBRATION', `logistic fit needs as many labels as rows (${n} rows, ${y.length} labels)`);
  const d = X[0].length;
  if (X.some((r) => r.length !== d || r.some((v) => !Number.isFinite(v)))) {
    throw new FaceGateError('FG_CALIBRATION', `logistic fit: every row needs ${d} finite features`);
  }
  if (y.some((v) => v !== 0 && v !== 1)) throw new FaceGateError('FG_CALIBRATION', 'logistic fit: labels must be 0 or 1');
  const l2 = opts.l2 ?? 1e-3;
  const sw = opts.sampleWeights ?? new Array<number>(n).fill(1);
  let beta = new Array<number>(d + 1).fill(0); // weights..., bias last
  for (let it = 0; it < (opts.maxIterations ?? 100); it++) {
    const g = new Array<number>(d + 1).fill(0);
    const H = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = [...X[i], 1];
      let z = 0;
      for (let j = 0; j <= d; j++) z += beta[j] * xi[j];
      const p = sigmoid(z);
      const r = sw[i] * (p - y[i]);
      const w = sw[i] * p * (1 - p);
      for (let j = 0; j <= d; j++) {
        g[j] += r * xi[j];
        for (let k = 0; k <= d; k++) H[j][k] += w * xi[j] * xi[k];
      }
    }
    for (let j = 0; j < d; j++) {
      g[j] += l2 * beta[j];
      H[j][j] += l2;
    }
    H[d][d] += 1e-9; // a constant feature must not make the bias step singular
    const step = solve(H, g);
    beta = beta.map((b, j) => b - step[j]);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { weights: beta.slice(0, d), bias: beta[d] };
}
