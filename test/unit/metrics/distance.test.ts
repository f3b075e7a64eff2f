// The one L2 definition (sdk/metrics/distance.ts) against known answers, on whole vectors and on
// rows of packed arrays (the form calibration's exact search and pair lists use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { euclideanDistance, squaredL2, squaredL2At } from '../../../sdk/metrics/distance.ts';
import { l2Distance } from '../../../sdk/embed/l2.ts';

test('squaredL2 / euclideanDistance: 3-4-5, and l2Distance is the same function', () => {
  const a = Float32Array.of(0, 0, 1);
  const b = Float32Array.of(3, 4, 1);
  assert.equal(squaredL2(a, b), 25);
  assert.equal(euclideanDistance(a, b), 5);
  assert.equal(l2Distance, euclideanDistance);
  assert.throws(() => euclideanDistance(a, Float32Array.of(1, 2)), /dimensions differ/);
});

test('squaredL2At reads rows of packed arrays', () => {
  const packed = Float32Array.of(9, 9, 0, 0, 1, 9, 3, 4, 1); // rows of 3 at offsets 2 and 6 (stride ignored)
  assert.equal(squaredL2At(packed, 2, packed, 6, 3), 25);
  assert.equal(squaredL2At([1, 2], 0, Float64Array.of(1, 2), 0, 2), 0);
  assert.equal(squaredL2At(packed, 0, packed, 0, 0), 0);
});
