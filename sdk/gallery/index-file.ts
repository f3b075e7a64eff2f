/**
 * The HNSW index file and its sidecar. The sidecar (index.json) names the file, the generation of
 * the database state it holds, the gallery it belongs to and the file's sha256: a stale, foreign,
 * truncated or tampered file is detected before hnswlib reads it (a corrupt graph can crash the
 * native code rather than throw). Files are written to a temporary name, fsynced and renamed, so
 * a crash leaves either the old complete pair or the new one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HnswParams } from './hnsw-index.ts';

export const SIDECAR = 'index.json';
export const SIDECAR_FORMAT = 1;

export interface Sidecar {
  format: number;
  galleryId: string;
  /** Database generation the file's contents correspond to. */
  generation: number;
  file: string;
  bytes: number;
  sha256: string;
  modelId: string;
  dim: number;
  m: number;
  efConstruction: number;
  centres: boolean;
  /** Live vectors in the file (slots may hold more, marked deleted). */
  count: number;
  /** Encrypted gallery: key check value of the key the file is sealed under (absent: plain file). */
  sealed?: string;
  /** The graph is over projected templates (projection.ts): the encoded projection, base64, sealed when `sealed`. */
  projection?: string;
}

export function newIndexFileName(generation: number): string {
  return `hnsw-${generation}-${randomBytes(4).toString('hex')}.bin`;
}

export async function readSidecar(dir: string): Promise<Sidecar | null> {
  let text: string;
  try {
    text = await readFile(join(dir, SIDECAR), 'utf8');
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(text) as Partial<Sidecar>;
    if (s.format !== SIDECAR_FORMAT || typeof s.file !== 'string' || !/^hnsw-[0-9a-f-]+\.bin$/.test(s.file)) return null;
    if (typeof s.generation !== 'number' || typeof s.sha256 !== 'string' || typeof s.bytes !== 'number') return null;
    return s as Sidecar;
  } catch {
    return null;
  }
}

export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of the directory makes the renames themselves durable. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}

/** Moves a finished index file into place: fsync content, rename, fsync directory. */
export async function commitIndexFile(dir: string, tmpName: string, finalName: string): Promise<{ sha256: string; bytes: number }> {
  // hnswlib writes with the umask's mode; the index holds every template.
  await chmod(join(dir, tmpName), 0o600);
  await fsyncPath(join(dir, tmpName));
  await rename(join(dir, tmpName), join(dir, finalName));
  await fsyncDir(dir);
  return sha256File(join(dir, finalName));
}

export async function writeSidecar(dir: string, s: Sidecar): Promise<void> {
  const tmp = join(dir, `${SIDECAR}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, JSON.stringify(s, null, 1) + '\n', { mode: 0o600 });
  await fsyncPath(tmp);
  await rename(tmp, join(dir, SIDECAR));
  await fsyncDir(dir);
}

/** Deletes index files and temporaries other than `keep` (left over by crashes or replaced). */
export async function removeIndexFiles(dir: string, keep: string | null): Promise<void> {
  for (const name of await readdir(dir)) {
    const ours = /^hnsw-.*\.bin(\.tmp)?$/.test(name) || /^index\.json\..*\.tmp$/.test(name);
    if (ours && name !== keep) await unlink(join(dir, name)).catch(() => undefined);
  }
}

export async function removeSidecar(dir: string): Promise<void> {
  await unlink(join(dir, SIDECAR)).catch(() => undefined);
}

/**
 * Why the sidecar's file cannot serve this gallery, or null. `explicit`: build parameters the
 * caller set (a file built otherwise is rebuilt); automatic ones are judged by the caller, which
 * may load a file built for a smaller gallery and rebuild it in the background.
 */
export function sidecarMatches(s: Sidecar, want: { galleryId: string; modelId: string; dim: number; explicit: Partial<HnswParams>; centres: boolean; generation: number; sealed: string | null }): string | null {
  if (s.galleryId !== want.galleryId) return 'index belongs to another gallery';
  if ((s.sealed ?? null) !== want.sealed) return want.sealed === null ? 'index file is sealed but the gallery is plain' : 'index file is not sealed under the gallery key';
  if (s.modelId !== want.modelId || s.dim !== want.dim) return 'index built for another model';
  if (!(Number.isInteger(s.m) && s.m >= 2 && Number.isInteger(s.efConstruction) && s.efConstruction >= 1)) return 'index sidecar has no valid HNSW parameters';
  const { m, efConstruction } = want.explicit;
  if ((m !== undefined && s.m !== m) || (efConstruction !== undefined && s.efConstruction !== efConstruction)) return 'index built with other HNSW parameters';
  if (s.generation > want.generation) return `index generation ${s.generation} is ahead of the database (${want.generation})`;
  return null;
}
