import { test } from 'node:test';
import assert from 'node:assert/strict';
import { antispoofEvidence, frLivenessEvidence } from '../../../sdk/liveness/readout.ts';
import { sigmoid } from '../../../sdk/liveness/logistic.ts';
import { livenessCropRect } from '../../../sdk/liveness/crop.ts';

test('fr_liveness evidence: sigmoid of it is the softmax probability of class 0 (live)', () => {
  const l = [2, 1, -1];
  const e = Math.exp;
  const p0 = e(2) / (e(2) + e(1) + e(-1));
  assert.ok(Math.abs(sigmoid(frLivenessEvidence(l)) - p0) < 1e-12);
  // Large logits do not overflow.
  assert.ok(Math.abs(frLivenessEvidence([1000, 990, 0]) - 10) < 1e-9);
});

test('FaceAntiSpoofing evidence: 1 - sum |clss| * leaf is P(live)', () => {
  const clss = [0.9, -0.1, 0.5, 0, 0, 0, 0, 0.3];
  // Routed to leaf 1: spoof score |-0.1| = 0.1 -> P(live) 0.9.
  assert.ok(Math.abs(sigmoid(antispoofEvidence(clss, [0, 1, 0, 0, 0, 0, 0, 0])) - 0.9) < 1e-9);
  // The app's threshold: spoof 0.2 -> 0.8.
  assert.ok(Math.abs(sigmoid(antispoofEvidence([0.2, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0])) - 0.8) < 1e-9);
  // A spoof score above 1 clamps instead of going negative.
  assert.ok(Number.isFinite(antispoofEvidence([1.02, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0])));
});

test('crop: box scaled about its centre, shifted into the frame, shrunk when too large', () => {
  // Inside: 100x120 box at (200,150) x2 -> 200x240 centred on (250,210).
  assert.deepEqual(livenessCropRect({ x: 200, y: 150, w: 100, h: 120 }, 2, 640, 480), { x: 150, y: 90, w: 200, h: 240 });
  // Near the left/top edge: shifted, not padded.
  assert.deepEqual(livenessCropRect({ x: 10, y: 20, w: 100, h: 100 }, 2, 640, 480), { x: 0, y: 0, w: 200, h: 200 });
  // Near the right/bottom edge.
  assert.deepEqual(livenessCropRect({ x: 580, y: 400, w: 50, h: 60 }, 2, 640, 480), { x: 540, y: 360, w: 100, h: 120 });
  // x2.7 of a 200 px box does not fit 480 rows: the scale shrinks to 480/200 = 2.4 and the crop spans the height.
  const big = livenessCropRect({ x: 220, y: 140, w: 200, h: 200 }, 2.7, 640, 480);
  assert.deepEqual(big, { x: 80, y: 0, w: 480, h: 480 });
  // Square: the longer side wins, centre kept.
  assert.deepEqual(livenessCropRect({ x: 100, y: 100, w: 80, h: 100 }, 1, 640, 480, true), { x: 90, y: 100, w: 100, h: 100 });
});
