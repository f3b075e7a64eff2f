/**
 * SQLite side of the gallery (better-sqlite3, WAL, synchronous=FULL): identities, templates and
 * the meta row holding model binding, generation and sync version. Only SQL lives here; the
 * rules (validation, duplicates, centres, index upkeep) are in gallery.ts.
 *
 * synchronous=FULL: a committed change is on disk before the index file describing it can be
 * written, so the index sidecar can never be ahead of the database after a power loss.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { FaceGateError, errorMessage } from '../errors.ts';
import { blobToVector, vectorToBlob } from './vectors.ts';

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS identities (
  id TEXT PRIMARY KEY,
  name TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  enabled INTEGER NOT NULL DEFAULT 1,
  valid_from INTEGER,
  valid_until INTEGER,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS templates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('sample', 'centre')),
  embedding BLOB NOT NULL,
  model_id TEXT NOT NULL,
  dim INTEGER NOT NULL,
  digest TEXT NOT NULL,
  source TEXT,
  quality REAL,
  created INTEGER NOT NULL
) STRICT;
-- (identity_id, kind) + rowid covers the label scan run at every open: the scan reads this small
-- index instead of the table pages full of embedding blobs.
CREATE INDEX IF NOT EXISTS templates_identity ON templates(identity_id, kind);
CREATE INDEX IF NOT EXISTS templates_digest ON templates(digest) WHERE kind = 'sample';
`;

export interface IdentityRow {
  id: string;
  name: string | null;
  metadata: string;
  enabled: number;
  valid_from: number | null;
  valid_until: number | null;
  created: number;
  updated: number;
}

export interface TemplateRow {
  id: number;
  identity_id: string;
  kind: 'sample' | 'centre';
  model_id: string;
  dim: number;
  digest: string;
  source: string | null;
  quality: number | null;
  created: number;
}

export interface GalleryMeta {
  schema: number;
  galleryId: string;
  modelId: string;
  dim: number;
  generation: number;
  version: number;
  centres: boolean;
}

export interface NewTemplate {
  identityId: string;
  kind: 'sample' | 'centre';
  embedding: Float32Array;
  modelId: string;
  digest: string;
  source: string | null;
  quality: number | null;
  created: number;
}

function corrupt(path: string, e: unknown): FaceGateError {
  return new FaceGateError('FG_GALLERY_CORRUPT', `gallery database ${path} is unreadable: ${errorMessage(e)}`, { cause: e });
}

/** Opens (or creates) the database; any SQLite failure at this point means a corrupt or foreign file. */
export function openDatabase(path: string, create: { modelId: string; dim: number; centres: boolean } | null, readonly = false): { db: Database.Database; meta: GalleryMeta; created: boolean } {
  const exists = existsSync(path);
  if (!exists && !create) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery at ${path} (create it with an enrolment)`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: exists });
  } catch (e) {
    throw corrupt(path, e);
  }
  try {
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    }
    // Reading the schema touches page 1: a file that is not SQLite fails here.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    let created = false;
    if (!tables.includes('meta')) {
      if (exists && tables.length > 0) throw new Error('not a FaceGate gallery (no meta table)');
      if (!create || readonly) throw new Error('empty database file');
      db.exec('BEGIN IMMEDIATE');
      db.exec(SCHEMA);
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      put.run('schema', String(SCHEMA_VERSION));
      put.run('gallery_id', randomUUID());
      put.run('model_id', create.modelId);
      put.run('dim', String(create.dim));
      put.run('generation', '0');
      put.run('version', '0');
      put.run('centres', create.centres ? '1' : '0');
      db.exec('COMMIT');
      created = true;
    }
    return { db, meta: readMeta(db, path), created };
  } catch (e) {
    db.close();
    if (e instanceof FaceGateError) throw e;
    throw corrupt(path, e);
  }
}

export function readMeta(db: Database.Database, path = 'gallery'): GalleryMeta {
  const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
  const m = new Map(rows.map((r) => [r.key, r.value]));
  const num = (k: string): number => {
    const v = Number(m.get(k));
    if (!m.has(k) || !Number.isSafeInteger(v)) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${path}: meta '${k}' missing or invalid`);
    return v;
  };
  const schema = num('schema');
  if (schema !== SCHEMA_VERSION) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${path}: schema ${schema} unsupported (expected ${SCHEMA_VERSION})`);
  const modelId = m.get('model_id');
  const galleryId = m.get('gallery_id');
  if (!modelId || !galleryId) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${path}: meta model_id/gallery_id missing`);
  return { schema, galleryId, modelId, dim: num('dim'), generation: num('generation'), version: num('version'), centres: m.get('centres') === '1' };
}

