/**
 * Large sync changes (a site-wide snapshot of 100k templates) applied by a worker thread on its
 * own SQLite connection: the one IMMEDIATE transaction that makes the change atomic holds that
 * thread, not the caller's event loop. WAL lets the main connection keep reading (searches keep
 * answering from the state before the change) while the worker writes; the Gallery makes sure its
 * own connection writes nothing meanwhile.
 *
 * Both directions are packed so the message copy is cheap: the templates' vectors are one shared
 * buffer (no copy), the rest a few JSON strings; the reply is transferred typed arrays and one
 * string of identity ids.
 */
import { openDatabase, GalleryStore } from './store.ts';
import { SiteKey } from '../security/site-key.ts';
import { applySyncChange, newDiff, type ChangeContext, type IdentityFields, type IdentityState, type PreparedTemplate, type PreparedUpsert } from './change-apply.ts';
import type { TimeSlice } from './time-slice.ts';
import { runGalleryWorker } from './worker-run.ts';

/** One upsert as packed JSON: fields and, per template, [digest, source, quality]. */
type PackedUpsert = [IdentityFields, [string, string | null, number | null][]];

export interface BulkRequest {
  dbPath: string;
  dim: number;
  modelId: string;
  /** Encrypted gallery: the site key's bytes (copied to the worker). */
  key?: Uint8Array;
  /** JSON arrays of PackedUpsert, in order. */
  upserts: string[];
  /** Every template's unit vector, in upsert order, over a SharedArrayBuffer (the worker only reads it). */
  vectors: Float32Array;
  removes: string[];
  version?: number;
  baseVersion?: number;
  replace: boolean;
}

export interface BulkResult {
  /** Generation read inside the transaction, before the change, and the one it committed. */
  generationBefore: number;
  generation: number;
  /** Identity ids the arrays below refer to, joined by '\n' (ids hold no control characters). */
  ids: string;
  /** Added templates: label, kind (0 sample, 1 centre), identity (index into ids), vector source. */
  addedLabels: Float64Array;
  addedKind: Uint8Array;
  addedOwner: Int32Array;
  /** >= 0: index of the request's template; < 0: -(i + 1) indexes centreVectors. */
  addedSrc: Int32Array;
  centreVectors: Float32Array;
  removed: Float64Array;
  /** Identity changes: index into ids, and (enabled 0/1 or -1 = removed, valid from, until; NaN = null). */
  identityIdx: Int32Array;
  identityState: Float64Array;
  /** The WAL checkpoint after a removal found a reader in the way (the next one retries). */
  checkpointBusy: boolean;
  ms: number;
}

/** Packs prepared upserts (all but their vectors) for the worker, giving the event loop a turn between slices. */
export async function packUpserts(upserts: readonly PreparedUpsert[], slice: TimeSlice): Promise<string[]> {
  const json: string[] = [];
  let chunk: PackedUpsert[] = [];
  for (const u of upserts) {
    chunk.push([u.fields, u.templates.map((t) => [t.digest, t.source, t.quality])]);
    if (slice.due()) {
      json.push(JSON.stringify(chunk));
      chunk = [];
      await slice.yield();
    }
  }
  if (chunk.length > 0) json.push(JSON.stringify(chunk));
  return json;
}

export function runBulkApply(req: BulkRequest): Promise<BulkResult> {
  return runGalleryWorker<BulkResult>('./bulk-worker.ts', 'bulk gallery change', req);
}

/** The worker's side: unpack, apply in one transaction, checkpoint after removals, pack the diff. */
export function applyBulk(req: BulkRequest): BulkResult {
  const t0 = performance.now();
  const key = req.key ? new SiteKey(req.key, 'site key') : null;
  req.key?.fill(0); // SiteKey keeps its own copy
  const { db, codec, cipher } = openDatabase(req.dbPath, null, false, key);
  try {
    const store = new GalleryStore(db, req.dbPath, codec);
    const srcOf = new Map<Float32Array, number>();
    const upserts: PreparedUpsert[] = [];
    let at = 0;
    for (const text of req.upserts) {
      for (const [fields, ts] of JSON.parse(text) as PackedUpsert[]) {
        const templates: PreparedTemplate[] = ts.map(([digest, source, quality]) => {
          const vector = req.vectors.subarray(at * req.dim, (at + 1) * req.dim);
          srcOf.set(vector, at++);
          return { vector, digest, source, quality };
        });
        upserts.push({ fields, templates });
      }
    }
    const cx: ChangeContext = { store, modelId: req.modelId, dim: req.dim, now: Date.now(), diff: newDiff() };
    let generationBefore = 0;
    db.transaction(() => {
      generationBefore = store.meta().generation;
      applySyncChange(cx, upserts, req.removes, req.version, req.baseVersion, req.replace);
      store.setMeta('generation', generationBefore + 1);
    }).immediate();
    const diff = cx.diff;
    let checkpointBusy = false;
    if (diff.removed.length > 0 || [...diff.identities.values()].some((s) => s === null)) {
      // The WAL still holds page images of the removed rows until it is copied back and truncated.
      const r = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      checkpointBusy = (r[0]?.busy ?? 0) !== 0;
    }
    return { generationBefore, generation: generationBefore + 1, ...packDiff(diff.added, diff.identities, srcOf, req.dim), removed: Float64Array.from(diff.removed),
      checkpointBusy, ms: performance.now() - t0 };
  } finally {
    db.close();
    cipher?.destroy();
  }
}

function packDiff(added: ChangeContext['diff']['added'], identities: Map<string, IdentityState | null>, srcOf: Map<Float32Array, number>, dim: number):
  Pick<BulkResult, 'ids' | 'addedLabels' | 'addedKind' | 'addedOwner' | 'addedSrc' | 'centreVectors' | 'identityIdx' | 'identityState'> {
  const ids: string[] = [];
  const idIndex = new Map<string, number>();
  const indexOf = (id: string): number => {
    let i = idIndex.get(id);
    if (i === undefined) {
      i = ids.length;
      ids.push(id);
      idIndex.set(id, i);
    }
    return i;
  };
  const n = added.length;
  const addedLabels = new Float64Array(n);
  const addedKind = new Uint8Array(n);
  const addedOwner = new Int32Array(n);
  const addedSrc = new Int32Array(n);
  const centres = added.filter((a) => a.kind === 'centre' || !srcOf.has(a.vector)).length;
  const centreVectors = new Float32Array(centres * dim);
  let c = 0;
  added.forEach((a, i) => {
    addedLabels[i] = a.label;
    addedOwner[i] = indexOf(a.identityId);
    const src = a.kind === 'sample' ? srcOf.get(a.vector) : undefined;
    if (src !== undefined) {
      addedSrc[i] = src;
    } else {
      addedKind[i] = a.kind === 'centre' ? 1 : 0;
      centreVectors.set(a.vector, c * dim);
      addedSrc[i] = -(c + 1);
      c++;
    }
  });
  const identityIdx = new Int32Array(identities.size);
  const identityState = new Float64Array(identities.size * 3);
  let k = 0;
  for (const [id, s] of identities) {
    identityIdx[k] = indexOf(id);
    identityState[3 * k] = s === null ? -1 : s.enabled ? 1 : 0;
    identityState[3 * k + 1] = s?.validFromMs ?? Number.NaN;
    identityState[3 * k + 2] = s?.validUntilMs ?? Number.NaN;
    k++;
  }
  return { ids: ids.join('\n'), addedLabels, addedKind, addedOwner, addedSrc, centreVectors, identityIdx, identityState };
}
