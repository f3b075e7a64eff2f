import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Gallery, GALLERY_DB } from '../../../sdk/gallery/index.ts';
import { hnswParamsForSize } from '../../../sdk/gallery/hnsw-by-size.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { decide } from '../../../sdk/match/decide.ts';
import { gaussian, jitter, mulberry32, randomUnit, sigmaFor } from './synthetic.ts';

const DIM = 64;
const MODEL = 'test-model-64';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fg-gallery-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function people(n: number, seed: number) {
  const g = gaussian(mulberry32(seed));
  const sigma = sigmaFor(0.6, DIM); // genuine 0.6 vs impostors ~1.41 +- 0.09: unambiguous
  const centres = Array.from({ length: n }, () => randomUnit(DIM, g));
  return { centres, sample: (i: number) => jitter(centres[i], sigma, g) };
}

function isCode(code: string) {
  return (e: unknown) => e instanceof FaceGateError && e.code === code;
}

test('enrol, search, decide, reopen: records and matches persist', async (t) => {
  const dir = tmp(t);
  const p = people(20, 1);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true });
  const probes: Float32Array[] = [];
  for (let i = 0; i < 20; i++) {
    const r = g.enroll(`id${i}`, [p.sample(i), p.sample(i)], { name: `Person ${i}`, metadata: { badge: i }, source: 'unit' });
    assert.equal(r.created, true);
    assert.equal(r.templateIds.length, 2);
    probes.push(p.sample(i));
  }
  const s = g.stats();
  assert.deepEqual([s.identities, s.templates, s.centres, s.modelId, s.dim], [20, 40, 20, MODEL, DIM]);
  assert.equal(s.index.kind, 'exact');
  assert.equal(s.index.size, 60, 'templates plus one centre per identity');
  for (let i = 0; i < 20; i++) {
    const c = g.search(probes[i], 3);
    assert.equal(c[0].identityId, `id${i}`);
    assert.equal(new Set(c.map((x) => x.identityId)).size, c.length, 'one candidate per identity');
    const d = decide(c, { threshold: 1.1, margin: 0.05, now: Date.now() });
    assert.equal(d.decision, 'grant');
    assert.equal(d.identity, `id${i}`);
  }
  const tpl = g.templates('id3');
  assert.equal(tpl.length, 2);
  assert.deepEqual([tpl[0].modelId, tpl[0].source, tpl[0].embedding.length], [MODEL, 'unit', DIM]);
  assert.throws(() => g.templates('ghost'), isCode('FG_GALLERY_NOT_FOUND'));
  const info = g.get('id3')!;
  assert.deepEqual([info.name, info.metadata, info.templates, info.enabled], ['Person 3', { badge: 3 }, 2, true]);
  await g.close();

  const g2 = await Gallery.open(dir);
  assert.equal(g2.modelId, MODEL);
  assert.equal(g2.stats().templates, 40);
  assert.equal(g2.search(probes[5], 1)[0].identityId, 'id5');
  assert.equal(g2.list().length, 20);
  await g2.close();
});

test('search reports plain Euclidean distances and identities aggregated by their nearest template', async (t) => {
  const g = await Gallery.open(tmp(t), { modelId: 'm4', dim: 4, create: true, centres: false });
  g.enroll('a', [[1, 0, 0, 0], [0, 0, 1, 0]]);
  g.enroll('b', [[0.6, 0.8, 0, 0]]);
  const c = g.search([1, 0, 0, 0], 5);
  assert.deepEqual(c.map((x) => x.identityId), ['a', 'b']);
  assert.ok(Math.abs(c[0].distance) < 1e-6);
  assert.ok(Math.abs(c[1].distance - Math.sqrt(0.8)) < 1e-6);
  // un-normalised input is normalised: (2,0,0,0) is the same direction as (1,0,0,0)
  assert.ok(Math.abs(g.search([2, 0, 0, 0], 1)[0].distance) < 1e-6);
  await g.close();
});

