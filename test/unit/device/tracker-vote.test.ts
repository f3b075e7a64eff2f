import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tracker, iou } from '../../../device/loop/tracker.ts';
import { voteTrack, Cooldown, type FrameVote } from '../../../device/loop/vote.ts';

test('iou of known boxes', () => {
  assert.equal(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 0, y: 0, w: 10, h: 10 }), 1);
  assert.equal(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 0, w: 10, h: 10 }), 0);
  // overlap 5x10 = 50; union 100 + 100 - 50 = 150
  assert.ok(Math.abs(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 }) - 1 / 3) < 1e-12);
});

test('tracker keeps identity of a moving face and starts a new track for a far face', () => {
  const t = new Tracker<number>({ minIou: 0.3, maxMissedFrames: 2, window: 5 });
  const a1 = t.update([{ box: { x: 100, y: 100, w: 80, h: 80 }, observation: 1 }]);
  const a2 = t.update([{ box: { x: 108, y: 104, w: 80, h: 80 }, observation: 2 }, { box: { x: 400, y: 100, w: 80, h: 80 }, observation: 3 }]);
  assert.equal(a2[0].id, a1[0].id);
  assert.notEqual(a2[1].id, a1[0].id);
  assert.deepEqual(a2[0].observations, [1, 2]);
  // The far track disappears after maxMissedFrames frames without a match.
  t.update([{ box: { x: 110, y: 104, w: 80, h: 80 }, observation: 4 }]);
  t.update([{ box: { x: 112, y: 104, w: 80, h: 80 }, observation: 5 }]);
  t.update([{ box: { x: 114, y: 104, w: 80, h: 80 }, observation: 6 }]);
  assert.equal(t.active.length, 1);
  assert.deepEqual(t.active[0].observations, [1, 2, 4, 5, 6]);
});

test('tracker window bounds the observations kept', () => {
  const t = new Tracker<number>({ minIou: 0.3, maxMissedFrames: 2, window: 3 });
  for (let i = 0; i < 10; i++) t.update([{ box: { x: 100, y: 100, w: 80, h: 80 }, observation: i }]);
  assert.deepEqual(t.active[0].observations, [7, 8, 9]);
});

const v = (identity: string | null, weight = 40, distance = 0.8): FrameVote => ({ identity, weight, distance });

test('vote: needs N agreeing frames of M', () => {
  const opts = { votes: 3, window: 5 };
  assert.deepEqual(voteTrack([v('a'), v('a')], opts), { kind: 'pending' });
  const r = voteTrack([v('a'), v('a', 40, 0.7), v('a')], opts);
  assert.equal(r.kind, 'identity');
  assert.ok(r.kind === 'identity' && r.identity === 'a' && r.frames === 3 && r.distance === 0.7);
});

test('vote: a weighted minority cannot win; unknown wins as unknown', () => {
  const opts = { votes: 3, window: 5 };
  // Three small-face frames of "a" against two large-face frames of "b": weights 3x10 vs 2x60.
  assert.deepEqual(voteTrack([v('a', 10), v('b', 60), v('a', 10), v('b', 60), v('a', 10)], opts), { kind: 'pending' });
  assert.deepEqual(voteTrack([v(null), v(null), v('a'), v(null)], opts), { kind: 'unknown', frames: 3 });
});

test('vote only looks at the last window frames', () => {
  const opts = { votes: 3, window: 3 };
  assert.deepEqual(voteTrack([v('a'), v('a'), v('a'), v(null), v(null), v(null)], opts), { kind: 'unknown', frames: 3 });
});

test('cooldown per key', () => {
  const c = new Cooldown(10_000);
  assert.equal(c.take('a', 0), true);
  assert.equal(c.take('a', 5_000), false);
  assert.equal(c.take('b', 5_000), true);
  assert.equal(c.take('a', 10_000), true);
});

test('tracker: a different person at the same spot starts a new track when `same` vetoes the match', () => {
  const t = new Tracker<string>({ minIou: 0.3, maxMissedFrames: 5, window: 5, same: (a, b) => a === b });
  const box = { x: 100, y: 100, w: 80, h: 80 };
  const [a1] = t.update([{ box, observation: 'alice' }]);
  const [a2] = t.update([{ box, observation: 'alice' }]);
  const [b1] = t.update([{ box, observation: 'bob' }]);
  assert.equal(a2.id, a1.id);
  assert.notEqual(b1.id, a1.id);
  assert.deepEqual(b1.observations, ['bob']);
});
