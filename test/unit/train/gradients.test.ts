/**
 * Finite-difference checks (central differences, float64) of every hand-derived gradient: the
 * head (linear, ReLU and PReLU hidden layer, through the L2 normalisation) and the three losses,
 * alone and chained through the head. Relative error = |g - g_fd| / max(|g|, |g_fd|) over the
 * whole vector must stay below 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProjectionHead, type HeadShape } from '../../../calibration/train/head.ts';
import { createRng, type Rng } from '../../../calibration/train/rng.ts';
import { tripletLoss } from '../../../calibration/train/losses/triplet.ts';
import { naiveLoss } from '../../../calibration/train/losses/naive.ts';
import { SoftmaxCenterLoss } from '../../../calibration/train/losses/center.ts';

const H = 1e-6;

function relError(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    na += a[i] ** 2;
    nb += b[i] ** 2;
  }
  const scale = Math.max(Math.sqrt(na), Math.sqrt(nb));
  assert.ok(scale > 1e-8, 'gradient is zero: the check would prove nothing');
  return Math.sqrt(diff) / scale;
}

/** Central-difference gradient of f at p (p is restored). */
function numericGrad(p: Float64Array, f: () => number): Float64Array {
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + H;
    const up = f();
    p[i] = v - H;
    const down = f();
    p[i] = v;
    g[i] = (up - down) / (2 * H);
  }
  return g;
}

function randomUnitRows(n: number, d: number, rng: Rng): Float64Array {
  const x = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) { x[r * d + j] = rng.normal(); s += x[r * d + j] ** 2; }
    for (let j = 0; j < d; j++) x[r * d + j] /= Math.sqrt(s);
  }
  return x;
}

/** Labels of a P x K batch: 0,0,..,1,1,.. */
function pkLabels(p: number, k: number): Int32Array {
  return Int32Array.from({ length: p * k }, (_, i) => Math.floor(i / k));
}

function headCheck(shape: HeadShape, init: 'he' | 'orthogonal', seed: number): number {
  const rng = createRng(seed);
  const head = ProjectionHead.create(shape, init, rng);
  // Biases and PReLU slopes start at constants; randomise them so their gradients are exercised.
  for (const v of [head.b1, head.b2, head.slope]) if (v) for (let i = 0; i < v.length; i++) v[i] = rng.normal() * 0.3;
  const n = 5;
  const x = randomUnitRows(n, shape.inDim, rng);
  const c = new Float64Array(n * shape.outDim).map(() => rng.normal());
  const f = () => {
    const y = head.forward(x, n).y;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i] * y[i];
    return s;
  };
  const grad = new Float64Array(head.params.length);
  head.backward(head.forward(x, n), x, c, grad);
  return relError(grad, numericGrad(head.params, f));
}

test('head gradient: linear d -> k through the L2 normalisation', () => {
  const e = headCheck({ inDim: 7, outDim: 4 }, 'he', 1);
  assert.ok(e < 1e-4, `relative error ${e}`);
});

test('head gradient: hidden ReLU layer', () => {
  const e = headCheck({ inDim: 6, outDim: 3, hidden: 8, activation: 'relu' }, 'he', 2);
  assert.ok(e < 1e-4, `relative error ${e}`);
});

test('head gradient: hidden PReLU layer (slopes included)', () => {
  const e = headCheck({ inDim: 6, outDim: 5, hidden: 9, activation: 'prelu' }, 'orthogonal', 3);
  assert.ok(e < 1e-4, `relative error ${e}`);
});

test('triplet loss gradient w.r.t. the outputs, semi-hard and hardest fallback', () => {
  for (const fallback of ['none', 'hardest'] as const) {
    const rng = createRng(11);
    const n = 12;
    const k = 4;
    const y = randomUnitRows(n, k, rng);
    const labels = pkLabels(4, 3);
    const opts = { margin: 0.5, fallback };
    const r = tripletLoss(y, n, k, labels, opts);
    assert.ok(r.counts.semiHard + r.counts.hard > 0, 'no active triplet: the check would prove nothing');
    const e = relError(r.gradY, numericGrad(y, () => tripletLoss(y, n, k, labels, opts).loss));
    assert.ok(e < 1e-4, `${fallback}: relative error ${e}`);
  }
});

test('naive loss gradient w.r.t. the outputs', () => {
  const rng = createRng(12);
  const y = randomUnitRows(9, 5, rng);
  const labels = pkLabels(3, 3);
  const r = naiveLoss(y, 9, 5, labels);
  assert.equal(r.pairs, 9);
  const e = relError(r.gradY, numericGrad(y, () => naiveLoss(y, 9, 5, labels).loss));
  assert.ok(e < 1e-4, `relative error ${e}`);
});

test('softmax + center loss gradient w.r.t. the outputs and the classifier', () => {
  const rng = createRng(13);
  const n = 8;
  const k = 5;
  const labels = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 1]);
  const loss = new SoftmaxCenterLoss(4, k, { lambda: 0.7, alpha: 0.5, scale: 3 }, rng);
  for (let i = 0; i < loss.classifier.length; i++) loss.classifier[i] = rng.normal();
  for (let i = 0; i < loss.centres.length; i++) loss.centres[i] = rng.normal() * 0.5;
  const y = randomUnitRows(n, k, rng);
  const r = loss.compute(y, n, labels);
  const eY = relError(r.gradY, numericGrad(y, () => loss.compute(y, n, labels).loss));
  const eW = relError(r.gradClassifier, numericGrad(loss.classifier, () => loss.compute(y, n, labels).loss));
  assert.ok(eY < 1e-4, `outputs: relative error ${eY}`);
  assert.ok(eW < 1e-4, `classifier: relative error ${eW}`);
});

test('every loss chained through a hidden PReLU head: gradient w.r.t. the head parameters', () => {
  const rng = createRng(14);
  const head = ProjectionHead.create({ inDim: 6, outDim: 4, hidden: 7, activation: 'prelu' }, 'he', rng);
  const n = 9;
  const x = randomUnitRows(n, 6, rng);
  const labels = pkLabels(3, 3);
  const center = new SoftmaxCenterLoss(3, 4, { lambda: 0.5, alpha: 0.5, scale: 4 }, rng);
  for (let i = 0; i < center.classifier.length; i++) center.classifier[i] = rng.normal();
  center.initCentres(head.forward(x, n).y, n, labels);
  const losses = {
    triplet: (y: Float64Array) => tripletLoss(y, n, 4, labels, { margin: 1.5, fallback: 'hardest' }),
    naive: (y: Float64Array) => naiveLoss(y, n, 4, labels),
    center: (y: Float64Array) => center.compute(y, n, labels),
  };
  for (const [name, L] of Object.entries(losses)) {
    const fw = head.forward(x, n);
    const grad = new Float64Array(head.params.length);
    head.backward(fw, x, L(fw.y).gradY, grad);
    const e = relError(grad, numericGrad(head.params, () => L(head.forward(x, n).y).loss));
    assert.ok(e < 1e-4, `${name}: relative error ${e}`);
  }
});