test('identity centre: kept for 2+ templates, searchable as an extra template when enabled', async (t) => {
  const dir = tmp(t);
  const g = await Gallery.open(dir, { modelId: 'm4', dim: 4, create: true });
  g.enroll('a', [[1, 0, 0, 0], [0, 1, 0, 0]]);
  g.enroll('b', [[0, 0, 1, 0]]);
  const centre = [Math.SQRT1_2, Math.SQRT1_2, 0, 0];
  let c = g.search(centre, 2);
  assert.equal(c[0].identityId, 'a');
  assert.equal(c[0].centre, true);
  assert.ok(c[0].distance < 1e-6);
  assert.equal(g.stats().centres, 1, 'a single-template identity has no separate centre');
  await g.close();
  // reopening with centres off re-derives the index without them (a stored setting)
  const g2 = await Gallery.open(dir, { centres: false });
  c = g2.search(centre, 1);
  assert.equal(c[0].centre, false);
  assert.ok(Math.abs(c[0].distance - Math.sqrt(2 - Math.SQRT2)) < 1e-5);
  assert.equal(g2.stats().index.size, 3);
  await g2.close();
});

test('gallery is bound to one model: other model id or dim is refused, store unchanged', async (t) => {
  const dir = tmp(t);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true });
  const p = people(2, 2);
  g.enroll('x', [p.sample(0)]);
  const before = g.stats();
  assert.throws(() => g.enroll('y', [new Float32Array(DIM + 1)]), isCode('FG_GALLERY_MODEL_MISMATCH'));
  assert.throws(() => g.enroll('y', [{ embedding: p.sample(1), modelId: 'other-model' }]), isCode('FG_GALLERY_MODEL_MISMATCH'));
  assert.throws(() => g.enroll('y', [p.sample(1)], { modelId: 'other-model' }), isCode('FG_GALLERY_MODEL_MISMATCH'));
  // one bad vector among good ones: nothing is written
  assert.throws(() => g.enroll('y', [p.sample(1), new Float32Array(5)]), isCode('FG_GALLERY_MODEL_MISMATCH'));
  assert.throws(() => g.search(new Float32Array(DIM - 1)), isCode('FG_GALLERY_MODEL_MISMATCH'));
  assert.throws(() => g.enroll('y', [new Float32Array(DIM)]), isCode('FG_INPUT_INVALID'), 'zero vector');
  const nan = p.sample(1);
  nan[3] = Number.NaN;
  assert.throws(() => g.enroll('y', [nan]), isCode('FG_INPUT_INVALID'));
  assert.throws(() => g.enroll('y', []), isCode('FG_INPUT_INVALID'));
  assert.throws(() => g.enroll('', [p.sample(1)]), isCode('FG_INPUT_INVALID'));
  assert.deepEqual(g.stats(), before);
  assert.equal(g.get('y'), null);
  await g.close();
  await assert.rejects(Gallery.open(dir, { modelId: 'other-model', dim: DIM }), isCode('FG_GALLERY_MODEL_MISMATCH'));
  await assert.rejects(Gallery.open(dir, { modelId: MODEL, dim: 512 }), isCode('FG_GALLERY_MODEL_MISMATCH'));
});

test('duplicates: same template for the same identity is skipped; for another identity refused', async (t) => {
  const g = await Gallery.open(tmp(t), { modelId: MODEL, dim: DIM, create: true });
  const p = people(2, 3);
  const a = p.sample(0);
  const b = p.sample(0);
  const first = g.enroll('alice', [a, b]);
  const gen = g.generation;
  const again = g.enroll('alice', [a]);
  assert.deepEqual([again.templateIds.length, again.duplicates, again.created], [0, 1, false]);
  assert.equal(g.generation, gen, 'a no-op enrolment changes nothing');
  const within = g.enroll('alice', [p.sample(0), a, a]);
  assert.equal(within.templateIds.length, 1);
  assert.equal(within.duplicates, 2);
  const before = g.stats();
  assert.throws(() => g.enroll('bob', [p.sample(1), a]), isCode('FG_GALLERY_DUPLICATE'));
  assert.deepEqual(g.stats(), before);
  assert.equal(g.get('bob'), null, 'the refused enrolment did not create bob');
  assert.equal(first.templateIds.length, 2);
  await g.close();
});

