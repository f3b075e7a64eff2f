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
import { createPrivateFileSync } from '../security/private-files.ts';
import { FaceGateError, errorMessage } from '../errors.ts';
import { CIPHER_NAME, GalleryCipher } from '../security/gallery-cipher.ts';
import type { SiteKey } from '../security/site-key.ts';
import { legacyPlainCodec, plainCodec, sealedCodec, ROW_BINDING, type IdentityRow, type RecordCodec, type TemplateKind } from './record-codec.ts';

export type { IdentityRow } from './record-codec.ts';

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
  /** Key check value of an encrypted gallery; null for a plain one. */
  keyCheck: string | null;
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

/** SQLite's page-level check (b-trees, free list, record formats): cheap next to a full integrity_check. */
function checkPages(db: Database.Database, path: string): void {
  const result = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
  const problems = result.map((r) => r.quick_check).filter((m) => m !== 'ok');
  if (problems.length) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery database ${path} is damaged: ${problems.join('; ')}`);
}

/**
 * A plain gallery written before row digests: every template blob gets its digest, in one
 * transaction, and meta row_binding records that from now on a blob without one is damage.
 */
function addRowDigests(db: Database.Database): void {
  db.transaction(() => {
    const rows = db.prepare('SELECT id, identity_id, kind, embedding, dim FROM templates').all() as { id: number; identity_id: string; kind: TemplateKind; embedding: Buffer; dim: number }[];
    const upd = db.prepare('UPDATE templates SET embedding = ? WHERE id = ?');
    for (const r of rows) upd.run(plainCodec.encodeVector(r.id, r.identity_id, r.kind, legacyPlainCodec.decodeVector(r.id, r.identity_id, r.kind, r.embedding, r.dim)), r.id);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('row_binding', ROW_BINDING);
  }).immediate();
}

export interface OpenedDatabase {
  db: Database.Database;
  meta: GalleryMeta;
  created: boolean;
  codec: RecordCodec;
  /** The gallery's cipher (encrypted gallery), for the index file. */
  cipher: GalleryCipher | null;
}

/**
 * Opens (or creates) the database; any SQLite failure at this point means a corrupt or foreign
 * file. `key`: the site key. An encrypted gallery needs it and a plain one refuses it; a wrong key
 * fails on the key check value — all before anything is written.
 */
export function openDatabase(path: string, create: { modelId: string; dim: number; centres: boolean } | null, readonly = false, key: SiteKey | null = null): OpenedDatabase {
  const exists = existsSync(path);
  if (!exists && !create) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery at ${path} (create it with an enrolment)`);
  let db: Database.Database;
  try {
    if (!exists) createPrivateFileSync(path);
    db = new Database(path, { readonly, fileMustExist: exists });
  } catch (e) {
    throw corrupt(path, e);
  }
  try {
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      // Deleted rows are overwritten with zeros, not left in free pages (erasure of templates).
      db.pragma('secure_delete = ON');
    }
    // Reading the schema touches page 1: a file that is not SQLite fails here.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (exists) checkPages(db, path);
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
      put.run('row_binding', ROW_BINDING);
      if (key) {
        put.run('encryption', CIPHER_NAME);
        put.run('key_check', GalleryCipher.derive(key, String(db.prepare("SELECT value FROM meta WHERE key = 'gallery_id'").pluck().get())).checkValue);
      }
      db.exec('COMMIT');
      created = true;
    }
    const meta = readMeta(db, path);
    const cipher = cipherFor(meta, key, path);
    const bound = db.prepare("SELECT value FROM meta WHERE key = 'row_binding'").pluck().get() === ROW_BINDING;
    if (!cipher && !bound && !readonly) addRowDigests(db);
    return { db, meta, created, codec: cipher ? sealedCodec(cipher) : bound || !readonly ? plainCodec : legacyPlainCodec, cipher };
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
  const keyCheck = m.get('key_check') ?? null;
  if (keyCheck !== null && m.get('encryption') !== CIPHER_NAME) {
    throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${path}: encryption '${m.get('encryption')}' unsupported (expected ${CIPHER_NAME})`);
  }
  return { schema, galleryId, modelId, dim: num('dim'), generation: num('generation'), version: num('version'), centres: m.get('centres') === '1', keyCheck };
}

/** The gallery's cipher, after checking the key against the stored check value. */
export function cipherFor(meta: GalleryMeta, key: SiteKey | null, path: string): GalleryCipher | null {
  if (meta.keyCheck === null) {
    if (key) {
      throw new FaceGateError('FG_GALLERY_KEY', `gallery ${path} is not encrypted but a key was given (${key.source}); open it without a key, `
        + 'or encrypt it first: facegate gallery rekey --db <dir> --new-key-file <file>');
    }
    return null;
  }
  if (!key) {
    throw new FaceGateError('FG_GALLERY_KEY', `gallery ${path} is encrypted: give its site key (--key-file <file> or the FACEGATE_GALLERY_KEY environment variable)`);
  }
  const cipher = GalleryCipher.derive(key, meta.galleryId);
  if (!cipher.matches(meta.keyCheck)) {
    cipher.destroy();
    throw new FaceGateError('FG_GALLERY_KEY', `wrong key for gallery ${path} (${key.source} does not match the gallery's key check value); nothing was changed`);
  }
  return cipher;
}

