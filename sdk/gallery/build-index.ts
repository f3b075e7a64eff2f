/**
 * Builds an HNSW index file from the database: a consistent snapshot (one read transaction) of
 * the templates that belong in the index, written under a new name. Runs in a worker thread
 * (`buildIndexFileInWorker`) so a large build never stalls the caller's event loop; the same
 * function runs inline where that does not matter.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { GalleryCipher } from '../security/gallery-cipher.ts';
import { SiteKey } from '../security/site-key.ts';
import { HnswIndex, type HnswParams } from './hnsw-index.ts';
import { ProjectedIndex, type GraphIndex } from './projected-index.ts';
import { encodeProjection, fitProjection } from './projection.ts';
import { commitIndexFile, newIndexFileName } from './index-file.ts';
import { plainCodec, sealedCodec } from './record-codec.ts';
import { writeIndexFile, type IndexSeal } from './sealed-index.ts';
import { indexedVectors } from './store.ts';
import { runGalleryWorker } from './worker-run.ts';

export interface BuildRequest {
  dbPath: string;
  dir: string;
  dim: number;
  params: HnswParams;
  centres: boolean;
  /** Encrypted gallery: the site key's bytes (copied to the worker), gallery id and RAM directory. */
  seal?: { key: Uint8Array; galleryId: string; ramDir: string };
}

export interface BuildResult {
  /** Name (in dir) of the committed index file. */
  file: string;
  sha256: string;
  bytes: number;
  generation: number;
  count: number;
  buildMs: number;
  /** Every label written to the file (saves the loader hnswlib's slow label listing). */
  labels: Float64Array;
  /** The encoded projection the graph is built over (projection.ts), or null for a plain graph. */
  projection: Uint8Array | null;
}

/** The eigensolver is O(dim^3): 0.5 s at 192-d, 3 s at 512-d here; wider templates stay unprojected. */
const MAX_PROJECTED_DIM = 1024;

/** Builds, writes under a temporary name, fsyncs and renames; the sidecar is the caller's job. */
export async function buildIndexFile(req: BuildRequest): Promise<BuildResult> {
  const t0 = performance.now();
  const cipher = req.seal ? GalleryCipher.derive(new SiteKey(req.seal.key, 'site key'), req.seal.galleryId) : null;
  req.seal?.key.fill(0); // SiteKey keeps its own copy; this one came through workerData
  try {
    const seal: IndexSeal | null = cipher && req.seal ? { cipher, ramDir: req.seal.ramDir } : null;
    const built = buildSync(req, cipher);
    const finalName = newIndexFileName(built.generation);
    const tmpName = `${finalName}.tmp`;
    await writeIndexFile(built.index, join(req.dir, tmpName), seal, true);
    const { sha256, bytes } = await commitIndexFile(req.dir, tmpName, finalName);
    return { file: finalName, sha256, bytes, generation: built.generation, count: built.count, buildMs: performance.now() - t0, labels: Float64Array.from(built.index.labels()),
      projection: built.index instanceof ProjectedIndex ? encodeProjection(built.index.projection) : null };
  } finally {
    cipher?.destroy();
  }
}

function buildSync(req: BuildRequest, cipher: GalleryCipher | null): { index: GraphIndex; generation: number; count: number } {
  const codec = cipher ? sealedCodec(cipher) : plainCodec;
  const db = new Database(req.dbPath, { readonly: true, fileMustExist: true });
  try {
    // One read transaction: the generation and the rows come from the same snapshot.
    const snapshot = db.transaction(() => {
      const generation = Number(db.prepare("SELECT value FROM meta WHERE key = 'generation'").pluck().get());
      const where = req.centres ? '' : " WHERE kind = 'sample'";
      const count = db.prepare(`SELECT COUNT(*) FROM templates${where}`).pluck().get() as number;
      const capacity = Math.max(1024, Math.ceil(count * 1.1));
      if (req.params.project === false || req.dim > MAX_PROJECTED_DIM) {
        const index = HnswIndex.create(req.dim, req.params, capacity);
        for (const r of indexedVectors(db, codec, req.dim, req.centres)) index.add(r.id, r.vector);
        return { generation, index, count };
      }
      // The subspace is fitted to the very templates indexed, so every one is read first.
      const ids = new Float64Array(count);
      const flat = new Float32Array(count * req.dim);
      let n = 0;
      for (const r of indexedVectors(db, codec, req.dim, req.centres)) {
        if (n === count) break;
        ids[n] = r.id;
        flat.set(r.vector, n++ * req.dim);
      }
      const projection = fitProjection(flat, n, req.dim);
      const index: GraphIndex = projection ? ProjectedIndex.create(projection, req.params, capacity) : HnswIndex.create(req.dim, req.params, capacity);
      for (let i = 0; i < n; i++) index.add(ids[i], flat.subarray(i * req.dim, (i + 1) * req.dim));
      flat.fill(0); // templates: do not leave them to the garbage collector's schedule
      return { generation, index, count: n };
    });
    return snapshot();
  } finally {
    db.close();
  }
}

/** Runs buildIndexFile in a worker thread (build-worker.ts). */
export function buildIndexFileInWorker(req: BuildRequest): Promise<BuildResult> {
  return runGalleryWorker<BuildResult>('./build-worker.ts', 'index build', req);
}