test('unknown identity, missing gallery, corrupt or foreign database: clear errors', async (t) => {
  const dir = tmp(t);
  await assert.rejects(Gallery.open(join(dir, 'nope')), isCode('FG_GALLERY_NOT_FOUND'));
  await assert.rejects(Gallery.open(join(dir, 'nope2'), { create: true }), isCode('FG_INPUT_INVALID'));
  const g = await Gallery.open(join(dir, 'ok'), { modelId: MODEL, dim: DIM, create: true });
  g.enroll('a', [people(1, 4).sample(0)]);
  const gen = g.generation;
  assert.throws(() => g.remove('ghost'), isCode('FG_GALLERY_NOT_FOUND'));
  assert.throws(() => g.update('ghost', { enabled: false }), isCode('FG_GALLERY_NOT_FOUND'));
  assert.equal(g.generation, gen);
  await g.close();
  assert.throws(() => g.stats(), isCode('FG_GALLERY'), 'closed gallery');

  const junk = join(dir, 'junk');
  await Gallery.open(junk, { modelId: MODEL, dim: DIM, create: true }).then((x) => x.close());
  writeFileSync(join(junk, GALLERY_DB), Buffer.alloc(8192, 0x5a));
  await assert.rejects(Gallery.open(junk), isCode('FG_GALLERY_CORRUPT'));

  const foreign = join(dir, 'foreign');
  await Gallery.open(foreign, { modelId: MODEL, dim: DIM, create: true }).then((x) => x.close());
  rmSync(join(foreign, GALLERY_DB));
  const db = new Database(join(foreign, GALLERY_DB));
  db.exec('CREATE TABLE songs (title TEXT)');
  db.close();
  await assert.rejects(Gallery.open(foreign), isCode('FG_GALLERY_CORRUPT'));

  // a real gallery whose pages were damaged: header intact, b-tree pages overwritten
  const damaged = join(dir, 'damaged');
  const d = await Gallery.open(damaged, { modelId: MODEL, dim: DIM, create: true });
  const p = people(50, 5);
  for (let i = 0; i < 50; i++) d.enroll(`p${i}`, [p.sample(i)]);
  await d.close();
  const bytes = readFileSync(join(damaged, GALLERY_DB));
  bytes.fill(0xa5, 4096, bytes.length);
  writeFileSync(join(damaged, GALLERY_DB), bytes);
  await assert.rejects(Gallery.open(damaged), isCode('FG_GALLERY_CORRUPT'));
});

test('disabled or out-of-window identities match but are denied', async (t) => {
  const g = await Gallery.open(tmp(t), { modelId: MODEL, dim: DIM, create: true });
  const p = people(3, 6);
  g.enroll('on', [p.sample(0)]);
  g.enroll('off', [p.sample(1)], { enabled: false });
  g.enroll('later', [p.sample(2)], { validFrom: '2030-01-01T00:00:00Z', validUntil: '2030-12-31T00:00:00Z' });
  const now = Date.parse('2026-06-01T00:00:00Z');
  const opts = { threshold: 1.1, margin: 0, now };
  assert.equal(decide(g.search(p.sample(0)), opts).decision, 'grant');
  assert.deepEqual([decide(g.search(p.sample(1)), opts).decision, decide(g.search(p.sample(1)), opts).reason], ['deny', 'disabled']);
  assert.equal(decide(g.search(p.sample(2)), opts).reason, 'not_yet_valid');
  g.update('off', { enabled: true });
  assert.equal(decide(g.search(p.sample(1)), opts).decision, 'grant');
  assert.equal(g.get('later')!.validFrom, '2030-01-01T00:00:00.000Z');
  assert.throws(() => g.update('on', { validFrom: 'not a date' }), isCode('FG_INPUT_INVALID'));
  assert.throws(() => g.update('on', { validFrom: '2030-01-02', validUntil: '2030-01-01' }), isCode('FG_INPUT_INVALID'));
  await g.close();
});

