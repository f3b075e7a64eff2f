/**
 * Known answers for the training parts (mining counts, the centre update, optimiser steps,
 * initialisations, batches, splits) and the behaviour of whole runs on synthetic embeddings with
 * a learnable nuisance: triplet and center loss beat the raw embeddings on unseen people, the
 * naive loss collapses the space, early stopping keeps the best epoch, runs are deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tripletLoss } from '../../../calibration/train/losses/triplet.ts';
import { SoftmaxCenterLoss } from '../../../calibration/train/losses/center.ts';
import { createOptimizer } from '../../../calibration/train/optimizer.ts';
import { ProjectionHead, randomOrthogonal } from '../../../calibration/train/head.ts';
import { createRng } from '../../../calibration/train/rng.ts';
import { pkBatches } from '../../../calibration/train/batches.ts';
import { splitPeople, rowsByLabel, embeddingSet } from '../../../calibration/train/dataset.ts';
import { trainHead, epochsToReach } from '../../../calibration/train/trainer.ts';
import { validationPairs } from '../../../calibration/train/validation.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { syntheticSet } from './synthetic.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('triplet mining on a hand-worked 1-d batch: semi-hard, hard fallback, easy, and the loss', () => {
  // A = {0, 0.3}, B = {0.5, 3}; alpha 0.5. Squared distances: A0-A1 .09, A0-B0 .25, A1-B0 .04,
  // A0-B1 9, A1-B1 7.29, B0-B1 6.25.
  // (A0,A1): B0 at .25 is in (.09, .59): semi-hard, loss .09 - .25 + .5 = .34
  // (A1,A0): B0 at .04 <= .09, B1 beyond .59: hard, fallback loss .09 - .04 + .5 = .55
  // (B0,B1): both A within 6.25: hard, fallback A1: 6.25 - .04 + .5 = 6.71
  // (B1,B0): A at 9 and 7.29, both beyond 6.75: easy
  const y = Float64Array.from([0, 0.3, 0.5, 3]);
  const labels = [0, 0, 1, 1];
  const withFallback = tripletLoss(y, 4, 1, labels, { margin: 0.5, fallback: 'hardest' });
  assert.deepEqual(withFallback.counts, { anchorPositive: 4, semiHard: 1, hard: 2, hardSkipped: 0, easy: 1 });
  close(withFallback.loss, (0.34 + 0.55 + 6.71) / 4);
  const semiOnly = tripletLoss(y, 4, 1, labels, { margin: 0.5, fallback: 'none' });
  assert.deepEqual(semiOnly.counts, { anchorPositive: 4, semiHard: 1, hard: 0, hardSkipped: 2, easy: 1 });
  close(semiOnly.loss, 0.34 / 4);
  // Only the semi-hard triplet (A0, A1, B0) moves: d/dA0 = 2(B0 - A1)/4, d/dA1 = 2(A1 - A0)/4, d/dB0 = 2(A0 - B0)/4.
  const g = semiOnly.gradY;
  close(g[0], (2 * (0.5 - 0.3)) / 4);
  close(g[1], (2 * 0.3) / 4);
  close(g[2], (2 * -0.5) / 4);
  close(g[3], 0);
});

test('center loss: Wen et al. centre update on known numbers, centres start at class means', () => {
  const loss = new SoftmaxCenterLoss(2, 2, { lambda: 1, alpha: 0.5, scale: 1 }, createRng(1));
  const x = Float64Array.from([1, 0, 0, 1, 4, 4]);
  loss.initCentres(x, 3, [0, 0, 1]);
  assert.deepEqual([...loss.centres], [0.5, 0.5, 4, 4]);
  loss.centres.fill(0);
  // class 0: dc = ((0-1) + (0-0), (0-0) + (0-1)) / (1 + 2) = (-1/3, -1/3); c <- c - 0.5 dc
  // class 1: dc = (0-4, 0-4) / (1 + 1) = (-2, -2); c <- (1, 1)
  loss.updateCentres(x, 3, [0, 0, 1]);
  const c = [...loss.centres];
  close(c[0], 1 / 6);
  close(c[1], 1 / 6);
  close(c[2], 1);
  close(c[3], 1);
  // The center term is lambda/2 |x - c|^2 per sample, averaged over the batch.
  const r = loss.compute(Float64Array.from([1, 0]), 1, [1]);
  close(r.centerTerm, 0.5 * (0 + 1));
  // Imprinting: classifier rows become the unit centre directions, so the softmax starts as a
  // nearest-centre classifier.
  loss.centres.set([0, 2, 3, 0]);
  loss.imprintClassifier();
  assert.deepEqual([...loss.classifier], [0, 1, 1, 0, 0, 0]);
  assert.equal(loss.compute(Float64Array.from([0.6, 0.8, 0.8, 0.6]), 2, [1, 0]).correct, 0);
  assert.equal(loss.compute(Float64Array.from([0.6, 0.8, 0.8, 0.6]), 2, [0, 1]).correct, 2);
});

test('optimisers: SGD with momentum and Adam steps on f(p) = p^2 / 2', () => {
  const sgd = createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 });
  const p = Float64Array.from([1]);
  sgd.step(p, Float64Array.from([p[0]])); // v = 1, p = 0.9
  close(p[0], 0.9);
  sgd.step(p, Float64Array.from([p[0]])); // v = 0.9 + 0.9 = 1.8, p = 0.72
  close(p[0], 0.72);
  const adam = createOptimizer({ name: 'adam', lr: 0.01 });
  const q = Float64Array.from([3, -2]);
  adam.step(q, Float64Array.from([3, -2])); // the first bias-corrected step is lr * sign(g)
  close(q[0], 2.99, 1e-8);
  close(q[1], -1.99, 1e-8);
  assert.throws(() => createOptimizer({ name: 'sgd', lr: 0 }), FaceGateError);
});

test('head initialisations: identity keeps the embedding, orthogonal keeps distances', () => {
  const rng = createRng(4);
  const x = Float64Array.from({ length: 3 * 8 }, () => rng.normal());
  for (let r = 0; r < 3; r++) {
    let s = 0;
    for (let j = 0; j < 8; j++) s += x[r * 8 + j] ** 2;
    for (let j = 0; j < 8; j++) x[r * 8 + j] /= Math.sqrt(s);
  }
  const id = ProjectionHead.create({ inDim: 8, outDim: 8 }, 'identity', rng);
  assert.ok(id.forward(x, 3).y.every((v, i) => Math.abs(v - x[i]) < 1e-12));
  for (const activation of ['relu', 'prelu'] as const) {
    const deep = ProjectionHead.create({ inDim: 8, outDim: 8, hidden: 20, activation }, 'identity', rng);
    assert.ok(deep.forward(x, 3).y.every((v, i) => Math.abs(v - x[i]) < 1e-12), activation);
  }
  assert.throws(() => ProjectionHead.create({ inDim: 8, outDim: 8, hidden: 10 }, 'identity', rng), /needs hidden >= 2 x min\(in, out\) = 16, got 10/);
  const q = randomOrthogonal(8, 8, rng);
  const rot = new ProjectionHead({ inDim: 8, outDim: 8 }, new Float64Array(72));
  rot.w1.set(q);
  const y = rot.forward(x, 3).y;
  const d = (v: Float64Array, a: number, b: number) => Math.hypot(...Array.from({ length: 8 }, (_, j) => v[a * 8 + j] - v[b * 8 + j]));
  close(d(y, 0, 1), d(x, 0, 1), 1e-12);
  close(d(y, 1, 2), d(x, 1, 2), 1e-12);
  // Projection to fewer dimensions: orthonormal rows.
  const p = randomOrthogonal(3, 8, rng);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    let s = 0;
    for (let j = 0; j < 8; j++) s += p[a * 8 + j] * p[b * 8 + j];
    close(s, a === b ? 1 : 0, 1e-12);
  }
});

test('P x K batches: every eligible person once per epoch, at most K images, seeded', () => {
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6]);
  const byLabel = rowsByLabel(labels, 7);
  const batches = pkBatches(byLabel, { peoplePerBatch: 3, imagesPerPerson: 4 }, createRng(9));
  const people = batches.flat().map((r) => labels[r]);
  assert.deepEqual([...new Set(people)].sort(), [0, 1, 3, 4, 5, 6]); // person 2 has one image
  assert.equal(people.filter((l) => l === 0).length, 4);
  assert.equal(new Set(batches.flat()).size, batches.flat().length); // no row twice
  assert.deepEqual(batches.map((b) => new Set(b.map((r) => labels[r])).size), [3, 3]);
  assert.deepEqual(pkBatches(byLabel, { peoplePerBatch: 3, imagesPerPerson: 4 }, createRng(9)), batches);
});

test('people-disjoint split: no person on both sides, single-image people dropped', () => {
  const set = syntheticSet({ people: 30, imagesPerPerson: 3, dim: 8, noise: 0.5, nuisanceDirs: 0, nuisance: 0, seed: 1 });
  const withSingle = embeddingSet([
    ...Array.from({ length: set.labels.length }, (_, i) => ({ identity: set.identities[set.labels[i]], vector: set.vectors.subarray(i * 8, (i + 1) * 8) })),
    { identity: 'lonely', vector: new Float32Array(8).fill(0.25) },
  ]);
  const s = splitPeople(withSingle, 0.2, createRng(3));
  assert.equal(s.singles, 1);
  assert.equal(s.val.identities.length, 6);
  assert.equal(s.train.identities.length, 24);
  const val = new Set(s.val.identities);
  assert.ok(s.train.identities.every((p) => !val.has(p)));
  assert.ok(!val.has('lonely') && !s.train.identities.includes('lonely'));
  const pairs = validationPairs(s.val.labels, s.val.identities.length, createRng(1));
  const genuine = pairs.same.reduce((a, b) => a + b, 0);
  assert.equal(genuine, 6 * 3); // C(3,2) per person
  assert.equal(pairs.same.length, 2 * genuine);
  for (let i = 0; i < pairs.same.length; i++) assert.equal(s.val.labels[pairs.a[i]] === s.val.labels[pairs.b[i]], Boolean(pairs.same[i]));
});

const data = syntheticSet({ people: 60, imagesPerPerson: 6, dim: 24, noise: 0.6, nuisanceDirs: 3, nuisance: 0.5, seed: 3 });

test('triplet and center loss learn to ignore the nuisance: unseen people verify better than without the head', () => {
  for (const loss of ['triplet', 'center'] as const) {
    const r = trainHead(data, { loss, epochs: 25, lr: 0.01, seed: 2, valFraction: 0.3, patience: 0 });
    const best = r.history[r.bestEpoch].val;
    assert.ok(r.baseline.accuracy < 0.9, `the synthetic task should be hard without a head (${r.baseline.accuracy})`);
    assert.ok(best.accuracy > r.baseline.accuracy + 0.05, `${loss}: ${best.accuracy} vs ${r.baseline.accuracy} without the head`);
    assert.ok(best.dPrime > r.baseline.dPrime + 0.5, `${loss}: d' ${best.dPrime} vs ${r.baseline.dPrime}`);
    assert.ok(epochsToReach(r.history, r.baseline.accuracy + 0.05)! >= 1);
    // The weights kept are those of the best epoch.
    const again = r.head.forward(data.vectors.subarray(0, 24), 1).y;
    assert.equal(again.length, 24);
    if (loss === 'triplet') {
      const first = r.history[1].triplets!;
      assert.equal(first.semiHard + first.hard + first.hardSkipped + first.easy, first.anchorPositive);
      assert.ok(first.semiHard > 0);
    } else assert.ok(r.history[r.history.length - 1].center!.trainAccuracy > r.history[1].center!.trainAccuracy);
  }
});

test('naive loss collapses the space; early stopping then keeps the initial head', () => {
  const r = trainHead(data, { loss: 'naive', epochs: 30, lr: 0.01, seed: 2, valFraction: 0.3, patience: 0, restoreBest: false });
  const last = r.history[r.history.length - 1].val;
  // Different people end up close together: the mean impostor distance shrinks several-fold.
  assert.ok(last.meanImpostor < 0.4 * r.baseline.meanImpostor, `impostor distance ${last.meanImpostor} vs ${r.baseline.meanImpostor}`);
  assert.ok(r.history[r.history.length - 1].trainLoss! < r.history[1].trainLoss! * 0.2);
  const stopped = trainHead(data, { loss: 'naive', epochs: 60, lr: 0.05, seed: 2, valFraction: 0.3, patience: 3 });
  assert.equal(stopped.stopReason, 'early-stop');
  assert.ok(stopped.history.length < 61);
  const kept = stopped.history[stopped.bestEpoch].val.accuracy;
  assert.ok(stopped.history.every((h) => h.val.accuracy <= kept));
});

test('training is deterministic for a seed and changes with it', () => {
  const a = trainHead(data, { loss: 'triplet', epochs: 3, seed: 7, patience: 0, restoreBest: false });
  const b = trainHead(data, { loss: 'triplet', epochs: 3, seed: 7, patience: 0, restoreBest: false });
  const c = trainHead(data, { loss: 'triplet', epochs: 3, seed: 8, patience: 0, restoreBest: false });
  assert.deepEqual(a.head.params, b.head.params);
  assert.notDeepEqual(a.head.params, c.head.params);
});

test('bad options are refused with the option named', () => {
  assert.throws(() => trainHead(data, { loss: 'nope' as 'naive', epochs: 1 }), /loss must be one of triplet, center, naive/);
  assert.throws(() => trainHead(data, { loss: 'triplet', epochs: 0 }), /epochs must be a positive integer/);
  assert.throws(() => trainHead(data, { loss: 'triplet', epochs: 1, peoplePerBatch: 1 }), /people per batch/);
  assert.throws(() => trainHead(data, { loss: 'center', epochs: 1, centerAlpha: 2 }), /alpha must be in \[0, 1\]/);
  assert.throws(() => trainHead(data, { loss: 'triplet', epochs: 1, valFraction: 1.5 }), /validation fraction/);
});
