import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenSetProtocol, ExactIdentitySearch, nearestTwo, grantedIdentity, impostorDistances, type LabeledRows } from '../../../calibration/open-set-protocol.ts';
import { evaluateOpenSet } from '../../../calibration/open-set-evaluation.ts';
import { fitImpostorTail } from '../../../sdk/match/operating-point.ts';
import { applyLabelFixes } from '../../../calibration/label-fixes.ts';

/** Rows on axis k of a dim-d space, slightly tilted per photo so each person is a tight cluster. */
function rows(people: [string, number][], dim = 16): LabeledRows {
  const identity: string[] = [];
  const vecs: number[][] = [];
  people.forEach(([name, n], k) => {
    for (let i = 0; i < n; i++) {
      const v = new Array(dim).fill(0);
      v[k % dim] = 1;
      v[(k + 1) % dim] = 0.05 * i;
      const s = Math.hypot(...v);
      vecs.push(v.map((x) => x / s));
      identity.push(name);
    }
  });
  return { identity, vectors: Float32Array.from(vecs.flat()), dim, ok: identity.map(() => true) };
}

test('protocol: multi-photo people enrolled and probed, singles split into distractors and strangers, tracks', () => {
  const r = rows([['a', 5], ['b', 2], ['c', 3], ['s1', 1], ['s2', 1], ['s3', 1], ['s4', 1]]);
  const p = buildOpenSetProtocol(r, { gallerySize: 5, shots: 2, seed: 1 });
  assert.deepEqual(p.identities.slice(0, 3), ['a', 'b', 'c']);
  assert.equal(p.identities.length, 5, '3 enrolled people + 2 distractors');
  assert.deepEqual(p.templates.slice(0, 3), [[0, 1], [5], [7, 8]], 'b has 2 photos: 1 enrolled, 1 probe');
  assert.deepEqual(p.mated.map((m) => [m.row, m.truth]), [[2, 0], [6, 1], [9, 2]]);
  assert.equal(p.strangers.filter((s) => s.leftOut < 0).length, 2, 'the two singles not enrolled');
  assert.deepEqual(p.strangers.filter((s) => s.leftOut >= 0).map((s) => s.row), [2, 6, 9], 'each enrolled person once, left out');
  assert.deepEqual(p.matedTracks.map((t) => t.rows), [[2, 3, 4]], 'only a has 2 + 3 photos');
  assert.deepEqual(p.strangerTracks.map((t) => t.rows), [[0, 1, 2], [7, 8, 9]]);
  assert.throws(() => buildOpenSetProtocol(r, { gallerySize: 2, shots: 1, seed: 1 }), /below the 3 people/);
});

test('search: per-identity nearest template, left-out identity excluded; decide rule with margin', () => {
  const r = rows([['a', 3], ['b', 3]]);
  const p = buildOpenSetProtocol(r, { gallerySize: 2, shots: 1, seed: 1 });
  const s = new ExactIdentitySearch(r, p);
  const q = r.vectors.subarray(1 * r.dim, 2 * r.dim); // a's 2nd photo
  const d = s.distances(q);
  assert.ok(d[0] < 0.06 && d[1] > 1.3);
  assert.equal(s.distances(q, 0)[0], Infinity);
  const n = nearestTwo(d);
  assert.equal(n.nearest, 0);
  assert.equal(grantedIdentity(n, 0.5, 0), 0);
  assert.equal(grantedIdentity(n, 0.01, 0), -1, 'above the threshold');
  assert.equal(grantedIdentity(n, 0.5, 2), -1, 'inside the margin');
  assert.equal(impostorDistances(r).length, 9, '3 x 3 different-person pairs');
});

test('evaluation: separable people are all granted, no stranger is', () => {
  const people: [string, number][] = [];
  for (let k = 0; k < 12; k++) people.push([`p${k}`, k < 6 ? 5 : 1]);
  const r = rows(people, 32);
  const p = buildOpenSetProtocol(r, { gallerySize: 9, shots: 1, seed: 3 });
  const tail = fitImpostorTail(Float64Array.from({ length: 20000 }, (_, i) => 1.2 + (0.3 * i) / 20000), 't');
  const e = evaluateOpenSet(r, p, tail, { fpir: 0.01, margin: 0, votes: 3, modelSizes: [100] });
  assert.equal(e.single.granted_as_self.count, 6);
  assert.equal(e.single.strangers_granted.count, 0);
  assert.equal(e.tracks.rules.mean_embedding.granted_as_self.count, 6);
  assert.equal(e.tracks.rules.vote.strangers_granted.count, 0);
  assert.ok(e.modelled[0].threshold < e.threshold + 1e-9);
});

test('same-person names fold into one identity', () => {
  const out = applyLabelFixes([{ identity: 'Doc_Rivers', path: '/x/1.jpg' }, { identity: 'Glenn_Rivers', path: '/x/2.jpg' }], { names: new Map([['Doc_Rivers', 'Glenn_Rivers']]), photos: new Map() });
  assert.deepEqual(out.map((i) => i.identity), ['Glenn_Rivers', 'Glenn_Rivers']);
});

test('a photo filed under the wrong person moves to the right one; the names stay apart', () => {
  const items = [
    { identity: 'A', path: '/x/A/A_1.jpg' }, { identity: 'A', path: '/x/A/A_2.jpg' },
    { identity: 'B', path: '/x/B/B_1.jpg' }, { identity: 'B', path: '/x/B/B_2.jpg' },
  ];
  // each name holds one photo of each person: swap the second photos
  const out = applyLabelFixes(items, { names: new Map(), photos: new Map([['/x/A/A_2.jpg', 'B'], ['/x/B/B_2.jpg', 'A']]) });
  assert.deepEqual(out.map((i) => i.identity), ['A', 'B', 'B', 'A']);
  // a moved photo then follows a name merge of its new name
  const merged = applyLabelFixes(items, { names: new Map([['B', 'C']]), photos: new Map([['/x/A/A_2.jpg', 'B']]) });
  assert.deepEqual(merged.map((i) => i.identity), ['A', 'C', 'C', 'C']);
});