test('applyChanges is all-or-nothing, versioned, and keeps unchanged templates', async (t) => {
  const g = await Gallery.open(tmp(t), { modelId: MODEL, dim: DIM, create: true });
  const p = people(6, 7);
  const tA = [p.sample(0), p.sample(0)];
  const tB = [p.sample(1)];
  let r = g.applyChanges({ upserts: [{ identity: { id: 'A', name: 'A' }, templates: tA }, { identity: { id: 'B' }, templates: tB }], version: 1 });
  assert.deepEqual([r.version, r.identities, r.templatesAdded], [1, 2, 3]);
  const idsA = g.search(tA[0], 1)[0].templateId;

  // a bad entry anywhere rejects the whole change
  const before = g.stats();
  assert.throws(() => g.applyChanges({ upserts: [{ identity: { id: 'C' }, templates: [p.sample(2)] }, { identity: { id: 'D' }, templates: [new Float32Array(3)] }], version: 2 }),
    isCode('FG_GALLERY_MODEL_MISMATCH'));
  assert.throws(() => g.applyChanges({ removes: ['A'], version: 2, baseVersion: 0 }), isCode('FG_SYNC_REJECTED'));
  assert.throws(() => g.applyChanges({ upserts: [{ identity: { id: 'C' }, templates: [tB[0]] }], version: 2 }), isCode('FG_GALLERY_DUPLICATE'));
  assert.throws(() => g.applyChanges({ upserts: [{ identity: { id: 'C' }, templates: [] }], removes: ['C'] }), isCode('FG_INPUT_INVALID'));
  assert.deepEqual(g.stats(), before);
  assert.equal(g.get('C'), null);

  // upsert A with one old + one new template; remove B; add C; unknown remove is a no-op
  const newA = p.sample(0);
  r = g.applyChanges({ upserts: [{ identity: { id: 'A' }, templates: [tA[0], newA] }, { identity: { id: 'C' }, templates: [p.sample(2)] }], removes: ['B', 'nobody'], version: 2, baseVersion: 1 });
  assert.deepEqual([r.version, r.identities, r.templatesAdded, r.templatesRemoved], [2, 2, 2, 2]);
  assert.equal(g.search(tA[0], 1)[0].templateId, idsA, 'an unchanged template keeps its id (no index churn)');
  assert.equal(g.get('A')!.name, null, 'sync upserts replace identity fields');
  assert.equal(g.get('B'), null);
  assert.equal(g.search(tB[0], 5).some((c) => c.identityId === 'B'), false);

  // a template may move between identities inside one change
  r = g.applyChanges({ upserts: [{ identity: { id: 'A' }, templates: [tA[0]] }, { identity: { id: 'E' }, templates: [newA] }], version: 3 });
  assert.equal(g.search(newA, 1)[0].identityId, 'E');

  // replaceAll: identities missing from the snapshot go
  r = g.replaceAll([{ identity: { id: 'E' }, templates: [newA] }, { identity: { id: 'F' }, templates: [p.sample(5)] }], 10);
  assert.deepEqual(g.list().map((i) => i.id), ['E', 'F']);
  assert.deepEqual([g.version, r.templatesRemoved], [10, 2]);
  await g.close();
});

test('HNSW above the cut-off: built in a worker, written with a sidecar, loaded (not rebuilt) on reopen', async (t) => {
  const dir = tmp(t);
  const p = people(150, 8);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 100 });
  for (let i = 0; i < 150; i++) g.enroll(`p${i}`, [p.sample(i)]);
  // crossing the cut-off started a worker build; searches keep working meanwhile (exact)
  assert.equal(g.search(p.sample(120), 1)[0].identityId, 'p120');
  await g.whenIdle();
  let s = g.stats();
  // the beams follow the size (sdk/gallery/hnsw-by-size.ts)
  assert.deepEqual([s.index.kind, s.index.state, s.index.size, s.index.ef], ['hnsw', 'rebuilt', 150, hnswParamsForSize(150).ef]);
  for (let i = 0; i < 150; i += 10) assert.equal(g.search(p.sample(i), 1)[0].identityId, `p${i}`);
  await g.close();
  const sidecar = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { generation: number; file: string };
  assert.equal(sidecar.generation, s.generation);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('hnsw-')), [sidecar.file], 'old index files are cleaned up');

  const g2 = await Gallery.open(dir, { exactBelow: 100 });
  s = g2.stats();
  assert.deepEqual([s.index.kind, s.index.state, s.index.fileGeneration], ['hnsw', 'loaded', s.generation]);
  assert.equal(g2.search(p.sample(33), 1)[0].identityId, 'p33');
  await g2.close();
});