/**
 * Prepared statements over one connection. Every row passes through the codec: callers give and
 * get plain ids, fields and vectors whether the gallery is plain or encrypted.
 */
export class GalleryStore {
  readonly db: Database.Database;
  readonly path: string;
  readonly codec: RecordCodec;
  readonly #s;
  /** Stored identity key -> identity id (encrypted galleries; the mapping never changes). */
  readonly #ids = new Map<string, string>();

  constructor(db: Database.Database, path: string, codec: RecordCodec = plainCodec) {
    this.db = db;
    this.path = path;
    this.codec = codec;
    this.#s = {
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
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
      insertTemplateWithId: db.prepare('INSERT INTO templates (id, identity_id, kind, embedding, model_id, dim, digest, source, quality, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      nextTemplateId: db.prepare("SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'templates'), 0), COALESCE((SELECT MAX(id) FROM templates), 0)) + 1").pluck(),
      deleteTemplate: db.prepare('DELETE FROM templates WHERE id = ?'),
      vector: db.prepare('SELECT embedding, identity_id, kind FROM templates WHERE id = ?'),
      labels: db.prepare('SELECT id, identity_id, kind FROM templates INDEXED BY templates_identity').raw(),
      access: db.prepare('SELECT id, enabled, valid_from, valid_until FROM identities').raw(),
      identityIds: db.prepare('SELECT id FROM identities').pluck(),
    };
  }

  get encrypted(): boolean {
    return this.codec.encrypted;
  }

  setMeta(key: string, value: string | number): void {
    this.#s.setMeta.run(key, String(value));
  }

  deleteMeta(key: string): void {
    this.#s.deleteMeta.run(key);
  }

  /** Changes when another connection commits (not on this connection's own commits). */
  dataVersion(): number {
    return this.#s.dataVersion.get() as number;
  }

  meta(): GalleryMeta {
    return readMeta(this.db, this.path);
  }

  /** Digest of a unit vector as stored in the digest column (keyed when encrypted). */
  digest(v: Float32Array): string {
    return this.codec.digest(v);
  }