/** Prepared statements over one connection. */
export class GalleryStore {
  readonly db: Database.Database;
  readonly path: string;
  readonly #s;

  constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    this.#s = {
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      identity: db.prepare('SELECT * FROM identities WHERE id = ?'),
      identities: db.prepare('SELECT * FROM identities ORDER BY id'),
      insertIdentity: db.prepare('INSERT INTO identities (id, name, metadata, enabled, valid_from, valid_until, created, updated) VALUES (@id, @name, @metadata, @enabled, @valid_from, @valid_until, @created, @updated)'),
      updateIdentity: db.prepare('UPDATE identities SET name = @name, metadata = @metadata, enabled = @enabled, valid_from = @valid_from, valid_until = @valid_until, updated = @updated WHERE id = @id'),
      deleteIdentity: db.prepare('DELETE FROM identities WHERE id = ?'),
      deleteAllIdentities: db.prepare('DELETE FROM identities'),
      templatesOf: db.prepare('SELECT id, identity_id, kind, model_id, dim, digest, source, quality, created FROM templates WHERE identity_id = ? ORDER BY id'),
      sampleVectorsOf: db.prepare("SELECT id, embedding, digest FROM templates WHERE identity_id = ? AND kind = 'sample' ORDER BY id"),
      sampleDigestsOf: db.prepare("SELECT id, digest FROM templates WHERE identity_id = ? AND kind = 'sample' ORDER BY id").raw(),
      sampleRowsOf: db.prepare("SELECT id, embedding, model_id, source, quality, created FROM templates WHERE identity_id = ? AND kind = 'sample' ORDER BY id"),
      labelIdsOf: db.prepare('SELECT id FROM templates WHERE identity_id = ?').pluck(),
      centreOf: db.prepare("SELECT id FROM templates WHERE identity_id = ? AND kind = 'centre'").pluck(),
      ownerOfDigest: db.prepare("SELECT identity_id FROM templates WHERE digest = ? AND kind = 'sample' LIMIT 1").pluck(),
      insertTemplate: db.prepare('INSERT INTO templates (identity_id, kind, embedding, model_id, dim, digest, source, quality, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      deleteTemplate: db.prepare('DELETE FROM templates WHERE id = ?'),
      vector: db.prepare('SELECT embedding FROM templates WHERE id = ?').pluck(),
      labels: db.prepare('SELECT id, identity_id, kind FROM templates INDEXED BY templates_identity').raw(),
      access: db.prepare('SELECT id, enabled, valid_from, valid_until FROM identities').raw(),
      identityIds: db.prepare('SELECT id FROM identities').pluck(),
    };
  }

  setMeta(key: string, value: string | number): void {
    this.#s.setMeta.run(key, String(value));
  }

  /** Changes when another connection commits (not on this connection's own commits). */
  dataVersion(): number {
    return this.#s.dataVersion.get() as number;
  }

  meta(): GalleryMeta {
    return readMeta(this.db, this.path);
  }

  identity(id: string): IdentityRow | undefined {
    return this.#s.identity.get(id) as IdentityRow | undefined;
  }

  identities(): IdentityRow[] {
    return this.#s.identities.all() as IdentityRow[];
  }

  insertIdentity(row: IdentityRow): void {
    this.#s.insertIdentity.run(row);
  }

  updateIdentity(row: IdentityRow): void {
    this.#s.updateIdentity.run(row);
  }

  /** Deletes the identity and (by cascade) its templates; returns the template ids that went. */
  deleteIdentity(id: string): number[] {
    const ids = this.#s.labelIdsOf.all(id) as number[];
    this.#s.deleteIdentity.run(id);
    return ids;
  }

  deleteAllIdentities(): void {
    this.#s.deleteAllIdentities.run();
  }

  templatesOf(identityId: string): TemplateRow[] {
    return this.#s.templatesOf.all(identityId) as TemplateRow[];
  }

  sampleVectorsOf(identityId: string, dim: number): { id: number; digest: string; vector: Float32Array }[] {
    const rows = this.#s.sampleVectorsOf.all(identityId) as { id: number; embedding: Buffer; digest: string }[];
    return rows.map((r) => ({ id: r.id, digest: r.digest, vector: blobToVector(r.embedding, dim) }));
  }

  /** (id, digest) of the identity's samples: what a sync diff needs, without reading the blobs. */
  sampleDigestsOf(identityId: string): [number, string][] {
    return this.#s.sampleDigestsOf.all(identityId) as [number, string][];
  }

  sampleRowsOf(identityId: string, dim: number): { id: number; vector: Float32Array; modelId: string; source: string | null; quality: number | null; created: number }[] {
    const rows = this.#s.sampleRowsOf.all(identityId) as { id: number; embedding: Buffer; model_id: string; source: string | null; quality: number | null; created: number }[];
    return rows.map((r) => ({ id: r.id, vector: blobToVector(r.embedding, dim), modelId: r.model_id, source: r.source, quality: r.quality, created: r.created }));
  }

  centreIdOf(identityId: string): number | undefined {
    return this.#s.centreOf.get(identityId) as number | undefined;
  }

  ownerOfDigest(digest: string): string | undefined {
    return this.#s.ownerOfDigest.get(digest) as string | undefined;
  }

  insertTemplate(t: NewTemplate): number {
    const r = this.#s.insertTemplate.run(t.identityId, t.kind, vectorToBlob(t.embedding), t.modelId, t.embedding.length, t.digest, t.source, t.quality, t.created);
    return Number(r.lastInsertRowid);
  }

  deleteTemplate(id: number): void {
    this.#s.deleteTemplate.run(id);
  }

  vector(id: number, dim: number): Float32Array | undefined {
    const blob = this.#s.vector.get(id) as Buffer | undefined;
    return blob ? blobToVector(blob, dim) : undefined;
  }

  /** Every template's (id, identity, kind), as arrays (no per-row objects: this runs at every open). */
  labels(): [number, string, 'sample' | 'centre'][] {
    return this.#s.labels.all() as [number, string, 'sample' | 'centre'][];
  }

  /** (id, enabled, valid_from, valid_until) of every identity, as arrays. */
  access(): [string, number, number | null, number | null][] {
    return this.#s.access.all() as [string, number, number | null, number | null][];
  }

  identityIds(): string[] {
    return this.#s.identityIds.all() as string[];
  }

  /** Streams (id, vector) of every template that belongs in the index. */
  *indexedVectors(dim: number, centres: boolean): Generator<{ id: number; vector: Float32Array }> {
    const sql = centres ? 'SELECT id, embedding FROM templates' : "SELECT id, embedding FROM templates WHERE kind = 'sample'";
    for (const r of this.db.prepare(sql).iterate() as IterableIterator<{ id: number; embedding: Buffer }>) {
      yield { id: r.id, vector: blobToVector(r.embedding, dim) };
    }
  }


  close(): void {
    if (this.db.open) this.db.close();
  }
}