test('a stale index file is repaired from SQLite by label difference; a damaged one is rebuilt', async (t) => {
  const dir = tmp(t);
  const p = people(160, 9);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 100, worker: false });
  for (let i = 0; i < 150; i++) g.enroll(`p${i}`, [p.sample(i)]);
  await g.close();
  // change the records without the index (as a crash after commit would leave it)
  const r = await Gallery.open(dir, { loadIndex: false });
  r.remove('p7');
  for (let i = 150; i < 160; i++) r.enroll(`p${i}`, [p.sample(i)]);
  await r.close();
  const g2 = await Gallery.open(dir, { exactBelow: 100, worker: false });
  let s = g2.stats();
  assert.deepEqual([s.index.state, s.index.size], ['repaired', 159]);
  assert.ok(s.index.fileGeneration! < s.generation);
  assert.equal(g2.search(p.sample(155), 1)[0].identityId, 'p155');
  assert.equal(g2.search(p.sample(7), 5).some((c) => c.identityId === 'p7'), false);
  await g2.close();
  assert.equal((await Gallery.open(dir, { exactBelow: 100, worker: false }).then(async (x) => { const st = x.stats().index.state; await x.close(); return st; })), 'loaded');

  const sidecar = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { file: string; generation: number };
  const damage = [
    () => { const b = readFileSync(join(dir, sidecar.file)); b[b.length >> 1] ^= 0xff; writeFileSync(join(dir, sidecar.file), b); },
    () => writeFileSync(join(dir, sidecar.file), readFileSync(join(dir, sidecar.file)).subarray(0, 1000)),
    () => rmSync(join(dir, sidecar.file)),
    () => writeFileSync(join(dir, 'index.json'), '{"format":1,'),
    () => writeFileSync(join(dir, 'index.json'), JSON.stringify({ ...sidecar, generation: sidecar.generation + 5 })),
  ];
  for (const [i, hurt] of damage.entries()) {
    const cur = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as typeof sidecar;
    Object.assign(sidecar, cur);
    hurt();
    const g3 = await Gallery.open(dir, { exactBelow: 100, worker: false });
    s = g3.stats();
    assert.deepEqual([s.index.kind, s.index.state, s.index.size], ['hnsw', 'rebuilt', 159], `damage ${i}`);
    assert.equal(g3.search(p.sample(42), 1)[0].identityId, 'p42');
    await g3.close();
  }
});

test('large changes go to an exact overlay at once, then fold into HNSW in the background', async (t) => {
  const dir = tmp(t);
  const p = people(400, 10);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 100, inlineAddLimit: 20, centres: false });
  g.applyChanges({ upserts: Array.from({ length: 200 }, (_, i) => ({ identity: { id: `p${i}` }, templates: [p.sample(i)] })) });
  await g.whenIdle();
  assert.equal(g.stats().index.kind, 'hnsw');
  // 150 more in one change: too many for inline HNSW inserts
  g.applyChanges({ upserts: Array.from({ length: 150 }, (_, i) => ({ identity: { id: `p${200 + i}` }, templates: [p.sample(200 + i)] })), removes: ['p0'] });
  const s = g.stats();
  assert.ok(s.index.overlay === 150 || s.index.building, 'new templates wait in the overlay');
  assert.equal(s.index.size, 349);
  assert.equal(g.search(p.sample(321), 1)[0].identityId, 'p321', 'visible immediately');
  assert.equal(g.search(p.sample(0), 5).some((c) => c.identityId === 'p0'), false);
  await g.whenIdle();
  const s2 = g.stats();
  assert.deepEqual([s2.index.kind, s2.index.overlay, s2.index.size], ['hnsw', 0, 349]);
  assert.equal(g.search(p.sample(333), 1)[0].identityId, 'p333');
  await g.close();
});

test('a rebuild in the worker leaves the event loop free and changes made during it are kept', async (t) => {
  const dir = tmp(t);
  const p = people(700, 11);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 100, centres: false });
  g.applyChanges({ upserts: Array.from({ length: 600 }, (_, i) => ({ identity: { id: `p${i}` }, templates: [p.sample(i)] })) });
  await g.whenIdle();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const rebuilt = g.rebuildInWorker();
  g.enroll('late', [p.sample(650)]);
  g.remove('p1');
  await rebuilt;
  clearInterval(timer);
  assert.ok(ticks > 0, 'timers ran while the index was being built');
  assert.equal(g.search(p.sample(650), 1)[0].identityId, 'late');
  assert.equal(g.search(p.sample(1), 5).some((c) => c.identityId === 'p1'), false);
  assert.equal(g.stats().index.size, 600);
  await g.close();
  const g2 = await Gallery.open(dir, { exactBelow: 100 });
  assert.equal(g2.search(p.sample(650), 1)[0].identityId, 'late');
  assert.equal(g2.stats().index.size, 600);
  await g2.close();
});

