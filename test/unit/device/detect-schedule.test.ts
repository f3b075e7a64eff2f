import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsFullPass } from '../../../device/loop/detect-schedule.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { FrameLoop } from '../../../device/loop/frame-loop.ts';
import { harness, LOOP_DEFAULTS, ScriptedSource, unusedPorts } from './loop-harness.ts';
import { DeviceMetrics } from '../../../device/health/metrics.ts';
import { silentLogger } from '../../../sdk/logger.ts';

test('needsFullPass: known answers', () => {
  const base = { frameNo: 7, lastFullFrame: 5, hints: 1, lost: false, fullEvery: 5 };
  assert.equal(needsFullPass(base), false, 'a track, 2 frames after the last full pass');
  assert.equal(needsFullPass({ ...base, frameNo: 10 }), true, '5 frames after it');
  assert.equal(needsFullPass({ ...base, frameNo: 9 }), false, '4 frames after it');
  assert.equal(needsFullPass({ ...base, hints: 0 }), true, 'no track to follow');
  assert.equal(needsFullPass({ ...base, lost: true }), true, 'the last around pass lost a face');
  assert.equal(needsFullPass({ ...base, lastFullFrame: 0 }), true, 'no full pass yet');
  assert.equal(needsFullPass({ ...base, fullEvery: 1 }), true, 'guidance off');
});

const person = { x: 100, who: 'alice', live: 0.9 };

test('frame loop: whole frame every 5th frame while a track lives, around passes in between', async () => {
  const h = harness({ fullDetectEvery: 5 }, { around: true, noLiveness: true });
  for (let i = 0; i < 11; i++) await h.show(person);
  await h.stop();
  assert.deepEqual(h.passes, ['full', 'around', 'around', 'around', 'around', 'full', 'around', 'around', 'around', 'around', 'full']);
  assert.ok(h.hints.every((n) => n === 1), 'each around pass gets the one live track');
  assert.deepEqual(h.stats.map((s) => s.fullPass), h.passes.map((p) => p === 'full'));
  assert.equal(h.published.length, 1, 'one decision for the one person, as with full passes');
});

test('frame loop: a face the around pass lost, and an empty scene, get the whole frame next', async () => {
  const h = harness({ fullDetectEvery: 5 }, { around: true, noLiveness: true });
  await h.show(person); // full: the track starts
  await h.show(); // around: the face is gone
  await h.show(); // full (lost), the track still lives (missed frames)
  await h.show(person); // around again (the track is live), finds the face
  await h.stop();
  assert.deepEqual(h.passes, ['full', 'around', 'full', 'around']);
  const empty = harness({ fullDetectEvery: 5 }, { around: true, noLiveness: true });
  await empty.show();
  await empty.show();
  await empty.stop();
  assert.deepEqual(empty.passes, ['full', 'full'], 'nothing to follow: every frame is a full pass');
});

test('frame loop: fullDetectEvery 1, or no detectAround port, searches the whole frame every frame', async () => {
  for (const [opts, h] of [[{ fullDetectEvery: 1 }, { around: true }], [{}, {}]] as const) {
    const loop = harness(opts, { ...h, noLiveness: true });
    for (let i = 0; i < 4; i++) await loop.show(person);
    await loop.stop();
    assert.deepEqual(loop.passes, ['full', 'full', 'full', 'full']);
  }
});

test('frame loop: fullDetectEvery must be a whole number >= 1', () => {
  for (const bad of [0, 2.5, -1]) {
    assert.throws(() => new FrameLoop({ ...unusedPorts(), source: new ScriptedSource(), metrics: new DeviceMetrics(), logger: silentLogger }, { ...LOOP_DEFAULTS, liveness: undefined, fullDetectEvery: bad }),
      (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID' && /fullDetectEvery/.test(e.message));
  }
});
