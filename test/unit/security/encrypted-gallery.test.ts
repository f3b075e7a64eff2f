import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery, GALLERY_DB } from '../../../sdk/gallery/index.ts';
import { SiteKey } from '../../../sdk/security/site-key.ts';
import { RAM_DIR_ENV, ramScratchDir, sweepRamDir } from '../../../sdk/gallery/sealed-index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { syntheticPeople } from '../gallery/synthetic.ts';
import { dirDigest, filesContaining, templateNeedles, textNeedle } from '../../helpers/disk-scan.ts';

const MODEL = 'test-model';
const DIM = 64;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fg-enc-'));
}

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FaceGateError, `expected FaceGateError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

/** 40 people, 2 templates each; person i is `person-<i>-<tag>` named `Name <i> <tag>`. */
async function enrolPeople(g: Gallery, tag: string, n = 40): Promise<{ ids: string[]; vectors: Float32Array[][] }> {
  const people = syntheticPeople(n, DIM, 7);
  const ids: string[] = [];
  const vectors: Float32Array[][] = [];
  for (let i = 0; i < n; i++) {
    const vs = [people.sample(i), people.sample(i)];
    const id = `person-${i}-${tag}`;
    g.enroll(id, vs, { name: `Name ${i} ${tag}`, metadata: { badge: `B-${i}-${tag}` }, source: `photos/${id}.jpg` });
    ids.push(id);
    vectors.push(vs);
  }
  return { ids, vectors };
}

test('encrypted gallery: search, list and reopen work; no id, name, source or template bytes in any file (exact and HNSW)', async () => {
  for (const exactBelow of [10_000, 16]) {
    const dir = tmp();
    const key = SiteKey.generate();
    const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, key, exactBelow, worker: false });
    assert.equal(g.encrypted, true);
    const { ids, vectors } = await enrolPeople(g, 'x7q');
    assert.equal(g.search(vectors[5][0], 1)[0].identityId, ids[5]);
    await g.close();

    const g2 = await Gallery.open(dir, { key, exactBelow, worker: false });
    assert.equal(g2.stats().identities, 40);
    assert.equal(g2.stats().index.kind, exactBelow === 16 ? 'hnsw' : 'exact');
    if (exactBelow === 16) assert.equal(g2.stats().index.state, 'loaded');
    assert.equal(g2.search(vectors[12][1], 1)[0].identityId, ids[12]);
    const info = g2.get(ids[3])!;
    assert.equal(info.name, 'Name 3 x7q');
    assert.deepEqual(info.metadata, { badge: 'B-3-x7q' });
    assert.equal(g2.templates(ids[3])[0].source, `photos/${ids[3]}.jpg`);
    assert.deepEqual(g2.list().map((i) => i.id), [...ids].sort());
    // Duplicate detection still works through the keyed digest.
    await assert.throws(() => g2.enroll('someone-else', [vectors[0][0]]), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_DUPLICATE');
    assert.equal(g2.enroll(ids[0], [vectors[0][0]]).duplicates, 1);
    await g2.close();

    // Whole ids (a 3-letter fragment turns up in 1 in ~30 galleries' base64 by chance).
    const needles = { ...textNeedle('id 3', ids[3]), ...textNeedle('id 30', ids[30]), ...textNeedle('name', 'Name 3'), ...textNeedle('source', 'photos/'),
      ...templateNeedles('template 5', vectors[5][0]), ...templateNeedles('template 30', vectors[30][1]) };
    assert.deepEqual(filesContaining(dir, needles), [], `exactBelow ${exactBelow}`);
  }
});

test('encrypted gallery: missing, wrong or unexpected key is FG_GALLERY_KEY and changes no file', async () => {
  const dir = tmp();
  const key = SiteKey.generate('key A');
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, key, exactBelow: 16, worker: false });
  await enrolPeople(g, 'k1', 20);
  await g.close();
  const before = dirDigest(dir);
  await rejects(Gallery.open(dir), 'FG_GALLERY_KEY', /is encrypted: give its site key/);
  await rejects(Gallery.open(dir, { key: SiteKey.generate('key B') }), 'FG_GALLERY_KEY', /wrong key for gallery .*key B/);
  await rejects(Gallery.open(dir, { key: SiteKey.generate('key B'), create: true, modelId: MODEL, dim: DIM }), 'FG_GALLERY_KEY', /wrong key/);
  assert.deepEqual(dirDigest(dir), before);

  const plainDir = tmp();
  const p = await Gallery.open(plainDir, { modelId: MODEL, dim: DIM, create: true });
  p.enroll('a', [syntheticPeople(1, DIM, 1).sample(0)]);
  await p.close();
  const plainBefore = dirDigest(plainDir);
  await rejects(Gallery.open(plainDir, { key }), 'FG_GALLERY_KEY', /is not encrypted but a key was given/);
  assert.deepEqual(dirDigest(plainDir), plainBefore);
});

test('encrypted gallery: a template moved to another row fails authentication (AAD binds rows)', async () => {
  const dir = tmp();
  const key = SiteKey.generate();
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, key, worker: false });
  await enrolPeople(g, 'sw', 4);
  await g.close();
  const db = new Database(join(dir, GALLERY_DB));
  const rows = db.prepare("SELECT id, embedding FROM templates WHERE kind = 'sample' ORDER BY id").all() as { id: number; embedding: Buffer }[];
  // person 0's first template onto person 3's row: same size, valid ciphertext, wrong place
  db.prepare('UPDATE templates SET embedding = ? WHERE id = ?').run(rows[0].embedding, rows[6].id);
  db.close();
  await rejects(Gallery.open(dir, { key, worker: false }), 'FG_GALLERY_CORRUPT', /failed authentication/);
});

test('encrypted gallery without a RAM file system: no index file is ever written; search stays exact', async () => {
  const dir = tmp();
  const prev = process.env[RAM_DIR_ENV];
  process.env[RAM_DIR_ENV] = dir; // a directory on the storage medium, not tmpfs
  try {
    assert.equal(ramScratchDir(), null);
    const key = SiteKey.generate();
    const g = await Gallery.open(join(dir, 'g'), { modelId: MODEL, dim: DIM, create: true, key, exactBelow: 16, worker: false });
    const { ids, vectors } = await enrolPeople(g, 'nr');
    assert.equal(g.stats().index.kind, 'exact');
    assert.equal(g.search(vectors[20][0], 1)[0].identityId, ids[20]);
    await g.close();
    assert.deepEqual(readdirSync(join(dir, 'g')).filter((f) => f.startsWith('hnsw-') || f === 'index.json'), []);
  } finally {
    if (prev === undefined) delete process.env[RAM_DIR_ENV];
    else process.env[RAM_DIR_ENV] = prev;
  }
});

test('plain-graph directories of dead processes are swept from the RAM directory; a live owner\'s stay', () => {
  const ram = tmp();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  mkdirSync(join(ram, `facegate-index-${dead}-abc`));
  writeFileSync(join(ram, `facegate-index-${dead}-abc`, 'index.bin'), 'plain graph');
  mkdirSync(join(ram, `facegate-index-${process.pid}-def`));
  mkdirSync(join(ram, 'unrelated-dir'));
  sweepRamDir(ram);
  assert.deepEqual(readdirSync(ram).sort(), [`facegate-index-${process.pid}-def`, 'unrelated-dir']);
});
