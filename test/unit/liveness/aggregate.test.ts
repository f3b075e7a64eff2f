import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateLiveness } from '../../../sdk/liveness/aggregate.ts';

test('k-of-n (default): a majority of the window must pass, one frame never suffices', () => {
  // Defaults: minFrames 3, window 5, k 3.
  assert.equal(aggregateLiveness([0.99], { threshold: 0.5 }).verdict, 'pending');
  assert.equal(aggregateLiveness([0.99, 0.99], { threshold: 0.5 }).verdict, 'pending');
  const three = aggregateLiveness([0.9, 0.6, 0.7], { threshold: 0.5 });
  assert.equal(three.verdict, 'live');
  assert.equal(three.liveFrames, 3);
  assert.ok(Math.abs(three.score - 2.2 / 3) < 1e-12);
  // Not yet 3 passing but the window is not full: wait rather than refuse.
  assert.equal(aggregateLiveness([0.9, 0.1, 0.9], { threshold: 0.5 }).verdict, 'pending');
  assert.equal(aggregateLiveness([0.9, 0.1, 0.9, 0.8], { threshold: 0.5 }).verdict, 'live');
  // Full window with 2 of 5 passing: attack, however confident those two are.
  assert.equal(aggregateLiveness([1, 0.1, 0.1, 1, 0.1], { threshold: 0.5 }).verdict, 'attack');
  // A frame exactly at the threshold passes.
  assert.equal(aggregateLiveness([0.5, 0.5, 0.5], { threshold: 0.5 }).verdict, 'live');
  // Explicit k.
  assert.equal(aggregateLiveness([0.9, 0.1, 0.1, 0.1, 0.1], { threshold: 0.5, k: 1 }).verdict, 'live');
});

test('only the last `window` frames count: old attack frames age out', () => {
  const track = [0.01, 0.01, 0.01, 0.9, 0.9, 0.9];
  assert.equal(aggregateLiveness(track, { threshold: 0.5, window: 3 }).verdict, 'live');
  const six = aggregateLiveness(track, { threshold: 0.5, window: 6, k: 4 });
  assert.equal(six.verdict, 'attack');
  assert.equal(six.frames, 6);
  assert.equal(six.liveFrames, 3);
});

test('mean: the plain mean of the window against the threshold', () => {
  const m = aggregateLiveness([0.2, 0.4, 0.9], { threshold: 0.5, mode: 'mean' });
  assert.ok(Math.abs(m.score - 0.5) < 1e-12);
  assert.equal(m.verdict, 'live');
  // One saturated frame moves the mean by at most 1/window.
  assert.equal(aggregateLiveness([1, 0.2, 0.2], { threshold: 0.5, mode: 'mean' }).verdict, 'attack');
  assert.equal(aggregateLiveness([0.9, 0.9], { threshold: 0.5, mode: 'mean' }).verdict, 'pending');
});

test('non-finite scores are ignored; bad options are refused with the problem named', () => {
  const a = aggregateLiveness([0.9, Number.NaN, 0.9, 0.9], { threshold: 0.5 });
  assert.equal(a.frames, 3);
  assert.equal(a.verdict, 'live');
  assert.ok(Number.isNaN(aggregateLiveness([], { threshold: 0.5 }).score));
  assert.throws(() => aggregateLiveness([0.5], { threshold: 1.5 }), { code: 'FG_CONFIG_INVALID', message: /threshold must be in \[0, 1\], got 1.5/ });
  assert.throws(() => aggregateLiveness([0.5], { threshold: 0.5, minFrames: 4, window: 3 }), /window must be an integer >= minFrames \(4\), got 3/);
  assert.throws(() => aggregateLiveness([0.5], { threshold: 0.5, window: 5, k: 6 }), /k must be an integer in \[1, window\], got 6/);
  assert.throws(() => aggregateLiveness([0.5], { threshold: 0.5, mode: 'median' as never }), /mode must be one of k-of-n, mean/);
});
