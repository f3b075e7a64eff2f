/**
 * Second-order statistics for the gallery's principal-subspace projection: mean and covariance
 * of a set of vectors, and a symmetric eigensolver (cyclic Jacobi: simple and accurate to
 * rounding for the d <= 256 it serves; O(d^3) per sweep, under a second for d = 192).
 */
export function covariance(rows: readonly ArrayLike<number>[]): { mean: Float64Array; cov: Float64Array } {
  const n = rows.length;
  const d = rows[0].length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let i = 0; i < d; i++) mean[i] += r[i] / n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const r of rows) {
    for (let i = 0; i < d; i++) c[i] = r[i] - mean[i];
    for (let i = 0; i < d; i++) {
      const ci = c[i];
      const row = i * d;
      for (let j = i; j < d; j++) cov[row + j] += ci * c[j];
    }
  }
  const den = Math.max(1, n - 1);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      cov[i * d + j] /= den;
      cov[j * d + i] = cov[i * d + j];
    }
  }
  return { mean, cov };
}

/**
 * Eigen-decomposition of a symmetric d x d matrix (row-major). Returns eigenvalues in descending
 * order and the matching unit eigenvectors, vector k at vectors[k*d .. k*d+d).
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // rotate rows/columns p and q of a, and columns of v
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((x, y) => a[y * d + y] - a[x * d + x]);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((col, k) => {
    values[k] = a[col * d + col];
    for (let i = 0; i < d; i++) vectors[k * d + i] = v[i * d + col];
  });
  return { values, vectors };
}

