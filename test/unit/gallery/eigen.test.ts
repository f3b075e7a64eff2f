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
