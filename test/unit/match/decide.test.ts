import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type MatchCandidate } from '../../../sdk/match/decide.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const c = (identityId: string, distance: number, extra: Partial<MatchCandidate> = {}): MatchCandidate => ({ identityId, distance, enabled: true, ...extra });

test('grant when d1 <= threshold and the next identity is at least margin farther', () => {
  const d = decide([c('ann', 0.70, { templateId: 4 }), c('bob', 0.95)], { threshold: 0.9, margin: 0.2, now: NOW });
  assert.deepEqual(d, { decision: 'grant', reason: 'match', identity: 'ann', templateId: 4, d1: 0.70, d2: 0.95 });
});

test('threshold is inclusive; just above it is unknown', () => {
  assert.equal(decide([c('ann', 0.9)], { threshold: 0.9, now: NOW }).decision, 'grant');
  const d = decide([c('ann', 0.9000001)], { threshold: 0.9, now: NOW });
  assert.deepEqual([d.decision, d.reason, d.identity, d.d1, d.d2], ['unknown', 'above_threshold', null, 0.9000001, null]);
});

test('margin: a gap smaller than the margin is ambiguous, equal passes', () => {
  const amb = decide([c('ann', 0.60), c('bob', 0.69)], { threshold: 0.9, margin: 0.1, now: NOW });
  assert.deepEqual([amb.decision, amb.reason, amb.d1, amb.d2], ['unknown', 'ambiguous', 0.60, 0.69]);
  // 0.5 and 0.75 are exact in binary: gap is exactly 0.25
  assert.equal(decide([c('ann', 0.5), c('bob', 0.75)], { threshold: 0.9, margin: 0.25, now: NOW }).decision, 'grant');
  // the other identity beyond the threshold still counts for the margin
  assert.equal(decide([c('ann', 0.85), c('bob', 0.91)], { threshold: 0.9, margin: 0.1, now: NOW }).reason, 'ambiguous');
});

test('several templates of the nearest identity do not count as "another identity"', () => {
  const d = decide([c('ann', 0.5), c('ann', 0.52), c('bob', 0.9)], { threshold: 0.8, margin: 0.3, now: NOW });
  assert.deepEqual([d.decision, d.d1, d.d2], ['grant', 0.5, 0.9]);
});

test('unsorted candidates give the same answer', () => {
  const a = decide([c('bob', 0.9), c('cy', 1.2), c('ann', 0.4)], { threshold: 0.8, margin: 0.1, now: NOW });
  assert.deepEqual([a.identity, a.d1, a.d2], ['ann', 0.4, 0.9]);
});

test('no candidates: unknown with null distances', () => {
  assert.deepEqual(decide([], { threshold: 1, now: NOW }), { decision: 'unknown', reason: 'no_candidates', identity: null, templateId: null, d1: null, d2: null });
});

test('deny: disabled, not yet valid, expired; grant inside the window (bounds inclusive)', () => {
  const opts = { threshold: 1, margin: 0.1, now: NOW };
  assert.deepEqual(Object.values(decide([c('ann', 0.5, { enabled: false })], opts)).slice(0, 3), ['deny', 'disabled', 'ann']);
  assert.equal(decide([c('ann', 0.5, { validFromMs: NOW + 1 })], opts).reason, 'not_yet_valid');
  assert.equal(decide([c('ann', 0.5, { validUntilMs: NOW - 1 })], opts).reason, 'expired');
  assert.equal(decide([c('ann', 0.5, { validFromMs: NOW, validUntilMs: NOW })], opts).decision, 'grant');
  assert.equal(decide([c('ann', 0.5, { validFromMs: null, validUntilMs: null })], opts).decision, 'grant');
});

test('a disabled identity that is not a confident match stays unknown (deny needs a match)', () => {
  assert.equal(decide([c('ann', 1.3, { enabled: false })], { threshold: 1, now: NOW }).decision, 'unknown');
  assert.equal(decide([c('ann', 0.5, { enabled: false }), c('bob', 0.55)], { threshold: 1, margin: 0.1, now: NOW }).reason, 'ambiguous');
});

test('invalid options are clear errors', () => {
  const bad = (o: { threshold: number; margin?: number; now: number }) =>
    assert.throws(() => decide([c('a', 0.1)], o), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID');
  bad({ threshold: 0, now: NOW });
  bad({ threshold: Number.NaN, now: NOW });
  bad({ threshold: 1, margin: -0.1, now: NOW });
  bad({ threshold: 1, now: Number.NaN });
});
