import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLivenessReport, type ScoredSample } from '../../../sdk/liveness/evaluate.ts';

let line = 1;
const live = (subject: string, score: number | null): ScoredSample => ({ image: `l${line}.jpg`, label: 'live', subject, score, faces: score === null ? 0 : 1, line: ++line, ms: 10 });
const attack = (subject: string, score: number, attackType: string, attackVariant: string): ScoredSample =>
  ({ image: `a${line}.jpg`, label: 'attack', subject, score, attackType, attackVariant, faces: 1, line: ++line, ms: 20 });

// Subject A: 10 live 0.91..1.00; subject B: 10 live 0.51..0.60; attacks: print still/warped, replay.
const scored: ScoredSample[] = [
  ...Array.from({ length: 10 }, (_, i) => live('A', (91 + i) / 100)),
  ...Array.from({ length: 10 }, (_, i) => live('B', (51 + i) / 100)),
  live('B', null),
  attack('A', 0.1, 'print', 'still'), attack('A', 0.52, 'print', 'still'), attack('B', 0.2, 'print', 'warped'),
  attack('B', 0.955, 'replay', 'phone'), attack('C', 0.05, 'replay', 'tablet'),
];

test('without a threshold: BPCER 5% on this data, APCER there, per type, variant and subject', () => {
  const r = buildLivenessReport(scored, { model: 'm' });
  // 20 live with a face: one reject allowed -> between 0.51 and 0.52.
  assert.equal(r.threshold, 0.515);
  assert.equal(r.bpcer, 0.05);
  assert.equal(r.liveRejected, 1);
  // Accepted: 0.52 (print still) and 0.955 (replay phone) of 5.
  assert.equal(r.apcer, 0.4);
  assert.deepEqual(r.apcerByAttackType, { print: { apcer: 0.3333, accepted: 1, attacks: 3 }, replay: { apcer: 0.5, accepted: 1, attacks: 2 } });
  assert.equal(r.apcerByAttackVariant.still.apcer, 0.5);
  assert.equal(r.apcerByAttackVariant.tablet.apcer, 0);
  assert.equal(r.apcerWorstAttackType, 0.5);
  assert.deepEqual(r.noFace, [{ image: scored[20].image, label: 'live' }]);
  assert.equal(r.images, 26);
  const b = r.subjects!.find((s) => s.subject === 'B')!;
  assert.equal(b.live, 10);
  assert.equal(b.bpcer, 0.1);
  assert.equal(b.apcer, 0.5);
  assert.equal(b.minLiveScore, 0.51);
  assert.equal(r.msPerFace!.median, 10);
  // AUC: attacks 0.1, 0.2, 0.05 lose to all 20 live; 0.52 beats 0.51 and ties 0.52 (half); 0.955 beats 15.
  assert.equal(r.auc, (3 * 20 + 18.5 + 5) / 100);
});

test('a given threshold is evaluated as is', () => {
  const r = buildLivenessReport(scored, { model: 'm', threshold: 0.9 });
  assert.equal(r.thresholdRule, 'given');
  assert.equal(r.bpcer, 0.5);
  assert.equal(r.apcer, 0.2);
});

test('--fit-subjects: threshold from the fit subjects, figures on the others', () => {
  const r = buildLivenessReport(scored, { model: 'm', fitSubjects: ['A'] });
  // A's 10 live: floor(0.05 * 10) = 0 rejects -> just below 0.91.
  assert.ok(r.threshold < 0.91 && r.threshold > 0.909);
  assert.deepEqual(r.fit, { subjects: ['A'], live: 10, attacks: 2, bpcer: 0, apcer: 0 });
  // Reported on B and C: all 10 B live rejected; attacks 0.2, 0.955, 0.05 -> one accepted.
  assert.equal(r.live, 10);
  assert.equal(r.bpcer, 1);
  assert.equal(r.apcer, 0.3333);
  assert.throws(() => buildLivenessReport(scored, { model: 'm', fitSubjects: ['Z'] }), /subjects not in the labels: Z/);
  assert.throws(() => buildLivenessReport(scored, { model: 'm', fitSubjects: ['A', 'B', 'C'] }), /leaves no other subject/);
  assert.throws(() => buildLivenessReport(scored, { model: 'm', fitSubjects: ['C'] }), /no live image with a face among the --fit-subjects/);
});
