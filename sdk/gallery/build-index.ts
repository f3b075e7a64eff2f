/**
 * Builds an HNSW index file from the database: a consistent snapshot (one read transaction) of
 * the templates that belong in the index, written under a new name. Runs in a worker thread
 * (`buildIndexFileInWorker`) so a large build never stalls the caller's event loop; the same
 * function runs inline where that does not matter.
 */
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';
import { HnswIndex, type HnswParams } from './hnsw-index.ts';
import { blobToVector } from './vectors.ts';
import { commitIndexFile, newIndexFileName } from './index-file.ts';

export interface BuildRequest {
  dbPath: string;
  dir: string;
  dim: number;
  params: HnswParams;
  centres: boolean;
}

export interface BuildResult {
  /** Name (in dir) of the committed index file. */
  file: string;
  sha256: string;
  bytes: number;
  generation: number;
  count: number;
  buildMs: number;
}

/** Builds, writes under a temporary name, fsyncs and renames; the sidecar is the caller's job. */
export async function buildIndexFile(req: BuildRequest): Promise<BuildResult> {
  const t0 = performance.now();
  const built = buildSync(req);
  const { sha256, bytes } = await commitIndexFile(req.dir, built.tmpName, built.finalName);
  return { file: built.finalName, sha256, bytes, generation: built.generation, count: built.count, buildMs: performance.now() - t0 };
}

function buildSync(req: BuildRequest): { tmpName: string; finalName: string; generation: number; count: number } {
  const db = new Database(req.dbPath, { readonly: true, fileMustExist: true });
  try {
    // One read transaction: the generation and the rows come from the same snapshot.
    const snapshot = db.transaction(() => {
      const generation = Number(db.prepare("SELECT value FROM meta WHERE key = 'generation'").pluck().get());
      const where = req.centres ? '' : " WHERE kind = 'sample'";
      const count = db.prepare(`SELECT COUNT(*) FROM templates${where}`).pluck().get() as number;
      const index = HnswIndex.create(req.dim, req.params, Math.max(1024, Math.ceil(count * 1.1)));
      for (const r of db.prepare(`SELECT id, embedding FROM templates${where}`).iterate() as IterableIterator<{ id: number; embedding: Buffer }>) {
        index.add(r.id, blobToVector(r.embedding, req.dim));
      }
      return { generation, index, count };
    });
    const { generation, index, count } = snapshot();
    const finalName = newIndexFileName(generation);
    const tmpName = `${finalName}.tmp`;
    index.writeSync(join(req.dir, tmpName));
    return { tmpName, finalName, generation, count };
  } finally {
    db.close();
  }
}

/**
 * Runs buildIndexFile in a worker thread. The worker is started through tsx's loader (the SDK is
 * TypeScript executed by tsx), so it works both under `node --import tsx` and the bin.
 */
export function buildIndexFileInWorker(req: BuildRequest): Promise<BuildResult> {
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./build-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: req });
    let settled = false;
    worker.once('message', (msg: { ok: true; result: BuildResult } | { ok: false; error: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else reject(new FaceGateError('FG_GALLERY', `index build failed: ${msg.error}`));
    });
    worker.once('error', (e) => {
      if (!settled) reject(new FaceGateError('FG_GALLERY', `index build worker failed: ${errorMessage(e)}`, { cause: e }));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new FaceGateError('FG_GALLERY', `index build worker exited with code ${code}`));
      settled = true;
    });
  });
}
