import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSetSummary, type ProbeOutcome } from '../../../sdk/match/open-set.ts';

const known = (truth: string, nearest: string | null, d1: number | null, granted: boolean): ProbeOutcome =>
  ({ truth, nearest, d1, decision: granted ? 'grant' : 'unknown', identity: granted ? nearest : null });
const stranger = (nearest: string, d1: number | null, granted: boolean): ProbeOutcome =>
  ({ truth: null, nearest, d1, decision: granted ? 'grant' : 'unknown', identity: granted ? nearest : null });

test('hand-checked figures on a small probe set', () => {
  const outcomes: ProbeOutcome[] = [
    known('a', 'a', 0.50, true),
    known('b', 'b', 0.70, true),
    known('c', 'x', 0.60, true), // misidentified
    known('d', 'd', 0.95, false), // right but far
    known('e', null, null, false), // no face
    // 10 strangers: d1 0.65, 0.8, 0.9 ... ; one granted at the operating point
    stranger('a', 0.65, true),
    ...[0.80, 0.90, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25].map((d) => stranger('b', d, false)),
    stranger('c', null, false),
  ];
  const s = openSetSummary(outcomes, [0.1, 0.2, 0.5]);
  assert.equal(s.known, 5);
  assert.equal(s.unknown, 10);
  assert.equal(s.rank1, 3 / 5); // a, b, d
  assert.equal(s.true_accept_rate, 2 / 5);
  assert.equal(s.misidentification_rate, 1 / 5);
  assert.equal(s.false_accept_rate, 1 / 10);
  // FPIR 0.1: 1 stranger may pass -> bound = 2nd smallest stranger d1 = 0.80 -> a (0.5), b (0.7) pass
  assert.equal(s.threshold_at_fpir['0.1'], 0.80);
  assert.equal(s.dir_at_fpir['0.1'], 2 / 5);
  // FPIR 0.2: bound = 3rd smallest = 0.90 -> still a, b (d at 0.95 is above)
  assert.equal(s.dir_at_fpir['0.2'], 2 / 5);
  // FPIR 0.5: bound = 6th smallest = 1.10 -> a, b, d
  assert.equal(s.threshold_at_fpir['0.5'], 1.10);
  assert.equal(s.dir_at_fpir['0.5'], 3 / 5);
});

test('FPIR 0 means no stranger may pass; no strangers gives no DIR', () => {
  const s = openSetSummary([known('a', 'a', 0.3, true), stranger('a', 0.3, true), stranger('a', 0.9, false)], [0]);
  assert.equal(s.threshold_at_fpir['0'], 0.3);
  assert.equal(s.dir_at_fpir['0'], 0, 'strict bound: a tie with a stranger is not accepted');
  const none = openSetSummary([known('a', 'a', 0.3, true)]);
  assert.deepEqual([none.false_accept_rate, none.dir_at_fpir, none.rank1], [null, {}, 1]);
});

test('with a margin, probes whose two nearest identities are too close are never accepted', () => {
  const k = (truth: string, d1: number, d2: number): ProbeOutcome => ({ truth, nearest: truth, d1, d2, decision: 'unknown', identity: null });
  const u = (d1: number, d2: number): ProbeOutcome => ({ truth: null, nearest: 'a', d1, d2, decision: 'unknown', identity: null });
  const outcomes = [k('a', 0.40, 0.90), k('b', 0.50, 0.55), k('c', 0.70, 1.20), u(0.45, 0.50), u(0.60, 1.10), u(0.90, 1.30)];
  // margin 0: unknown d1 sorted 0.45, 0.60, 0.90; FPIR 0 -> bound 0.45 -> only a (0.40)
  assert.equal(openSetSummary(outcomes, [0]).dir_at_fpir['0'], 1 / 3);
  // margin 0.1: the 0.45 stranger (gap 0.05) and b (gap 0.05) can never pass; bound 0.60 -> a
  const m = openSetSummary(outcomes, [0, 0.34], 0.1);
  assert.equal(m.threshold_at_fpir['0'], 0.60);
  assert.equal(m.dir_at_fpir['0'], 1 / 3);
  // FPIR 0.34: one stranger may pass -> bound 0.90 -> a and c
  assert.equal(m.dir_at_fpir['0.34'], 2 / 3);
});
