// Gallery.search with the decision threshold: a narrow HNSW beam first, the wide one only when
// nobody lies within the threshold (what a graph miss looks like).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { euclidean, gaussian, mulberry32, randomUnit, syntheticPeople } from './synthetic.ts';

const DIM = 128;
const N = 3000;
const GRAPH = { m: 8, efConstruction: 64 }; // a deliberately sparse graph: a narrow beam misses

test('a threshold search widens the beam when nobody is within it, and only then', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-beam-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = syntheticPeople(N, DIM, 5, 0.6); // genuine 0.6; impostors ~1.41
  const g = await Gallery.open(dir, { modelId: 'beam-128', dim: DIM, create: true, centres: false, exactBelow: 100, hnsw: { ...GRAPH, ef: 400, efFirst: 1 } });
  const enrolled = p.centres.map((_, i) => p.sample(i));
  g.replaceAll(enrolled.map((v, i) => ({ identity: { id: `p${i}` }, templates: [v] })), 1);
  await g.whenIdle();
  assert.equal(g.stats().index.kind, 'hnsw');
  const probes = Array.from({ length: 200 }, (_, q) => ({ who: (q * 7) % N, v: p.sample((q * 7) % N) }));

  // the narrow beam alone misses people (same graph, ef 1: hnswlib widens it to the 16 results asked)
  await g.close();
  const narrow = await Gallery.open(dir, { exactBelow: 100, hnsw: { ...GRAPH, ef: 1 } });
  const narrowMisses = probes.filter(({ who, v }) => narrow.search(v, 1)[0].identityId !== `p${who}`).length;
  await narrow.close();
  assert.ok(narrowMisses > 0, `a narrow beam should miss some of 200 probes (missed ${narrowMisses})`);

  const g2 = await Gallery.open(dir, { exactBelow: 100, hnsw: { ...GRAPH, ef: 400, efFirst: 1 } });
  t.after(() => g2.close());
  for (const { who, v } of probes) {
    const wide = g2.search(v, 3);
    const stepped = g2.search(v, 3, { threshold: 1.0 });
    assert.equal(stepped[0].identityId, `p${who}`);
    assert.equal(stepped[0].distance, wide[0].distance);
  }
  // a stranger: nobody within the threshold, so the wide beam answers: the true nearest
  const g0 = gaussian(mulberry32(99));
  for (let s = 0; s < 20; s++) {
    const stranger = randomUnit(DIM, g0);
    const exact = Math.min(...enrolled.map((v) => euclidean(v, stranger)));
    const r = g2.search(stranger, 1, { threshold: 1.0 });
    assert.ok(Math.abs(r[0].distance - exact) < 1e-5, `${r[0].distance} vs exact ${exact}`);
  }
  for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
    assert.throws(() => g2.search(probes[0].v, 1, { threshold: bad }), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID' && /threshold/.test(e.message));
  }
});
