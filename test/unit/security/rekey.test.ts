import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery, GALLERY_DB, rekeyGallery } from '../../../sdk/gallery/index.ts';
import { SiteKey } from '../../../sdk/security/site-key.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { syntheticPeople } from '../gallery/synthetic.ts';
import { dirDigest, filesContaining, templateNeedles, textNeedle } from '../../helpers/disk-scan.ts';

const MODEL = 'test-model';
const DIM = 64;
const OPTS = { exactBelow: 16, worker: false };

function isCode(code: string) {
  return (e: unknown) => e instanceof FaceGateError && e.code === code;
}

async function makeGallery(key: SiteKey | null, n = 30) {
  const dir = mkdtempSync(join(tmpdir(), 'fg-rekey-'));
  const people = syntheticPeople(n, DIM, 3);
  const vectors = Array.from({ length: n }, (_, i) => [people.sample(i), people.sample(i)]);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, key, ...OPTS });
  for (let i = 0; i < n; i++) g.enroll(`rk-${i}-pw`, vectors[i], { name: `Rekey Person ${i}` });
  await g.close();
  return { dir, vectors };
}

async function check(dir: string, key: SiteKey | null, vectors: Float32Array[][]): Promise<void> {
  const g = await Gallery.open(dir, { key, ...OPTS });
  try {
    assert.equal(g.encrypted, key !== null);
    assert.equal(g.stats().identities, vectors.length);
    assert.equal(g.stats().index.state, 'loaded', 'index file re-sealed and reused (no rebuild)');
    for (const i of [0, 9, vectors.length - 1]) assert.equal(g.search(vectors[i][1], 1)[0].identityId, `rk-${i}-pw`);
    assert.equal(g.get('rk-4-pw')!.name, 'Rekey Person 4');
  } finally {
    await g.close();
  }
}

test('rekey: encrypted -> new key; old key refused afterwards; index file re-sealed', async () => {
  const a = SiteKey.generate('key A');
  const b = SiteKey.generate('key B');
  const { dir, vectors } = await makeGallery(a);
  const r = await rekeyGallery(dir, { oldKey: a, newKey: b });
  assert.deepEqual({ from: r.from, to: r.to, identities: r.identities, templates: r.templates, indexFile: r.indexFile },
    { from: 'encrypted', to: 'encrypted', identities: 30, templates: 90, indexFile: 'resealed' });
  await assert.rejects(Gallery.open(dir, { key: a, ...OPTS }), isCode('FG_GALLERY_KEY'));
  await check(dir, b, vectors);
});

test('rekey: a plain gallery is encrypted (no old key) and decrypted back (no new key)', async () => {
  const k = SiteKey.generate();
  const { dir, vectors } = await makeGallery(null);
  assert.notDeepEqual(filesContaining(dir, templateNeedles('t', vectors[3][0])), []);
  const r = await rekeyGallery(dir, { oldKey: null, newKey: k });
  assert.equal(r.to, 'encrypted');
  // VACUUM + checkpoint: the plain rows are gone from the database file, not just unreferenced.
  assert.deepEqual(filesContaining(dir, { ...templateNeedles('t', vectors[3][0]), ...textNeedle('id', 'rk-3-pw'), ...textNeedle('name', 'Rekey Person') }), []);
  await check(dir, k, vectors);
  await assert.rejects(Gallery.open(dir, OPTS), isCode('FG_GALLERY_KEY'));
  const back = await rekeyGallery(dir, { oldKey: k, newKey: null });
  assert.equal(back.to, 'plain');
  await check(dir, null, vectors);
});

test('rekey with the wrong old key changes nothing', async () => {
  const a = SiteKey.generate('key A');
  const { dir } = await makeGallery(a, 5);
  const before = dirDigest(dir);
  await assert.rejects(rekeyGallery(dir, { oldKey: SiteKey.generate('not A'), newKey: SiteKey.generate() }), isCode('FG_GALLERY_KEY'));
  await assert.rejects(rekeyGallery(dir, { oldKey: null, newKey: SiteKey.generate() }), isCode('FG_GALLERY_KEY'));
  assert.deepEqual(dirDigest(dir), before);
});

test('rekey interrupted mid-transaction (a row fails to decrypt half-way): rolled back, the old key still opens everything', async () => {
  const a = SiteKey.generate('key A');
  const b = SiteKey.generate('key B');
  const { dir, vectors } = await makeGallery(a);
  // Damage the sealed source of the last template: rekey reaches it after re-sealing every
  // identity and all other templates, then throws inside the transaction.
  const db = new Database(join(dir, GALLERY_DB));
  const last = db.prepare("SELECT id, source FROM templates WHERE kind = 'sample' ORDER BY id DESC LIMIT 1").get() as { id: number; source: string };
  db.prepare('UPDATE templates SET source = ? WHERE id = ?').run(Buffer.from('x'.repeat(40)).toString('base64'), last.id);
  db.close();
  await assert.rejects(rekeyGallery(dir, { oldKey: a, newKey: b }), isCode('FG_GALLERY_CORRUPT'));
  await assert.rejects(Gallery.open(dir, { key: b, ...OPTS }), isCode('FG_GALLERY_KEY'));
  const g = await Gallery.open(dir, { key: a, ...OPTS });
  assert.equal(g.stats().index.state, 'loaded');
  for (let i = 0; i < vectors.length; i++) assert.equal(g.search(vectors[i][0], 1)[0].identityId, `rk-${i}-pw`);
  assert.equal(g.get('rk-0-pw')!.name, 'Rekey Person 0');
  await g.close();
});
