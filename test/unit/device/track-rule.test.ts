/**
 * The 'mean-embedding' track rule with scripted stage results: one match of the pooled frames once
 * `votes` usable frames are in (LOOP_DEFAULTS: votes 2), then the usual gate (liveness off here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './loop-harness.ts';
import { weightedUnitMean } from '../../../device/loop/frame-loop.ts';

test('mean-embedding: decides on the 2nd usable frame, as grant or unknown, once per track', async () => {
  const h = harness({ rule: 'mean-embedding' }, { noLiveness: true });
  await h.show({ x: 200, who: 'alice', live: 1 }, { x: 500, who: null, live: 1 });
  assert.equal(h.published.length, 0, 'one usable frame is not enough');
  await h.show({ x: 202, who: 'alice', live: 1 }, { x: 502, who: null, live: 1 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity, d.frames]), [['grant', 'alice', 2], ['unknown', null, 2]]);
  await h.show({ x: 204, who: 'alice', live: 1 }, { x: 504, who: null, live: 1 });
  assert.equal(h.published.length, 2, 'decided tracks stay decided');
  await h.stop();
});

test('mean-embedding: small faces do not count towards the frames needed', async () => {
  const h = harness({ rule: 'mean-embedding' }, { noLiveness: true });
  await h.show({ x: 200, who: 'alice', live: 1, eye: 10 });
  await h.show({ x: 202, who: 'alice', live: 1 });
  assert.equal(h.published.length, 0);
  await h.show({ x: 204, who: 'alice', live: 1 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity]), [['grant', 'alice']]);
  await h.stop();
});

test('weighted unit mean: known answer', () => {
  const m = weightedUnitMean([Float32Array.from([1, 0]), Float32Array.from([0, 1])], [3, 1]);
  assert.ok(Math.abs(m[0] - 3 / Math.sqrt(10)) < 1e-6 && Math.abs(m[1] - 1 / Math.sqrt(10)) < 1e-6);
});