  #decodeIdentity(stored: IdentityRow): IdentityRow {
    const row = this.codec.decodeIdentity(stored);
    if (this.codec.encrypted) this.#ids.set(stored.id, row.id);
    return row;
  }

  /** Identity id of a stored identity key. */
  #idOf(key: string): string {
    if (!this.codec.encrypted) return key;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const stored = this.#s.identity.get(key) as IdentityRow | undefined;
    if (!stored) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${this.path}: a template refers to a missing identity`);
    return this.#decodeIdentity(stored).id;
  }

  identity(id: string): IdentityRow | undefined {
    const stored = this.#s.identity.get(this.codec.idKey(id)) as IdentityRow | undefined;
    return stored ? this.#decodeIdentity(stored) : undefined;
  }

  identities(): IdentityRow[] {
    const rows = (this.#s.identities.all() as IdentityRow[]).map((r) => this.#decodeIdentity(r));
    if (this.codec.encrypted) rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows;
  }

  insertIdentity(row: IdentityRow): void {
    this.#s.insertIdentity.run(this.codec.encodeIdentity(row));
  }

  updateIdentity(row: IdentityRow): void {
    this.#s.updateIdentity.run(this.codec.encodeIdentity(row));
  }

  /** Deletes the identity and (by cascade) its templates; returns the template ids that went. */
  deleteIdentity(id: string): number[] {
    const key = this.codec.idKey(id);
    const ids = this.#s.labelIdsOf.all(key) as number[];
    this.#s.deleteIdentity.run(key);
    return ids;
  }

  deleteAllIdentities(): void {
    this.#s.deleteAllIdentities.run();
  }

  templatesOf(identityId: string): TemplateRow[] {
    return (this.#s.templatesOf.all(this.codec.idKey(identityId)) as TemplateRow[])
      .map((t) => ({ ...t, identity_id: identityId, source: this.codec.decodeSource(t.id, t.source) }));
  }

  sampleVectorsOf(identityId: string, dim: number): { id: number; digest: string; vector: Float32Array }[] {
    const key = this.codec.idKey(identityId);
    const rows = this.#s.sampleVectorsOf.all(key) as { id: number; embedding: Buffer; digest: string }[];
    return rows.map((r) => ({ id: r.id, digest: r.digest, vector: this.codec.decodeVector(r.id, key, 'sample', r.embedding, dim) }));
  }

  /** (id, digest) of the identity's samples: what a sync diff needs, without reading the blobs. */
  sampleDigestsOf(identityId: string): [number, string][] {
    return this.#s.sampleDigestsOf.all(this.codec.idKey(identityId)) as [number, string][];
  }

  sampleRowsOf(identityId: string, dim: number): { id: number; vector: Float32Array; modelId: string; source: string | null; quality: number | null; created: number }[] {
    const key = this.codec.idKey(identityId);
    const rows = this.#s.sampleRowsOf.all(key) as { id: number; embedding: Buffer; model_id: string; source: string | null; quality: number | null; created: number }[];
    return rows.map((r) => ({ id: r.id, vector: this.codec.decodeVector(r.id, key, 'sample', r.embedding, dim), modelId: r.model_id,
      source: this.codec.decodeSource(r.id, r.source), quality: r.quality, created: r.created }));
  }

  centreIdOf(identityId: string): number | undefined {
    return this.#s.centreOf.get(this.codec.idKey(identityId)) as number | undefined;
  }

  /** Identity holding a sample with this digest (a digest from `digest()`). */
  ownerOfDigest(digest: string): string | undefined {
    const key = this.#s.ownerOfDigest.get(digest) as string | undefined;
    return key === undefined ? undefined : this.#idOf(key);
  }

  insertTemplate(t: NewTemplate): number {
    const key = this.codec.idKey(t.identityId);
    // The blob names its row id (sealed: AAD; plain: row digest), so the id is fixed before the
    // insert. The caller's transaction makes this read-then-insert atomic; AUTOINCREMENT still
    // never reuses an id.
    const id = this.#s.nextTemplateId.get() as number;
    this.#s.insertTemplateWithId.run(id, key, t.kind, this.codec.encodeVector(id, key, t.kind, t.embedding), t.modelId, t.embedding.length, t.digest,
      this.codec.encodeSource(id, t.source), t.quality, t.created);
    return id;
  }

  deleteTemplate(id: number): void {
    this.#s.deleteTemplate.run(id);
  }

  /** Reads template `id` back and checks it belongs to `identityId` (row digest or AAD); FG_GALLERY_CORRUPT otherwise. */
  checkTemplate(id: number, identityId: string, dim: number): void {
    const r = this.#s.vector.get(id) as { embedding: Buffer; identity_id: string; kind: TemplateKind } | undefined;
    if (!r) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${this.path}: template ${id} is in the index but not in the database`);
    this.codec.decodeVector(id, r.identity_id, r.kind, r.embedding, dim);
    if (this.#idOf(r.identity_id) !== identityId) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${this.path}: template ${id} belongs to another identity than the index says`);
  }

  vector(id: number, dim: number): Float32Array | undefined {
    const r = this.#s.vector.get(id) as { embedding: Buffer; identity_id: string; kind: TemplateKind } | undefined;
    return r ? this.codec.decodeVector(id, r.identity_id, r.kind, r.embedding, dim) : undefined;
  }

  /** Every template's (id, identity, kind), as arrays (no per-row objects: this runs at every open). */
  labels(): [number, string, 'sample' | 'centre'][] {
    const rows = this.#s.labels.all() as [number, string, 'sample' | 'centre'][];
    if (this.codec.encrypted) for (const r of rows) r[1] = this.#idOf(r[1]);
    return rows;
  }

  /** (id, enabled, valid_from, valid_until) of every identity, as arrays. */
  access(): [string, number, number | null, number | null][] {
    if (!this.codec.encrypted) return this.#s.access.all() as [string, number, number | null, number | null][];
    return this.identities().map((r) => [r.id, r.enabled, r.valid_from, r.valid_until]);
  }

  identityIds(): string[] {
    if (!this.codec.encrypted) return this.#s.identityIds.all() as string[];
    return this.identities().map((r) => r.id);
  }

  /** Streams (id, vector) of every template that belongs in the index. */
  *indexedVectors(dim: number, centres: boolean): Generator<{ id: number; vector: Float32Array }> {
    yield* indexedVectors(this.db, this.codec, dim, centres);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** (id, vector) of every template that belongs in the index, on any connection (the build worker's too). */
export function* indexedVectors(db: Database.Database, codec: RecordCodec, dim: number, centres: boolean): Generator<{ id: number; vector: Float32Array }> {
  const sql = centres ? 'SELECT id, identity_id, kind, embedding FROM templates' : "SELECT id, identity_id, kind, embedding FROM templates WHERE kind = 'sample'";
  for (const r of db.prepare(sql).iterate() as IterableIterator<{ id: number; identity_id: string; kind: TemplateKind; embedding: Buffer }>) {
    yield { id: r.id, vector: codec.decodeVector(r.id, r.identity_id, r.kind, r.embedding, dim) };
  }
}
