/**
 * Key rotation: re-seals every identity and template row under a new site key in ONE SQLite
 * transaction (an interruption leaves the gallery exactly as it was, opened by the old key), then
 * VACUUMs and truncates the WAL so the old row images leave the database file, and re-seals the
 * index file. The same path encrypts a plain gallery (no old key) or decrypts one (no new key).
 *
 * Template ids are kept, so the index file's labels stay valid: it is re-sealed, not rebuilt. A
 * crash after the commit but before the new index file is in place leaves a sidecar naming the
 * old key; the next open rebuilds the index from the database.
 *
 * Run it with the gallery closed everywhere (stop the device): a process still holding the old
 * key cannot read rows sealed under the new one.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FaceGateError } from '../errors.ts';
import { CIPHER_NAME, GalleryCipher } from '../security/gallery-cipher.ts';
import type { SiteKey } from '../security/site-key.ts';
import { GALLERY_DB } from './gallery.ts';
import { commitIndexFile, newIndexFileName, readSidecar, removeIndexFiles, removeSidecar, sha256File, writeSidecar, type Sidecar } from './index-file.ts';
import { plainCodec, sealedCodec, type IdentityRow, type RecordCodec, type TemplateKind } from './record-codec.ts';
import { projectionBytes, projectionText, ramScratchDir } from './sealed-index.ts';
import { openDatabase } from './store.ts';

export interface RekeyResult {
  from: 'plain' | 'encrypted';
  to: 'plain' | 'encrypted';
  identities: number;
  templates: number;
  generation: number;
  /** What happened to the HNSW index file. */
  indexFile: 'resealed' | 'removed' | 'none';
}

interface TemplateStored {
  id: number;
  identity_id: string;
  kind: TemplateKind;
  embedding: Buffer;
  source: string | null;
  dim: number;
}

export async function rekeyGallery(dir: string, opts: { oldKey: SiteKey | null; newKey: SiteKey | null }): Promise<RekeyResult> {
  if (!opts.oldKey && !opts.newKey) throw new FaceGateError('FG_INPUT_INVALID', 'rekey needs a new key (to encrypt) or an old key (to decrypt)');
  const path = join(dir, GALLERY_DB);
  if (!existsSync(path)) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery in ${dir} (expected ${GALLERY_DB})`);
  // Checks the old key (and that the gallery is/is not encrypted as claimed) before any write.
  const { db, meta, codec: oldCodec, cipher: oldCipher } = openDatabase(path, null, false, opts.oldKey);
  const newCipher = opts.newKey ? GalleryCipher.derive(opts.newKey, meta.galleryId) : null;
  const newCodec = newCipher ? sealedCodec(newCipher) : plainCodec;
  let counts: { identities: number; templates: number; generation: number };
  try {
    counts = db.transaction(() => {
      // Identity keys change under the new key while templates still point at the old ones;
      // foreign keys are checked at COMMIT instead of per statement.
      db.pragma('defer_foreign_keys = ON');
      const ids = new Map<string, string>();
      const identities = db.prepare('SELECT * FROM identities').all() as IdentityRow[];
      const updIdentity = db.prepare('UPDATE identities SET id = @id, name = @name, metadata = @metadata, enabled = @enabled, valid_from = @valid_from, valid_until = @valid_until WHERE id = @old');
      for (const stored of identities) {
        const row = oldCodec.decodeIdentity(stored);
        ids.set(stored.id, row.id);
        updIdentity.run({ ...newCodec.encodeIdentity(row), old: stored.id });
      }
      const templates = db.prepare('SELECT id, identity_id, kind, embedding, source, dim FROM templates').all() as TemplateStored[];
      const updTemplate = db.prepare('UPDATE templates SET identity_id = ?, embedding = ?, digest = ?, source = ? WHERE id = ?');
      for (const t of templates) {
        const identity = ids.get(t.identity_id);
        if (identity === undefined) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery ${dir}: template ${t.id} refers to a missing identity`);
        recodeTemplate(t, identity, oldCodec, newCodec, updTemplate);
      }
      const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
      if (newCipher) {
        setMeta.run('encryption', CIPHER_NAME);
        setMeta.run('key_check', newCipher.checkValue);
      } else {
        db.prepare("DELETE FROM meta WHERE key IN ('encryption', 'key_check')").run();
      }
      const generation = meta.generation + 1;
      setMeta.run('generation', String(generation));
      return { identities: identities.length, templates: templates.length, generation };
    }).immediate();
    // The old row images sit in freed pages and WAL frames: rewrite the file, then empty the WAL.
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  try {
    const indexFile = await resealIndex(dir, meta.generation, counts.generation, oldCipher, newCipher);
    return { from: oldCipher ? 'encrypted' : 'plain', to: newCipher ? 'encrypted' : 'plain', ...counts, indexFile };
  } finally {
    oldCipher?.destroy();
    newCipher?.destroy();
  }
}

function recodeTemplate(t: TemplateStored, identity: string, from: RecordCodec, to: RecordCodec, upd: { run(...a: unknown[]): unknown }): void {
  const vector = from.decodeVector(t.id, t.identity_id, t.kind, t.embedding, t.dim);
  const source = from.decodeSource(t.id, t.source);
  const key = to.idKey(identity);
  upd.run(key, to.encodeVector(t.id, key, t.kind, vector), to.digest(vector), to.encodeSource(t.id, source), t.id);
}

const INDEX_AAD = 'hnsw-index';

/** Moves the index file under the new key (or drops it when that cannot be done without plain text on disk). */
async function resealIndex(dir: string, oldGeneration: number, newGeneration: number, from: GalleryCipher | null, to: GalleryCipher | null): Promise<RekeyResult['indexFile']> {
  const sidecar = await readSidecar(dir);
  const drop = async (): Promise<RekeyResult['indexFile']> => {
    await removeSidecar(dir);
    await removeIndexFiles(dir, null);
    return sidecar ? 'removed' : 'none';
  };
  if (!sidecar) return drop();
  const src = join(dir, sidecar.file);
  const ramDir = ramScratchDir();
  const intact = await sha256File(src).then((d) => d.sha256 === sidecar.sha256, () => false);
  if (!intact || (from && !ramDir) || (to && !ramDir)) return drop();
  let projection: string | undefined;
  if (sidecar.projection !== undefined) {
    try {
      projection = projectionText(projectionBytes(sidecar.projection, from), to);
    } catch {
      return drop(); // unreadable: the next open rebuilds the index
    }
  }
  const file = newIndexFileName(sidecar.generation);
  const tmp = join(dir, `${file}.tmp`);
  const work = await mkdtemp(join(ramDir ?? dir, `facegate-index-${process.pid}-`));
  try {
    let plain = src;
    if (from) {
      plain = join(work, 'index.bin');
      await from.openFile(src, plain, INDEX_AAD);
    }
    if (to) await to.sealFile(plain, tmp, INDEX_AAD);
    else await copyFile(plain, tmp);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const { sha256, bytes } = await commitIndexFile(dir, `${file}.tmp`, file);
  const next: Sidecar = { ...sidecar, file, sha256, bytes, generation: sidecar.generation === oldGeneration ? newGeneration : sidecar.generation };
  if (to) next.sealed = to.checkValue;
  else delete next.sealed;
  if (projection !== undefined) next.projection = projection;
  await writeSidecar(dir, next);
  await removeIndexFiles(dir, file);
  return 'resealed';
}
