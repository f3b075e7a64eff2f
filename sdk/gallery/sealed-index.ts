/**
 * HNSW index files of an encrypted gallery. hnswlib reads and writes only named files, so the
 * plain graph passes through a private directory on a RAM file system (tmpfs/ramfs: never on the
 * storage medium) and only its AES-GCM sealed form is written beside the database. Where no RAM
 * file system exists the encrypted gallery writes no index file at all (see Gallery: it then
 * searches exactly). Plain galleries read and write the file directly.
 */
import { readdirSync, rmSync, statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GalleryCipher } from '../security/gallery-cipher.ts';
import { FaceGateError } from '../errors.ts';
import { HnswIndex, type HnswParams, type LabelSet, type LoadedIndex, type LoadOptions } from './hnsw-index.ts';
import { ProjectedIndex, type GraphIndex } from './projected-index.ts';
import { decodeProjection, encodeProjection, type Projection } from './projection.ts';

/** statfs f_type of the RAM file systems (linux/magic.h). */
const RAM_FS = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);
export const RAM_DIR_ENV = 'FACEGATE_RAM_DIR';
const INDEX_AAD = 'hnsw-index';
const PROJECTION_AAD = 'hnsw-projection';

export interface IndexSeal {
  cipher: GalleryCipher;
  /** RAM directory for the plain graph while hnswlib reads or writes it. */
  ramDir: string;
}

/** The RAM directory to use (FACEGATE_RAM_DIR, else /dev/shm), or null when it is not RAM-backed. */
export function ramScratchDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env[RAM_DIR_ENV] || '/dev/shm';
  try {
    return RAM_FS.has(Number(statfsSync(dir).type)) ? dir : null;
  } catch {
    return null;
  }
}

const PREFIX = 'facegate-index-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes plain-graph directories left in the RAM directory by processes that died mid-read or
 * mid-write (the name carries the owner's pid; a live owner's directory is left alone).
 */
export function sweepRamDir(ramDir: string): void {
  let names: string[];
  try {
    names = readdirSync(ramDir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(PREFIX) ? /^(\d+)-/.exec(name.slice(PREFIX.length)) : null;
    if (m && !alive(Number(m[1]))) rmSync(join(ramDir, name), { recursive: true, force: true });
  }
}

async function withRamFile<T>(ramDir: string, fn: (plainPath: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(ramDir, `${PREFIX}${process.pid}-`)); // mode 0700
  try {
    return await fn(join(dir, 'index.bin'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes `index` to `dest` (sealed when `seal` is given). `sync`: hnswlib's blocking write (worker builds). */
export async function writeIndexFile(index: GraphIndex, dest: string, seal: IndexSeal | null, sync = false): Promise<void> {
  const write = async (path: string) => (sync ? index.writeSync(path) : index.writeAsync(path));
  if (!seal) return write(dest);
  await withRamFile(seal.ramDir, async (plain) => {
    await write(plain);
    await seal.cipher.sealFile(plain, dest, INDEX_AAD);
  });
}

/** A loaded index file: a plain graph, or one over the projection the sidecar names. */
export type LoadedGraph = Omit<LoadedIndex, 'index'> & { index: GraphIndex };

/** Loads an index file written by writeIndexFile (see HnswIndex.load for `expectedLive`). */
export async function loadIndexFile(file: string, dim: number, params: HnswParams, expectedLive: LabelSet, seal: IndexSeal | null, opts: LoadOptions = {},
  projection: Projection | null = null): Promise<LoadedGraph> {
  const load = (path: string): Promise<LoadedGraph> => (projection ? ProjectedIndex.load(path, projection, params, expectedLive, opts) : HnswIndex.load(path, dim, params, expectedLive, opts));
  if (!seal) return load(file);
  return withRamFile(seal.ramDir, async (plain) => {
    await seal.cipher.openFile(file, plain, INDEX_AAD);
    return load(plain);
  });
}

/** The sidecar form of encoded projection bytes: base64, sealed when a cipher is given (it is derived from templates). */
export function projectionText(bytes: Uint8Array, cipher: GalleryCipher | null): string {
  return (cipher ? cipher.seal(bytes, PROJECTION_AAD) : Buffer.from(bytes)).toString('base64');
}

/** The encoded projection bytes of a sidecar's text (opened with the cipher when given). */
export function projectionBytes(text: unknown, cipher: GalleryCipher | null): Uint8Array {
  if (typeof text !== 'string') throw new FaceGateError('FG_GALLERY_CORRUPT', 'index projection: not a string');
  const raw = Buffer.from(text, 'base64');
  try {
    return cipher ? cipher.open(raw, PROJECTION_AAD) : raw;
  } catch (e) {
    throw new FaceGateError('FG_GALLERY_CORRUPT', 'index projection: cannot be opened with the gallery key', { cause: e });
  }
}

/** The sidecar field for an index's projection (none for a plain graph). */
export function projectionForSidecar(index: GraphIndex, seal: IndexSeal | null): { projection?: string } {
  return index instanceof ProjectedIndex ? { projection: projectionText(encodeProjection(index.projection), seal?.cipher ?? null) } : {};
}

/** The projection a sidecar names, null when it names none; FG_GALLERY_CORRUPT when it cannot be read. */
export function projectionFromSidecar(s: { projection?: unknown }, dim: number, seal: IndexSeal | null): Projection | null {
  return s.projection === undefined ? null : decodeProjection(projectionBytes(s.projection, seal?.cipher ?? null), dim);
}
