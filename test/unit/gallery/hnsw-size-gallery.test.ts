// A gallery picks its HNSW parameters by its size (sdk/gallery/hnsw-by-size.ts), on a small size
// table so that every band is crossed with a few hundred templates: the beams rise on the live
// graph as it grows, a band that needs a larger M rebuilds the graph (logged once), a file built
// for a smaller band is loaded and replaced in the background, and explicit options win.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { hnswBeamsForSize, type HnswSizeTable } from '../../../sdk/gallery/hnsw-by-size.ts';
import { silentLogger, type Logger } from '../../../sdk/logger.ts';
import { syntheticPeople } from './synthetic.ts';

const DIM = 32;
const TABLE: HnswSizeTable = {
  bands: [{ from: 0, m: 8, efConstruction: 40 }, { from: 600, m: 16, efConstruction: 60 }],
  beams: [
    { size: 100, m: 8, efFirst: 16, ef: 32, recall: 1 },
    { size: 1000, m: 8, efFirst: 80, ef: 160, recall: 1 },
    { size: 100, m: 16, efFirst: 8, ef: 16, recall: 1 },
    { size: 1000, m: 16, efFirst: 40, ef: 96, recall: 1 },
  ],
};
const REBUILD_MSG = 'gallery HNSW graph rebuilding for its size';

function recorder(): { logger: Logger; infos: { msg: string; fields?: Record<string, unknown> }[] } {
  const infos: { msg: string; fields?: Record<string, unknown> }[] = [];
  return { infos, logger: { ...silentLogger, info: (msg, fields) => infos.push({ msg, fields }) } };
}

const sidecarM = (dir: string) => (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { m: number; efConstruction: number });

test('the gallery follows its size: beams rise as it grows; a band needing a larger M rebuilds once; explicit options win', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-hnsw-size-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = syntheticPeople(800, DIM, 3, 0.6);
  const log = recorder();
  const g = await Gallery.open(dir, { modelId: 'size-32', dim: DIM, create: true, centres: false, exactBelow: 100, hnswSizes: TABLE, logger: log.logger });
  g.replaceAll(Array.from({ length: 200 }, (_, i) => ({ identity: { id: `p${i}` }, templates: [p.sample(i)] })), 1);
  await g.whenIdle();
  let s = g.stats().index;
  assert.deepEqual([s.kind, s.m, s.efConstruction, s.ef, s.efFirst], ['hnsw', 8, 40, hnswBeamsForSize(200, 8, TABLE).ef, hnswBeamsForSize(200, 8, TABLE).efFirst]);
  const ef200 = s.ef;

  // grows inside the band: same graph, wider beams
  for (let i = 200; i < 500; i++) g.enroll(`p${i}`, [p.sample(i)]);
  s = g.stats().index;
  assert.deepEqual([s.kind, s.m, s.building, s.state], ['hnsw', 8, false, 'rebuilt']);
  assert.equal(s.ef, hnswBeamsForSize(500, 8, TABLE).ef);
  assert.ok(s.ef > ef200, `ef rose with the size (${ef200} -> ${s.ef})`);
  assert.equal(log.infos.filter((l) => l.msg === REBUILD_MSG).length, 0);

  // crosses into the M 16 band: one rebuild in the background, logged once, searches keep answering
  for (let i = 500; i < 700; i++) {
    g.enroll(`p${i}`, [p.sample(i)]);
    assert.equal(g.search(p.sample(i), 1)[0].identityId, `p${i}`);
  }
  await g.whenIdle();
  const rebuilds = log.infos.filter((l) => l.msg === REBUILD_MSG);
  assert.equal(rebuilds.length, 1, 'logged once');
  assert.deepEqual([rebuilds[0].fields?.m, rebuilds[0].fields?.efConstruction], [16, 60]);
  assert.match(String(rebuilds[0].fields?.reason), /need M 16 \(graph built with 8\)/);
  s = g.stats().index;
  assert.deepEqual([s.kind, s.m, s.efConstruction, s.ef, s.efFirst], ['hnsw', 16, 60, hnswBeamsForSize(700, 16, TABLE).ef, hnswBeamsForSize(700, 16, TABLE).efFirst]);
  for (let i = 0; i < 700; i += 50) assert.equal(g.search(p.sample(i), 1, { threshold: 1.0 })[0].identityId, `p${i}`);
  await g.close();
  assert.deepEqual(sidecarM(dir), { ...sidecarM(dir), m: 16, efConstruction: 60 });

  // reopened: the file fits its band (no rebuild)
  const g2 = await Gallery.open(dir, { exactBelow: 100, hnswSizes: TABLE });
  s = g2.stats().index;
  assert.deepEqual([s.state, s.m, s.ef], ['loaded', 16, hnswBeamsForSize(700, 16, TABLE).ef]);
  await g2.close();

  // explicit beams and M win: ef as given; M 8 is rebuilt from the database though the band says 16,
  // and stays 8 (no automatic rebuild against an explicit M)
  const log3 = recorder();
  const g3 = await Gallery.open(dir, { exactBelow: 100, hnswSizes: TABLE, hnsw: { m: 8, ef: 77 }, logger: log3.logger });
  s = g3.stats().index;
  assert.deepEqual([s.state, s.m, s.efConstruction, s.ef], ['rebuilt', 8, 60, 77]);
  g3.enroll('extra', [p.sample(799)]);
  await g3.whenIdle();
  assert.deepEqual([g3.stats().index.m, g3.stats().index.building], [8, false]);
  assert.equal(log3.infos.filter((l) => l.msg === REBUILD_MSG).length, 0);
  await g3.close();
  assert.equal(sidecarM(dir).m, 8);

  // a file built for a smaller band (M 8, as an older default would leave) is loaded and serves
  // while its M 16 successor builds in the background
  const log4 = recorder();
  const g4 = await Gallery.open(dir, { exactBelow: 100, hnswSizes: TABLE, logger: log4.logger });
  assert.equal(g4.stats().index.state, 'loaded');
  assert.equal(g4.search(p.sample(3), 1)[0].identityId, 'p3');
  await g4.whenIdle();
  assert.deepEqual([g4.stats().index.m, g4.stats().index.state], [16, 'rebuilt']);
  assert.equal(log4.infos.filter((l) => l.msg === REBUILD_MSG).length, 1);
  await g4.close();
});
