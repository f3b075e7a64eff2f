// A gallery whose templates span a low-dimensional subspace (as real face embeddings do) builds
// its HNSW graph over the projection: reported distances are never below the exact ones, the
// projection travels in the sidecar (sealed when the gallery is encrypted, carried through a
// rekey), and a damaged one is refused and the index rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery, rekeyGallery } from '../../../sdk/gallery/index.ts';
import { SIDECAR } from '../../../sdk/gallery/index-file.ts';
import { ramScratchDir } from '../../../sdk/gallery/sealed-index.ts';
import { decodeProjection, project } from '../../../sdk/gallery/projection.ts';
import { SiteKey } from '../../../sdk/security/site-key.ts';
import { euclidean, gaussian, mulberry32, normalise, randomUnit } from './synthetic.ts';

const DIM = 64;
const SPAN = 12;
const PEOPLE = 400;

/** People in a 12-d subspace of R^64: centres and images are combinations of 12 fixed directions. */
function lowRankPeople(seed: number) {
  const g = gaussian(mulberry32(seed));
  const axes = Array.from({ length: SPAN }, () => randomUnit(DIM, g));
  const combine = (w: number[]) => {
    const v = new Float32Array(DIM);
    w.forEach((c, k) => { for (let i = 0; i < DIM; i++) v[i] += c * axes[k][i]; });
    return normalise(v);
  };
  const centres = Array.from({ length: PEOPLE }, () => Array.from({ length: SPAN }, () => g()));
  return { sample: (p: number) => combine(centres[p].map((c) => c + 0.15 * g())) };
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fg-proj-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function enrol(g: Gallery, seed: number): Promise<{ enrolled: Float32Array[]; probes: { who: number; v: Float32Array }[] }> {
  const p = lowRankPeople(seed);
  const enrolled: Float32Array[] = [];
  const snapshot = Array.from({ length: PEOPLE }, (_, i) => {
    const vs = [p.sample(i), p.sample(i)];
    enrolled.push(...vs);
    return { identity: { id: `p${i}` }, templates: vs };
  });
  g.replaceAll(snapshot, 1);
  await g.whenIdle();
  await g.flush();
  return { enrolled, probes: Array.from({ length: 60 }, (_, q) => ({ who: (q * 13) % PEOPLE, v: p.sample((q * 13) % PEOPLE) })) };
}

/** Every answer names the right person at a distance no smaller than the exact one, and barely larger. */
function checkAnswers(g: Gallery, enrolled: Float32Array[], probes: { who: number; v: Float32Array }[]): void {
  for (const { who, v } of probes) {
    const exact = Math.min(euclidean(v, enrolled[2 * who]), euclidean(v, enrolled[2 * who + 1]));
    const r = g.search(v, 3)[0];
    assert.equal(r.identityId, `p${who}`);
    assert.ok(r.distance >= exact - 1e-6 && r.distance <= exact + 1e-4, `${r.distance} vs exact ${exact}`);
  }
  // a probe off the subspace: the reported distance is an upper bound of the exact one
  const off = randomUnit(DIM, gaussian(mulberry32(77)));
  const r = g.search(off, 1)[0];
  const exactOff = Math.min(...enrolled.map((e) => euclidean(off, e)));
  assert.ok(r.distance >= exactOff - 1e-6, `${r.distance} below exact ${exactOff}`);
}

test('low-rank templates: the graph is built over the projection, persisted and loaded, distances never below exact', async (t) => {
  const dir = tmp(t);
  const g = await Gallery.open(dir, { modelId: 'proj-64', dim: DIM, create: true, centres: false, exactBelow: 100 });
  const { enrolled, probes } = await enrol(g, 3);
  assert.equal(g.stats().index.kind, 'hnsw');
  assert.equal(g.stats().index.projectedDim, 16, 'rank 12 rounded up to a multiple of 16');
  checkAnswers(g, enrolled, probes);
  await g.close();

  const g2 = await Gallery.open(dir, { exactBelow: 100 });
  assert.equal(g2.stats().index.state, 'loaded');
  assert.equal(g2.stats().index.projectedDim, 16);
  checkAnswers(g2, enrolled, probes);
  // inline changes go through the same projection, and reach the file
  const extra = lowRankPeople(3).sample(5);
  g2.enroll('late', [extra]);
  assert.equal(g2.search(extra, 1)[0].identityId, 'late');
  await g2.flush();
  await g2.close();
  const g3 = await Gallery.open(dir, { exactBelow: 100 });
  assert.equal(g3.stats().index.state, 'loaded');
  assert.equal(g3.search(extra, 1)[0].identityId, 'late');
  await g3.close();

  // a damaged projection is refused (the distance bound needs an orthonormal basis): rebuilt
  const sidecar = JSON.parse(readFileSync(join(dir, SIDECAR), 'utf8')) as { projection: string };
  const bytes = Buffer.from(sidecar.projection, 'base64');
  bytes[12 + 4 * DIM + 4 * 7 + 3] ^= 0x40;
  writeFileSync(join(dir, SIDECAR), JSON.stringify({ ...sidecar, projection: bytes.toString('base64') }));
  const g4 = await Gallery.open(dir, { exactBelow: 100 });
  t.after(() => g4.close());
  assert.notEqual(g4.stats().index.state, 'loaded');
  await g4.whenIdle();
  assert.equal(g4.stats().index.projectedDim, 16);
  checkAnswers(g4, enrolled, probes);
});

test('project: false keeps full-dimension points', async (t) => {
  const dir = tmp(t);
  const g = await Gallery.open(dir, { modelId: 'proj-64', dim: DIM, create: true, centres: false, exactBelow: 100, hnsw: { project: false } });
  t.after(() => g.close());
  const { enrolled, probes } = await enrol(g, 4);
  assert.equal(g.stats().index.projectedDim, null);
  checkAnswers(g, enrolled, probes);
});

test('encrypted gallery: the projection is sealed in the sidecar and carried through a rekey', { skip: ramScratchDir() ? false : 'needs a RAM file system for sealed index files' }, async (t) => {
  const dir = tmp(t);
  const key = SiteKey.generate();
  const g = await Gallery.open(dir, { modelId: 'proj-64', dim: DIM, create: true, centres: false, exactBelow: 100, key, worker: false });
  const { enrolled, probes } = await enrol(g, 5);
  assert.equal(g.stats().index.projectedDim, 16);
  await g.close();
  const sidecar = JSON.parse(readFileSync(join(dir, SIDECAR), 'utf8')) as { projection: string };
  const raw = Buffer.from(sidecar.projection, 'base64');
  assert.notEqual(raw.readUInt32LE(0), 0x4a525046, 'the projection is not stored in the clear');

  const next = SiteKey.generate();
  const r = await rekeyGallery(dir, { oldKey: key, newKey: next });
  assert.equal(r.indexFile, 'resealed');
  const g2 = await Gallery.open(dir, { key: next, exactBelow: 100, worker: false });
  t.after(() => g2.close());
  assert.equal(g2.stats().index.state, 'loaded');
  assert.equal(g2.stats().index.projectedDim, 16);
  checkAnswers(g2, enrolled, probes);
});

test('erasure: a removed person\'s projected point leaves the index file', async (t) => {
  const dir = tmp(t);
  const g = await Gallery.open(dir, { modelId: 'proj-64', dim: DIM, create: true, centres: false, exactBelow: 100 });
  const { enrolled } = await enrol(g, 6);
  const sidecar = () => JSON.parse(readFileSync(join(dir, SIDECAR), 'utf8')) as { file: string; projection: string };
  const projection = decodeProjection(Buffer.from(sidecar().projection, 'base64'), DIM);
  // the graph point of p7's first template: its coordinates and residual norm, as float32 bytes
  const point = new Float32Array(projection.rank + 1);
  point[projection.rank] = project(projection, enrolled[14], point.subarray(0, projection.rank));
  const needle = Buffer.from(point.buffer).subarray(0, 32);
  assert.ok(readFileSync(join(dir, sidecar().file)).includes(needle), 'the point is in the file before removal');
  g.remove('p7');
  await g.whenIdle();
  await g.flush();
  await g.close();
  assert.ok(!readFileSync(join(dir, sidecar().file)).includes(needle), 'the point is gone from the file after removal');
});
