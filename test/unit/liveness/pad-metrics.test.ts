import { test } from 'node:test';
import assert from 'node:assert/strict';
import { padAuc, padEqualError, padRates, thresholdForBpcer } from '../../../sdk/liveness/pad-metrics.ts';

const live = [0.3, 0.6, 0.7, 0.8, 0.9];
const attack = [0.1, 0.2, 0.4, 0.65];

test('APCER and BPCER at a threshold: live accepted when score >= threshold', () => {
  const r = padRates(live, attack, 0.6);
  assert.equal(r.liveRejected, 1); // 0.3
  assert.equal(r.attacksAccepted, 1); // 0.65
  assert.equal(r.bpcer, 0.2);
  assert.equal(r.apcer, 0.25);
  // A score equal to the threshold is accepted.
  assert.equal(padRates([0.5], [0.5], 0.5).bpcer, 0);
  assert.equal(padRates([0.5], [0.5], 0.5).apcer, 1);
  assert.ok(Number.isNaN(padRates([], [0.1], 0.5).bpcer));
});

test('threshold for a target BPCER sits between the rejected and the kept live scores', () => {
  // 20 live scores 0.05, 0.10, ... 1.00: 5% allows one reject -> between 0.05 and 0.10.
  const l = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
  assert.ok(Math.abs(thresholdForBpcer(l, 0.05) - 0.075) < 1e-12);
  assert.equal(padRates(l, [], thresholdForBpcer(l, 0.05)).liveRejected, 1);
  // 0% keeps every live score: just below the lowest.
  const t0 = thresholdForBpcer(l, 0);
  assert.ok(t0 < 0.05 && t0 > 0.05 - 1e-6);
  // Ties: the allowed reject ties with the next score, so both must be kept (BPCER 0 rather than over target).
  const tied = [0.2, 0.2, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 0.991, 0.992, 0.993, 0.994, 0.995, 0.996, 0.997, 0.998];
  const t = thresholdForBpcer(tied, 0.05); // one reject allowed, but rejecting one 0.2 rejects both
  assert.ok(t <= 0.2);
  assert.equal(padRates(tied, [], t).liveRejected, 0);
  assert.throws(() => thresholdForBpcer([], 0.05), /without live presentations/);
  assert.throws(() => thresholdForBpcer([0.5], 1), /target BPCER must be in \[0, 1\)/);
  assert.throws(() => padRates([0.5, Number.NaN], [], 0.5), /live score 1 is not a finite number/);
});

test('AUC counts pairs won by the live score, ties half', () => {
  // live > attack in 17 of 20 pairs (0.3 beats 0.1, 0.2 only; 0.6 loses to 0.65), no ties.
  assert.equal(padAuc(live, attack), 17 / 20);
  assert.equal(padAuc([1, 2], [0]), 1);
  assert.equal(padAuc([0], [1, 2]), 0);
  assert.equal(padAuc([0.5, 0.5], [0.5]), 0.5);
  assert.equal(padAuc([1, 0.5], [0.5, 0]), (2 + 1 + 0.5) / 4);
  assert.ok(Number.isNaN(padAuc([], [1])));
});

test('EER: the threshold where APCER and BPCER are closest', () => {
  const e = padEqualError([0.6, 0.7, 0.8, 0.9], [0.1, 0.2, 0.3, 0.65]);
  // t = 0.65: BPCER 1/4 (0.6), APCER 1/4 (0.65 itself).
  assert.equal(e.threshold, 0.65);
  assert.equal(e.bpcer, 0.25);
  assert.equal(e.apcer, 0.25);
  assert.equal(e.eer, 0.25);
  assert.equal(padEqualError([0.9], [0.1]).eer, 0);
});
