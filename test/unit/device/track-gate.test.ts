import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeTrack, type GateVote } from '../../../device/loop/track-gate.ts';

const v = (identity: string | null, extra: Partial<GateVote> = {}): GateVote => ({ identity, distance: 0.6, weight: 40, ...extra });
const gate = { votes: 3, window: 5, liveness: { threshold: 0.01, minFrames: 3, window: 5 } };

test('grant only once the vote is ready and 3 of the last 5 liveness scores pass', () => {
  const votes = [v('a'), v('a'), v('a')];
  assert.deepEqual(judgeTrack(votes.slice(0, 2), [0.9, 0.9], gate), { kind: 'wait', for: 'vote' });
  const g = judgeTrack(votes, [0.9, 0.5, 0.02], gate);
  assert.equal(g.kind, 'grant');
  assert.ok(g.kind === 'grant' && g.identity === 'a' && g.frames === 3 && g.liveness?.verdict === 'live' && g.liveness.liveFrames === 3);
  assert.ok(g.kind === 'grant' && Math.abs(g.liveness!.score - 1.42 / 3) < 1e-12);
});

test('vote ready but liveness short of evidence: wait, with the aggregate so far', () => {
  const votes = [v('a'), v('a'), v('a')];
  const w = judgeTrack(votes, [0.9, 0.9], gate);
  assert.equal(w.kind, 'wait');
  assert.ok(w.kind === 'wait' && w.for === 'liveness' && w.liveness?.frames === 2);
  // 2 live of 4: not 3 yet and the window is not full -> still waiting, not refused.
  assert.deepEqual(judgeTrack(votes, [0.9, 0.001, 0.9, 0.001], gate).kind, 'wait');
  // No scores at all (every scoring failed): never a grant.
  assert.deepEqual(judgeTrack(votes, [], gate).kind, 'wait');
});

test('a full window with fewer than 3 live frames is an attack, however confident the live ones', () => {
  const votes = [v('a'), v('a'), v('a'), v('a'), v('a')];
  const a = judgeTrack(votes, [1, 0.0001, 1, 0.002, 0.0099], gate);
  assert.equal(a.kind, 'attack');
  assert.ok(a.kind === 'attack' && a.identity === 'a' && a.liveness.liveFrames === 2 && a.liveness.frames === 5);
  // Only the last 5 scores count: an old live run does not carry a later attack.
  assert.equal(judgeTrack(votes, [0.9, 0.9, 0.9, 0.001, 0.001, 0.001, 0.001, 0.001], gate).kind, 'attack');
  // Mean mode: the window mean against the threshold (0.016 / 3 = 0.0053 < 0.01; 0.036 / 3 = 0.012).
  assert.equal(judgeTrack(votes, [0.001, 0.005, 0.01], { ...gate, liveness: { ...gate.liveness, mode: 'mean' } }).kind, 'attack');
  assert.equal(judgeTrack(votes, [0.001, 0.005, 0.03], { ...gate, liveness: { ...gate.liveness, mode: 'mean' } }).kind, 'grant');
});

test('unknown and refused identities never wait for liveness; gate off grants on the vote', () => {
  assert.deepEqual(judgeTrack([v(null), v(null), v(null)], [], gate), { kind: 'unknown', frames: 3 });
  // The last frame of the voted identity decides refusal (as the matcher said on that frame).
  assert.deepEqual(judgeTrack([v('a'), v('a'), v('a', { refused: true, distance: 0.5 })], [], gate), { kind: 'refuse', identity: 'a', distance: 0.5, frames: 3 });
  assert.equal(judgeTrack([v('a', { refused: true }), v('a'), v('a')], [0.9, 0.9, 0.9], gate).kind, 'grant');
  assert.deepEqual(judgeTrack([v('a'), v('a'), v('a')], [], { votes: 3, window: 5 }), { kind: 'grant', identity: 'a', distance: 0.6, frames: 3, liveness: null });
});

test('one frame never grants: with votes 1 the liveness minimum (>= 2 frames) still holds', () => {
  const one = { votes: 1, window: 1, liveness: { threshold: 0.01, minFrames: 2, window: 2 } };
  assert.equal(judgeTrack([v('a')], [0.99], one).kind, 'wait');
  assert.equal(judgeTrack([v('a')], [0.99, 0.99], one).kind, 'grant');
});