test('flush writes off-thread; changes made while it writes are neither lost nor half-visible', async (t) => {
  const dir = tmp(t);
  const p = people(320, 12);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 100, centres: false, worker: false });
  for (let i = 0; i < 300; i++) g.enroll(`p${i}`, [p.sample(i)]);
  await g.whenIdle();
  g.enroll('p300', [p.sample(300)]);
  const flushing = g.flush();
  g.enroll('p301', [p.sample(301)]);
  assert.equal(g.stats().index.overlay, 1, 'the write is in flight: additions wait in the overlay');
  g.remove('p2');
  g.remove('p301');
  g.enroll('p302', [p.sample(302)]);
  assert.equal(g.search(p.sample(2), 5).some((c) => c.identityId === 'p2'), false);
  assert.equal(g.search(p.sample(302), 1)[0].identityId, 'p302');
  await flushing;
  assert.equal(g.stats().index.size, 301);
  assert.equal(g.search(p.sample(2), 5).some((c) => c.identityId === 'p2'), false);
  await g.close();
  const g2 = await Gallery.open(dir, { exactBelow: 100, worker: false });
  assert.equal(g2.stats().index.size, 301);
  assert.equal(g2.search(p.sample(301), 5).some((c) => c.identityId === 'p301'), false);
  assert.equal(g2.search(p.sample(302), 1)[0].identityId, 'p302');
  assert.equal(g2.search(p.sample(300), 1)[0].identityId, 'p300');
  await g2.close();
});

test('shrinking well below the cut-off goes back to exact search and drops the index file', async (t) => {
  const dir = tmp(t);
  const p = people(120, 13);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 100, centres: false, worker: false });
  for (let i = 0; i < 120; i++) g.enroll(`p${i}`, [p.sample(i)]);
  await g.whenIdle();
  await g.flush();
  assert.equal(g.stats().index.kind, 'hnsw');
  for (let i = 0; i < 80; i++) g.remove(`p${i}`);
  assert.equal(g.stats().index.kind, 'exact');
  assert.equal(g.search(p.sample(100), 1)[0].identityId, 'p100');
  await g.close();
  assert.equal(existsSync(join(dir, 'index.json')), false);
});

test('changes committed by another connection are picked up before the next search', async (t) => {
  const dir = tmp(t);
  const p = people(30, 14);
  const daemon = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, exactBelow: 10, worker: false });
  for (let i = 0; i < 20; i++) daemon.enroll(`p${i}`, [p.sample(i)]);
  await daemon.whenIdle();
  assert.equal(daemon.stats().index.kind, 'hnsw');
  // a second process (here: connection) enrols and removes, e.g. `facegate sync`
  const other = await Gallery.open(dir, { loadIndex: false });
  other.enroll('p25', [p.sample(25)]);
  other.remove('p3');
  other.update('p4', { enabled: false });
  await other.close();
  assert.equal(daemon.search(p.sample(25), 1)[0].identityId, 'p25');
  assert.equal(daemon.search(p.sample(3), 5).some((c) => c.identityId === 'p3'), false);
  assert.equal(daemon.search(p.sample(4), 1)[0].enabled, false);
  assert.equal(daemon.stats().index.size, 20);
  assert.equal(daemon.refresh(), false, 'nothing new');
  daemon.enroll('p26', [p.sample(26)]);
  assert.equal(daemon.stats().identities, 21);
  await daemon.close();
});

test('a gallery opened for another model (e.g. the fused embedder) is refused with how to re-enrol', async (t) => {
  const dir = tmp(t);
  const g = await Gallery.open(dir, { modelId: 'mobilefacenet-192', dim: 192, create: true });
  await g.close();
  await assert.rejects(Gallery.open(dir, { modelId: 'fusion-mfn192-fr512', dim: 704 }), (e: unknown) =>
    isCode('FG_GALLERY_MODEL_MISMATCH')(e) && /holds mobilefacenet-192 \(192-d\).*never mixed.*--embedder mobilefacenet-192.*facegate enroll --db <new dir> --embedder fusion-mfn192-fr512/.test((e as Error).message));
});
