import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogistic, logit, predictLogistic, sigmoid } from '../../../sdk/liveness/logistic.ts';

test('one binary feature: the MLE reproduces the two group frequencies', () => {
  // x = 0: y = 0, 1 (p 1/2 -> bias 0); x = 1: y = 0, 1, 1, 1 (p 3/4 -> bias + w = ln 3).
  const X = [[0], [0], [1], [1], [1], [1]];
  const y = [0, 1, 0, 1, 1, 1];
  const m = fitLogistic(X, y, { l2: 0 });
  assert.ok(Math.abs(m.bias) < 1e-8, `bias ${m.bias}`);
  assert.ok(Math.abs(m.weights[0] - Math.log(3)) < 1e-8, `w ${m.weights[0]}`);
  assert.ok(Math.abs(predictLogistic(m, [1]) - 0.75) < 1e-8);
});

test('sample weights act as repeated rows', () => {
  const a = fitLogistic([[0], [0], [1], [1]], [0, 1, 0, 1], { l2: 0, sampleWeights: [1, 1, 1, 3] });
  const b = fitLogistic([[0], [0], [1], [1], [1], [1]], [0, 1, 0, 1, 1, 1], { l2: 0 });
  assert.ok(Math.abs(a.weights[0] - b.weights[0]) < 1e-8);
  assert.ok(Math.abs(a.bias - b.bias) < 1e-8);
});

test('separable data stays finite with the L2 penalty; bad input is refused', () => {
  const m = fitLogistic([[-2], [-1], [1], [2]], [0, 0, 1, 1], { l2: 1 });
  assert.ok(Number.isFinite(m.weights[0]) && m.weights[0] > 0);
  assert.ok(Math.abs(m.bias) < 1e-8); // symmetric data
  assert.throws(() => fitLogistic([[0]], [2]), /labels must be 0 or 1/);
  assert.throws(() => fitLogistic([[0], [1, 2]], [0, 1]), /every row needs 1 finite features/);
  assert.throws(() => fitLogistic([[0]], []), /as many labels as rows/);
});

test('sigmoid and logit are inverse and stable at the extremes', () => {
  for (const p of [1e-5, 0.1, 0.5, 0.9, 0.99999]) assert.ok(Math.abs(sigmoid(logit(p)) - p) < 1e-9);
  assert.equal(sigmoid(-1000), 0);
  assert.equal(sigmoid(1000), 1);
  assert.ok(Number.isFinite(logit(0)) && Number.isFinite(logit(1)));
});
