/**
 * Embedding reuse for decided tracks: the pure plan (known answers) and the loop's behaviour on
 * scripted frames, including the bound on how late a person who replaces another is seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planEmbeddingReuse, type EmbeddingPlan, type ReuseCandidate } from '../../../device/loop/embed-reuse.ts';

const FULL: EmbeddingPlan = { kind: 'full' };
const reuse = (track: number): EmbeddingPlan => ({ kind: 'reuse', track });
const check = (track: number): EmbeddingPlan => ({ kind: 'check', track });
import { FrameLoop } from '../../../device/loop/frame-loop.ts';
import { DeviceMetrics } from '../../../device/health/metrics.ts';
import { silentLogger } from '../../../sdk/logger.ts';
import { LOOP_DEFAULTS, ScriptedSource, harness, unusedPorts } from './loop-harness.ts';

const opts = { every: 5, trackMinIou: 0.3, minEmbeddedIou: 0.5 };
const box = (x: number, y = 100) => ({ x, y, w: 120, h: 150 });
const decided = (x: number, frame: number, embeddedX = x): ReuseCandidate => ({ box: box(x), decided: true, embedded: { box: box(embeddedX), frame } });

test('plan: a decided track reuses while its embedding is younger than `every` frames', () => {
  const tracks = [decided(100, 10)];
  assert.deepEqual(planEmbeddingReuse(tracks, [box(102)], 11, opts), [reuse(0)]);
  assert.deepEqual(planEmbeddingReuse(tracks, [box(102)], 14, opts), [reuse(0)]);
  assert.deepEqual(planEmbeddingReuse(tracks, [box(102)], 15, opts), [check(0)], '5 frames old: embed again, for the veto');
  assert.deepEqual(planEmbeddingReuse(tracks, [box(102)], 11, { ...opts, every: 1 }), [check(0)], 'every 1: always embed');
});

test('plan: undecided tracks and far boxes get a full embedding; a decided face that moved off its embedded box a check', () => {
  assert.deepEqual(planEmbeddingReuse([{ ...decided(100, 10), decided: false }], [box(100)], 11, opts), [FULL]);
  assert.deepEqual(planEmbeddingReuse([decided(100, 10)], [box(400)], 11, opts), [FULL]);
  // IoU with the track's latest box 0.85 (it drifted), with the embedded box (120-50)/(120+50) = 0.41.
  assert.deepEqual(planEmbeddingReuse([decided(140, 10, 90)], [box(140)], 11, opts), [check(0)]);
  assert.deepEqual(planEmbeddingReuse([decided(140, 10, 110)], [box(140)], 11, opts), [reuse(0)]);
});

test('plan: only one-to-one candidates reuse or check (two faces on one track, two tracks on one face)', () => {
  assert.deepEqual(planEmbeddingReuse([decided(100, 10)], [box(100), box(150)], 11, opts), [FULL, FULL]);
  assert.deepEqual(planEmbeddingReuse([decided(100, 10), decided(150, 10)], [box(125)], 11, opts), [FULL]);
  // Two people side by side, each on their own track: both reuse, each their own.
  assert.deepEqual(planEmbeddingReuse([decided(400, 10), decided(100, 10)], [box(100), box(400)], 11, opts), [reuse(1), reuse(0)]);
});

test('loop: a decided stranger standing still is embedded every 5th frame; undecided faces every frame', async () => {
  const h = harness({}, { noLiveness: true });
  for (let i = 0; i < 12; i++) await h.show({ x: 200, who: null, live: 1 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.frames]), [['unknown', 2]]);
  assert.deepEqual(h.stats.map((s) => s.embedded), [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 'decided on frame 2; embedded again on frames 7 and 12');
  assert.ok(h.stats.every((s) => s.faces === 1));
  // A face too small to vote never decides its track, so it is embedded on every frame.
  for (let i = 0; i < 6; i++) await h.show({ x: 200, who: null, live: 1 }, { x: 500, who: 'alice', live: 1, eye: 10 });
  assert.equal(h.stats.slice(12).reduce((n, s) => n + s.embedded, 0), 6 + 1, 'the small face 6 times, the stranger once (frame 17)');
  await h.stop();
});

test('loop with a tracking embedding: a decided face is followed with it, never fully embedded again', async () => {
  const h = harness({}, { noLiveness: true, tracking: true });
  for (let i = 0; i < 12; i++) await h.show({ x: 200, who: null, live: 1 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.frames]), [['unknown', 2]]);
  assert.deepEqual(h.stats.map((s) => s.embedded), [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'full embeddings only until the decision');
  assert.deepEqual(h.stats.map((s) => s.checked), [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 'checked on frames 7 and 12');
  // A new face beside it is undecided: fully embedded on every frame until it decides.
  for (let i = 0; i < 3; i++) await h.show({ x: 200, who: null, live: 1 }, { x: 500, who: 'alice', live: 1 });
  assert.deepEqual(h.stats.slice(12).map((s) => s.embedded), [1, 1, 0]);
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity]), [['unknown', null], ['grant', 'alice']]);
  await h.stop();
});

/** The frame (1-based) on which Bob, replacing Alice at the same spot on frame 4, is granted. */
async function bobGrantedOn(reembedEvery: number, bobX = 200, tracking = false): Promise<number> {
  const h = harness({ reembedEvery }, { tracking });
  for (let i = 0; i < 3; i++) await h.show({ x: 200, who: 'alice', live: 0.9 });
  assert.deepEqual(h.published.map((d) => [d.decision, d.identity]), [['grant', 'alice']], 'Alice: votes and 3 live frames');
  for (let frame = 4; frame <= 20; frame++) {
    await h.show({ x: bobX, who: 'bob', live: 0.9 });
    if (h.published.length > 1) {
      assert.deepEqual(h.published.map((d) => [d.decision, d.identity]), [['grant', 'alice'], ['grant', 'bob']]);
      assert.notEqual(h.published[1].track, h.published[0].track, 'Bob on a track of his own');
      await h.stop();
      return frame;
    }
  }
  await h.stop();
  return Infinity;
}

test('loop: a person replacing a decided one at the same spot gets their own decision, at most every-1 frames later', async () => {
  const everyFrame = await bobGrantedOn(1);
  assert.equal(everyFrame, 6, 'embedding every frame: Bob is seen on frame 4 and granted on his 3rd live frame');
  assert.equal(await bobGrantedOn(5), everyFrame + 4, 'Alice last embedded on frame 3: Bob embedded on frame 8');
  assert.equal(await bobGrantedOn(3), everyFrame + 2, 'every 3: Bob embedded on frame 6');
  // Bob stands 50 px off Alice's embedded box (IoU 0.41 >= the tracker's 0.3, < 0.5): embedded at once.
  assert.equal(await bobGrantedOn(5, 250), everyFrame);
  // Checking decided faces with the tracking embedding sees Bob on the same frames.
  assert.equal(await bobGrantedOn(1, 200, true), everyFrame);
  assert.equal(await bobGrantedOn(5, 200, true), everyFrame + 4);
  assert.equal(await bobGrantedOn(5, 250, true), everyFrame);
});

test('reembedEvery must be a whole number >= 1', () => {
  for (const reembedEvery of [0, 2.5, -1]) {
    assert.throws(() => new FrameLoop({ source: new ScriptedSource(), metrics: new DeviceMetrics(), logger: silentLogger, ...unusedPorts() }, { ...LOOP_DEFAULTS, liveness: undefined, reembedEvery }),
      { code: 'FG_CONFIG_INVALID', message: /reembedEvery/ });
  }
});
