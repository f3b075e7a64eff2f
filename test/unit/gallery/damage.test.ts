/**
 * A damaged or edited gallery never serves a wrong answer: page damage is found on open
 * (quick_check), a bad row on read, and a plain gallery's template rows are bound to their id,
 * identity and kind, so swapped rows are refused (FG_GALLERY_CORRUPT with the way to recover).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, statSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery, GALLERY_DB } from '../../../sdk/gallery/index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { syntheticPeople } from './synthetic.ts';

const MODEL = 'test-model';
const DIM = 64;
const tmp = () => mkdtempSync(join(tmpdir(), 'fg-damage-'));

async function build(dir: string, n = 30, opts: { exactBelow?: number } = {}): Promise<{ ids: string[]; probes: Float32Array[] }> {
  const people = syntheticPeople(n, DIM, 11);
  const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, worker: false, ...opts });
  const ids: string[] = [];
  const probes: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(`person-${i}`);
    g.enroll(`person-${i}`, [people.sample(i), people.sample(i)], { name: `Name ${i}` });
    probes.push(people.sample(i));
  }
  await g.close();
  return { ids, probes };
}

function isCorrupt(e: unknown): boolean {
  return e instanceof FaceGateError && e.code === 'FG_GALLERY_CORRUPT';
}

/** Every probe's nearest identity, or the error the gallery gave. */
async function answers(dir: string, probes: Float32Array[], opts: { exactBelow?: number } = {}): Promise<string[] | FaceGateError> {
  let g: Gallery | undefined;
  try {
    g = await Gallery.open(dir, { worker: false, ...opts });
    g.list();
    return probes.map((p) => g!.search(p, 3).map((c) => c.identityId).join(','));
  } catch (e) {
    if (e instanceof FaceGateError) return e;
    throw e; // a TypeError or any untyped failure is itself a test failure
  } finally {
    await g?.close().catch(() => {});
  }
}

test('plain gallery: a template moved onto another row is refused', async () => {
  const dir = tmp();
  const { probes } = await build(dir, 4);
  const db = new Database(join(dir, GALLERY_DB));
  const rows = db.prepare("SELECT id, embedding FROM templates WHERE kind = 'sample' ORDER BY id").all() as { id: number; embedding: Buffer }[];
  db.prepare('UPDATE templates SET embedding = ? WHERE id = ?').run(rows[0].embedding, rows[6].id);
  db.close();
  const r = await answers(dir, probes);
  assert.ok(isCorrupt(r), `expected FG_GALLERY_CORRUPT, got ${r instanceof Error ? r.message : JSON.stringify(r)}`);
});

test('plain gallery: swapped template rows (identity columns exchanged) never grant the wrong person, HNSW index file included', async () => {
  for (const exactBelow of [2000, 4]) {
    const dir = tmp();
    const { probes } = await build(dir, 30, { exactBelow });
    const before = await answers(dir, probes, { exactBelow });
    assert.ok(Array.isArray(before));
    const db = new Database(join(dir, GALLERY_DB));
    db.pragma('foreign_keys = ON');
    const a = db.prepare("SELECT id FROM templates WHERE identity_id = 'person-0' AND kind = 'sample' ORDER BY id LIMIT 1").pluck().get() as number;
    const b = db.prepare("SELECT id FROM templates WHERE identity_id = 'person-1' AND kind = 'sample' ORDER BY id LIMIT 1").pluck().get() as number;
    db.prepare("UPDATE templates SET identity_id = 'person-1' WHERE id = ?").run(a);
    db.prepare("UPDATE templates SET identity_id = 'person-0' WHERE id = ?").run(b);
    db.close();
    const r = await answers(dir, probes, { exactBelow });
    assert.ok(isCorrupt(r), `exactBelow ${exactBelow}: expected FG_GALLERY_CORRUPT, got ${r instanceof Error ? r.message : JSON.stringify(r).slice(0, 200)}`);
    assert.match((r as Error).message, /restore|re-?sync|re-?enrol/i, 'says how to recover');
  }
});

test('300 random bytes anywhere in gallery.sqlite: a typed FG_GALLERY_CORRUPT or the same answers, never a wrong one', async () => {
  const dir = tmp();
  const { probes } = await build(dir, 30);
  const good = await answers(dir, probes);
  assert.ok(Array.isArray(good));
  const size = statSync(join(dir, GALLERY_DB)).size;
  let s = 12345;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let detected = 0;
  for (let trial = 0; trial < 24; trial++) {
    const copy = tmp();
    cpSync(dir, copy, { recursive: true });
    const fd = openSync(join(copy, GALLERY_DB), 'r+');
    const junk = Buffer.from(Array.from({ length: 300 }, () => Math.floor(rand() * 256)));
    // Never page 1's header (that is "not a database", already typed): anywhere after it.
    writeSync(fd, junk, 0, junk.length, 200 + Math.floor(rand() * (size - 500)));
    closeSync(fd);
    const r = await answers(copy, probes);
    if (r instanceof FaceGateError) {
      assert.equal(r.code, 'FG_GALLERY_CORRUPT', `trial ${trial}: ${r.message}`);
      detected++;
    } else assert.deepEqual(r, good, `trial ${trial}: damage changed the answers without being detected`);
    rmSync(copy, { recursive: true, force: true });
  }
  assert.ok(detected > 0, 'some damage was detected');
});

test('facegate gallery --json on a damaged gallery reports FG_GALLERY_CORRUPT, not ok', async () => {
  const dir = tmp();
  await build(dir, 4);
  const db = new Database(join(dir, GALLERY_DB));
  const rows = db.prepare("SELECT id, embedding FROM templates WHERE kind = 'sample' ORDER BY id").all() as { id: number; embedding: Buffer }[];
  db.prepare('UPDATE templates SET embedding = ? WHERE id = ?').run(rows[0].embedding, rows[6].id);
  db.close();
  const r = await new Promise<{ code: number; stdout: string }>((resolve) => execFile(process.execPath, ['bin/facegate.js', 'gallery', '--db', dir, '--json'], { timeout: 60_000 },
    (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout })));
  assert.equal(r.code, 1, r.stdout);
  const body = JSON.parse(r.stdout) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'FG_GALLERY_CORRUPT');
  assert.match(body.error.message, /restore|re-?sync|re-?enrol/i);
});

test('a plain gallery written before row digests gets them at its first writable open, answers unchanged', async () => {
  const dir = tmp();
  const { probes } = await build(dir, 6);
  const good = await answers(dir, probes);
  // Back to the old layout: bare float32 blobs, no row_binding meta.
  const db = new Database(join(dir, GALLERY_DB));
  for (const r of db.prepare('SELECT id, embedding, dim FROM templates').all() as { id: number; embedding: Buffer; dim: number }[]) {
    db.prepare('UPDATE templates SET embedding = ? WHERE id = ?').run(r.embedding.subarray(0, r.dim * 4), r.id);
  }
  db.prepare("DELETE FROM meta WHERE key = 'row_binding'").run();
  db.close();
  assert.deepEqual(await answers(dir, probes), good);
  const after = new Database(join(dir, GALLERY_DB), { readonly: true });
  assert.equal(after.prepare("SELECT value FROM meta WHERE key = 'row_binding'").pluck().get(), 'sha256-row/1');
  const lens = after.prepare('SELECT DISTINCT length(embedding) FROM templates').pluck().all();
  after.close();
  assert.deepEqual(lens, [DIM * 4 + 16]);
});
