/**
 * The frame loop's liveness bookkeeping with scripted stage results (known answers): which faces
 * are scored, when a track is decided, what is published and counted. The models themselves are
 * exercised end to end in test/integration/device/liveness-gate.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameLoop } from '../../../device/loop/frame-loop.ts';
import { DeviceMetrics } from '../../../device/health/metrics.ts';
import { silentLogger } from '../../../sdk/logger.ts';
import { LOOP_DEFAULTS, ScriptedSource, counter, harness, unusedPorts } from './loop-harness.ts';

test('a photo: denied once per track as presentation_attack after a full window, never granted, counted', async () => {
  const h = harness();
  for (let i = 0; i < 4; i++) await h.show({ x: 200, who: 'alice', live: 0.001 });
  assert.equal(h.published.length, 0, 'votes ready after 2 frames, but 4 scored frames are neither live nor a full window');
  await h.show({ x: 200, who: 'alice', live: 0.002 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity, d.reason, d.frames]), [['deny', 'alice', 'presentation_attack', 3]]);
  assert.equal(h.published[0].liveness, 0.0012, 'mean of the 5 scores');
  for (let i = 0; i < 5; i++) await h.show({ x: 205, who: 'alice', live: 0.9 });
  assert.equal(h.published.length, 1, 'the decided track is neither scored nor decided again');
  assert.equal(h.scored, 5);
  assert.deepEqual(h.pulses, []);
  assert.equal(await counter(h.metrics.presentationAttacks), 1);
  assert.equal((await h.metrics.livenessMs.get()).values.find((v) => v.metricName === 'facegate_liveness_ms_count')?.value, 5);
  await h.stop();
});

test('a live person: granted on the 3rd frame (votes alone would have granted on the 2nd), door pulsed', async () => {
  const h = harness();
  await h.show({ x: 200, who: 'alice', live: 0.9 });
  await h.show({ x: 202, who: 'alice', live: 0.02 });
  assert.equal(h.published.length, 0);
  await h.show({ x: 204, who: 'alice', live: 0.5 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity, d.reason]), [['grant', 'alice', undefined]]);
  assert.equal(h.published[0].liveness, 0.4733, 'mean of 0.9, 0.02, 0.5 to 4 significant digits');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.pulses, ['alice']);
  assert.equal(await counter(h.metrics.presentationAttacks), 0);
  await h.stop();
});

test('an attack does not use up the real person\'s cooldown; strangers, refused and small faces are not scored', async () => {
  const h = harness();
  // A stranger, a refused identity and a face too small to use: none can open the door.
  for (let i = 0; i < 3; i++) await h.show({ x: 0, who: null, live: 0.9 }, { x: 250, who: 'bob!', live: 0.9 }, { x: 500, who: 'alice', live: 0.9, eye: 10 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity, d.reason]), [['unknown', null, undefined], ['deny', 'bob!', 'disabled']]);
  assert.equal(h.scored, 0);
  // Alice's photo at one spot, then Alice herself at another: the attack is denied, she is granted.
  for (let i = 0; i < 5; i++) await h.show({ x: 300, who: 'alice', live: 0.0001 });
  for (let i = 0; i < 3; i++) await h.show({ x: 20, who: 'alice', live: 0.95 });
  assert.deepEqual(h.published.slice(2).map((d) => [d.decision, d.identity, d.reason]), [['deny', 'alice', 'presentation_attack'], ['grant', 'alice', undefined]]);
  await h.stop();
});

test('a failing scorer never grants: errors counted, the track waits', async () => {
  const h = harness({}, { failScore: true });
  for (let i = 0; i < 6; i++) await h.show({ x: 200, who: 'alice', live: 0.9 });
  assert.equal(h.published.length, 0);
  assert.equal(h.scored, 6);
  assert.equal((await h.metrics.errors.get()).values.find((v) => v.labels.area === 'liveness')?.value, 6);
  await h.stop();
});

test('the liveness port and its options go together', () => {
  const source = new ScriptedSource();
  assert.throws(() => new FrameLoop({ source, metrics: new DeviceMetrics(), logger: silentLogger, ...unusedPorts(), liveness: { score: async () => 1 } },
    { ...LOOP_DEFAULTS, liveness: undefined }), { code: 'FG_CONFIG_INVALID', message: /liveness port and the liveness options/ });
});
