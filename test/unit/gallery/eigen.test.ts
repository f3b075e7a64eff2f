import { test } from 'node:test';
import assert from 'node:assert/strict';
import { covariance, participationRatio, symmetricEigen } from '../../helpers/spectrum.ts';

test('symmetricEigen: known 3x3 eigenpairs, A v = lambda v', () => {
  // [[2,1,0],[1,2,0],[0,0,5]]: eigenvalues 5, 3, 1
  const A = [2, 1, 0, 1, 2, 0, 0, 0, 5];
  const { values, vectors } = symmetricEigen(A, 3);
  assert.deepEqual(Array.from(values, (x) => +x.toFixed(10)), [5, 3, 1]);
  for (let k = 0; k < 3; k++) {
    const v = vectors.subarray(k * 3, k * 3 + 3);
    for (let i = 0; i < 3; i++) {
      const av = A[i * 3] * v[0] + A[i * 3 + 1] * v[1] + A[i * 3 + 2] * v[2];
      assert.ok(Math.abs(av - values[k] * v[i]) < 1e-10);
    }
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-12);
  }
});

test('covariance: sample covariance of a known set', () => {
  const { mean, cov } = covariance([[1, 2], [3, 6], [5, 10]]);
  assert.deepEqual(Array.from(mean), [3, 6]);
  assert.deepEqual(Array.from(cov), [4, 8, 8, 16]);
});

test('participationRatio: d for a flat spectrum, 1 for a single direction', () => {
  assert.equal(participationRatio([1, 1, 1, 1]), 4);
  assert.equal(participationRatio([3, 0, 0]), 1);
  assert.ok(Math.abs(participationRatio([2, 1]) - 1.8) < 1e-12);
});

/** Q diag(lambda) Q^T for a random orthonormal Q (Gram-Schmidt): a matrix with a known spectrum. */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const d = lambda.length;
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const q: Float64Array[] = [];
  while (q.length < d) {
    const v = Float64Array.from({ length: d }, rand);
    for (const u of q) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * u[i];
      for (let i = 0; i < d; i++) v[i] -= dot * u[i];
    }
    const n = Math.hypot(...v);
    if (n < 1e-6) continue;
    q.push(v.map((t) => t / n));
  }
  const a = new Float64Array(d * d);
  for (let k = 0; k < d; k++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j] += lambda[k] * q[k][i] * q[k][j];
  return a;
}

test('symmetricEigen: known spectra (distinct, repeated, rank-deficient) at 1..192 dimensions', () => {
  const cases: number[][] = [
    [4.2],
    [3, -1],
    Array.from({ length: 60 }, (_, i) => 60 - i + 0.5 * Math.sin(i)),
    Array.from({ length: 40 }, (_, i) => (i < 10 ? 2 : i < 25 ? 1 : 0)), // repeated, and a null space
    Array.from({ length: 192 }, (_, i) => (i < 58 ? 1 / (1 + i) : 1e-6 / (1 + i))), // an embedding-like cliff
  ];
  for (const [n, lambda] of cases.entries()) {
    const d = lambda.length;
    const a = withSpectrum(lambda, 17 + n);
    const { values, vectors } = symmetricEigen(a, d);
    const want = [...lambda].sort((x, y) => y - x);
    for (let k = 0; k < d; k++) assert.ok(Math.abs(values[k] - want[k]) < 1e-9 * Math.max(1, Math.abs(want[0])), `case ${n}: lambda ${k} ${values[k]} vs ${want[k]}`);
    for (let k = 0; k < d; k++) {
      const v = vectors.subarray(k * d, (k + 1) * d);
      let worst = 0;
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let j = 0; j < d; j++) av += a[i * d + j] * v[j];
        worst = Math.max(worst, Math.abs(av - values[k] * v[i]));
      }
      assert.ok(worst < 1e-9, `case ${n}: |A v - lambda v| = ${worst}`);
      for (let m = k; m < Math.min(d, k + 3); m++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += v[i] * vectors[m * d + i];
        assert.ok(Math.abs(dot - (m === k ? 1 : 0)) < 1e-9, `case ${n}: <v${k}, v${m}> = ${dot}`);
      }
    }
  }
});
