/**
 * The gallery: who may enter. Identities and templates live in SQLite (gallery.sqlite); the
 * search index lives in memory (exact below `exactBelow` templates, HNSW above) and, for HNSW, in
 * an index file beside the database so a large gallery loads instead of rebuilding.
 *
 * Consistency: every change is one SQLite transaction that also bumps `generation`; the in-memory
 * index is updated only after the commit. The index file's sidecar records the generation and
 * sha256 of what it holds. On open, a missing, foreign or corrupt file is rebuilt from SQLite (in
 * a worker thread); a stale but intact one is repaired by label difference against SQLite
 * (templates are immutable and their ids never reused, so a label present in both is correct).
 * Hence after a crash at any point the gallery serves exactly the last committed state.
 *
 * One process owns a gallery directory for writing at a time.
 *
 * Large sync changes (applyChangesAsync / replaceAllAsync at >= bulkMin templates) commit in a
 * worker thread on a second connection (bulk-apply.ts): the same one transaction, so a SIGKILL
 * leaves the old or the new gallery. This connection writes nothing meanwhile (sync writers get
 * FG_GALLERY_BUSY), searches keep serving the old state, and the new state is built aside in time
 * slices and swapped in at once, so a frame loop on this event loop keeps running.
 *
 * Encryption (opts.key): records and templates are sealed in SQLite (record-codec.ts) and the
 * index file is sealed (sealed-index.ts). Erasure: SQLite runs with secure_delete and a change
 * that removes anything is followed by a WAL checkpoint(TRUNCATE); removed HNSW slots are
 * overwritten in memory and the index file is rewritten, so no file in the directory keeps a
 * removed template.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { aggregateByIdentity } from '../match/aggregate.ts';
import type { MatchCandidate } from '../match/decide.ts';
import { buildIndexFile, buildIndexFileInWorker, type BuildResult } from './build-index.ts';
import { ExactIndex } from './exact-index.ts';
import { DEFAULT_HNSW_PARAMS, HnswIndex, type HnswParams, type LoadedIndex } from './hnsw-index.ts';
import { commitIndexFile, newIndexFileName, readSidecar, removeIndexFiles, removeSidecar, sha256File, sidecarMatches, writeSidecar, SIDECAR_FORMAT } from './index-file.ts';
import { LiveIndex } from './live-index.ts';
import { packUpserts, runBulkApply, type BulkResult } from './bulk-apply.ts';
import { TimeSlice } from './time-slice.ts';
import type { VectorIndex } from './vector-index.ts';
import { GalleryStore, openDatabase, type GalleryMeta, type IdentityRow } from './store.ts';
import { toUnitVector } from './vectors.ts';
import { applySyncChange, insertSamples, newDiff, refreshCentre, upsertIdentity, type ChangeContext, type Diff, type IdentityFields, type IdentityState, type PreparedTemplate, type PreparedUpsert } from './change-apply.ts';
import type { GalleryCipher } from '../security/gallery-cipher.ts';
import type { SiteKey } from '../security/site-key.ts';
import { loadIndexFile, ramScratchDir, sweepRamDir, writeIndexFile, type IndexSeal } from './sealed-index.ts';

export const GALLERY_DB = 'gallery.sqlite';

/**
 * Below this many indexed templates the gallery searches exactly. From test/bench/gallery.ts
 * --cutoff (CPU p50 per query, exact vs HNSW ef 128): 1000: 0.25 vs 0.14 ms; 2000: 0.78 vs
 * 0.19 ms; 4000: 0.99 vs 0.29 ms; 8000: 1.97 vs 0.65 ms. Up to 2000 exact costs under 1 ms (noise
 * next to a 70 ms detect+embed), has recall 1, and needs no index file or build (HNSW took 2.4 s
 * to build 2000).
 */
export const DEFAULT_EXACT_BELOW = 2000;
/** Additions per change above which HNSW inserts are deferred to a worker rebuild. */
export const DEFAULT_INLINE_ADD_LIMIT = 256;
/**
 * applyChangesAsync/replaceAllAsync hand a change of at least this many templates (added, plus
 * those held by a gallery being replaced) to the bulk worker; smaller ones commit inline. Inline
 * commits cost ~110 us per template here (replaceAll of 100k: 11.2 s, test/bench/gallery.ts), so
 * 256 stay near 30 ms, inside what a frame loop tolerates.
 */
export const DEFAULT_BULK_MIN = 256;
/** Main-thread work between event-loop turns while preparing or adopting a bulk change. */
const SLICE_MS = 8;

export interface GalleryOptions {
  /** Required to create; when given for an existing gallery it must match. */
  modelId?: string;
  dim?: number;
  /** Create the directory and database when missing (default false). */
  create?: boolean;
  /** Index each identity's centre (mean of its templates) as an extra template. Stored; default true. */
  centres?: boolean;
  exactBelow?: number;
  hnsw?: Partial<HnswParams>;
  inlineAddLimit?: number;
  /** Async changes of at least this many templates run in the bulk worker (DEFAULT_BULK_MIN). */
  bulkMin?: number;
  /** Build HNSW files, and apply bulk changes, in worker threads (default true). */
  worker?: boolean;
  /** false: open the records only (stats, list, remove) without loading the index. */
  loadIndex?: boolean;
  /** search() first picks up changes committed by another process (default true; see refresh). */
  autoRefresh?: boolean;
  logger?: Logger;
  /**
   * Site key (sdk/security loadSiteKey). Required to open an encrypted gallery and refused by a
   * plain one; with `create`, a new gallery is created encrypted.
   */
  key?: SiteKey | null;
}

export interface IdentityInput {
  id: string;
  name?: string | null;
  metadata?: Record<string, unknown>;
  enabled?: boolean;
  /** ISO 8601 string, epoch ms or Date; null = unbounded. */
  validFrom?: string | number | Date | null;
  validUntil?: string | number | Date | null;
}

export interface TemplateInput {
  embedding: Float32Array | readonly number[];
  /** Model that produced the embedding; refused when it is not the gallery's. */
  modelId?: string;
  source?: string | null;
  quality?: number | null;
}

export type EmbeddingInput = Float32Array | readonly number[] | TemplateInput;

export interface EnrollOptions extends Omit<IdentityInput, 'id'> {
  source?: string | null;
  quality?: number | null;
  modelId?: string;
}

export interface EnrollResult {
  identityId: string;
  created: boolean;
  templateIds: number[];
  /** Embeddings skipped because this identity already holds the identical template. */
  duplicates: number;
  generation: number;
}

export interface IdentityInfo {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  enabled: boolean;
  validFrom: string | null;
  validUntil: string | null;
  templates: number;
  created: string;
  updated: string;
}

export interface TemplateInfo {
  id: number;
  /** Unit vector as stored. */
  embedding: Float32Array;
  modelId: string;
  source: string | null;
  quality: number | null;
  created: string;
}

export interface Candidate extends MatchCandidate {
  templateId: number;
  /** The hit was the identity's centre, not one of its images. */
  centre: boolean;
}

export interface GalleryChanges {
  upserts?: { identity: IdentityInput; templates: EmbeddingInput[] }[];
  removes?: string[];
  /** Sync version to record with the change. */
  version?: number;
  /** Apply only if the stored version equals this (compare-and-set); else FG_SYNC_REJECTED. */
  baseVersion?: number;
}

export interface ApplyResult {
  generation: number;
  version: number;
  identities: number;
  templatesAdded: number;
  templatesRemoved: number;
}

export type IndexState = 'exact' | 'loaded' | 'repaired' | 'rebuilt' | 'not-loaded';

export interface GalleryStats {
  identities: number;
  templates: number;
  centres: number;
  modelId: string;
  dim: number;
  generation: number;
  version: number;
  index: {
    kind: 'exact' | 'hnsw' | 'none';
    state: IndexState;
    size: number;
    overlay: number;
    building: boolean;
    lastBuildError: string | null;
    fileGeneration: number | null;
    m: number;
    efConstruction: number;
    ef: number;
    exactBelow: number;
    centres: boolean;
  };
}

/** Prepared upserts whose template vectors are views of `vectors`, in order. */
interface Prepared {
  upserts: PreparedUpsert[];
  vectors: Float32Array;
}

/** Index changes made while a freshly built index is reconciled in slices. */
interface Journal {
  added: number[];
  removed: number[];
  /** The records were reloaded wholesale (refresh): reconcile in full. */
  reset: boolean;
}

const ID_MAX = 256;
const METADATA_MAX = 64 * 1024;

function badInput(msg: string): FaceGateError {
  return new FaceGateError('FG_INPUT_INVALID', msg);
}

function checkIdentityId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > ID_MAX || /[\u0000-\u001f\u007f]/.test(id)) {
    throw badInput(`identity id must be a non-empty string of at most ${ID_MAX} printable characters, got ${JSON.stringify(id)}`);
  }
  return id;
}

function toMs(v: string | number | Date | null | undefined, what: string): number | null {
  if (v === null || v === undefined) return null;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw badInput(`${what}: not a valid date: ${String(v)}`);
  return Math.round(ms);
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function metadataJson(m: Record<string, unknown> | undefined): string | undefined {
  if (m === undefined) return undefined;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw badInput('metadata must be a JSON object');
  let s: string;
  try {
    s = JSON.stringify(m);
  } catch (e) {
    throw badInput(`metadata is not serialisable as JSON: ${errorMessage(e)}`);
  }
  if (s.length > METADATA_MAX) throw badInput(`metadata exceeds ${METADATA_MAX} bytes of JSON`);
  return s;
}

export class Gallery {
  readonly dir: string;
  readonly modelId: string;
  readonly dim: number;
  readonly #store: GalleryStore;
  #meta: GalleryMeta;
  readonly #params: HnswParams;
  readonly #exactBelow: number;
  readonly #inlineAddLimit: number;
  readonly #bulkMin: number;
  readonly #useWorker: boolean;
  readonly #autoRefresh: boolean;
  readonly #log: Logger;
  #identities = new Map<string, IdentityState>();
  /** Indexed labels (template ids) -> identity. */
  #owner = new Map<number, string>();
  #centreLabels = new Set<number>();
  #index: LiveIndex | null = null;
  #state: IndexState = 'not-loaded';
  #fileGeneration: number | null = null;
  #build: Promise<void> | null = null;
  #buildAgain = false;
  #flushing: Promise<void> | null = null;
  /** The native write of a flush (hnswlib must not be touched by a build's file ops meanwhile). */
  #writing: Promise<void> | null = null;
  /** Serialises sidecar writes and index-file cleanup. */
  #fileLock: Promise<unknown> = Promise.resolve();
  #failure: Error | null = null;
  /** Last background build failure (the index kept serving; the build is retried on the next change). */
  #buildError: Error | null = null;
  #dataVersion = 0;
  #closed = false;
  readonly #key: SiteKey | null;
  readonly #cipher: GalleryCipher | null;
  /** How the index file is sealed (encrypted gallery with a RAM directory), else null. */
  readonly #seal: IndexSeal | null;
  /** Rewrites of the index file that take removed vectors off the disk. */
  #erasing: Promise<void> | null = null;
  #eraseAgain = false;
  /** Async changes run one at a time, in call order. */
  #asyncTail: Promise<unknown> = Promise.resolve();
  /** A bulk change is in the worker or being adopted: this connection must not write meanwhile. */
  #bulk: Promise<void> | null = null;
  /** A finished build being swapped in (#adoptBuild). */
  #adopting: Promise<void> | null = null;
  /** Changes committed while a built index is being reconciled (see #adoptBuild). */
  #journal: Journal | null = null;
  /** What an adopted bulk change leaves to do once #bulk is cleared. */
  #afterBulk: (() => void) | null = null;

  private constructor(dir: string, store: GalleryStore, meta: GalleryMeta, opts: GalleryOptions, cipher: GalleryCipher | null) {
    this.dir = dir;
    this.#store = store;
    this.#meta = meta;
    this.modelId = meta.modelId;
    this.dim = meta.dim;
    this.#params = { ...DEFAULT_HNSW_PARAMS, ...opts.hnsw };
    this.#exactBelow = opts.exactBelow ?? DEFAULT_EXACT_BELOW;
    this.#inlineAddLimit = opts.inlineAddLimit ?? DEFAULT_INLINE_ADD_LIMIT;
    this.#bulkMin = opts.bulkMin ?? DEFAULT_BULK_MIN;
    this.#useWorker = opts.worker ?? true;
    this.#autoRefresh = opts.autoRefresh ?? true;
    this.#log = opts.logger ?? silentLogger;
    this.#key = cipher ? opts.key ?? null : null;
    this.#cipher = cipher;
    const ramDir = cipher ? ramScratchDir() : null;
    this.#seal = cipher && ramDir ? { cipher, ramDir } : null;
    if (ramDir) sweepRamDir(ramDir);
    if (cipher && !ramDir) {
      // The plain graph would have to touch the storage medium: keep no index file, search exactly.
      this.#exactBelow = Number.POSITIVE_INFINITY;
      this.#log.warn('encrypted gallery: no RAM file system for the index file (set FACEGATE_RAM_DIR to a tmpfs); searching exactly', { dir });
    }
  }

  static async open(dir: string, opts: GalleryOptions = {}): Promise<Gallery> {
    if (opts.create) {
      if (!opts.modelId || !Number.isInteger(opts.dim) || (opts.dim ?? 0) < 1) {
        throw badInput('creating a gallery needs modelId and a positive integer dim');
      }
      mkdirSync(dir, { recursive: true });
    } else if (!existsSync(join(dir, GALLERY_DB))) {
      throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery in ${dir} (expected ${GALLERY_DB})`);
    }
    const dbPath = join(dir, GALLERY_DB);
    const { db, meta, codec, cipher } = openDatabase(dbPath, opts.create ? { modelId: opts.modelId!, dim: opts.dim!, centres: opts.centres ?? true } : null, false, opts.key ?? null);
    const store = new GalleryStore(db, dbPath, codec);
    try {
      if ((opts.modelId !== undefined && opts.modelId !== meta.modelId) || (opts.dim !== undefined && opts.dim !== meta.dim)) {
        throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH',
          `gallery ${dir} holds ${meta.modelId} (${meta.dim}-d) embeddings; cannot use it with ${opts.modelId ?? meta.modelId} (${opts.dim ?? meta.dim}-d)`,
          { details: { galleryModel: meta.modelId, galleryDim: meta.dim, requestedModel: opts.modelId, requestedDim: opts.dim } });
      }
      const g = new Gallery(dir, store, meta, opts, cipher);
      if (opts.centres !== undefined && opts.centres !== meta.centres) g.#setCentresFlag(opts.centres);
      g.#dataVersion = store.dataVersion();
      g.#loadRecords();
      if (opts.loadIndex !== false) await g.#loadIndex();
      return g;
    } catch (e) {
      cipher?.destroy();
      store.close();
      throw e;
    }
  }

  /** Records and templates are sealed under a site key. */
  get encrypted(): boolean {
    return this.#cipher !== null;
  }

  get generation(): number {
    return this.#meta.generation;
  }

  get version(): number {
    return this.#meta.version;
  }

  get centres(): boolean {
    return this.#meta.centres;
  }

  // ---------------------------------------------------------------- reads

  get(identityId: string): IdentityInfo | null {
    this.#checkOpen();
    const row = this.#store.identity(identityId);
    if (!row) return null;
    return this.#info(row, this.#store.templatesOf(identityId).filter((t) => t.kind === 'sample').length);
  }

  /** The identity's templates (its images; not the derived centre), oldest first. */
  templates(identityId: string): TemplateInfo[] {
    this.#checkOpen();
    if (!this.#store.identity(identityId)) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no identity '${identityId}' in the gallery`);
    return this.#store.sampleRowsOf(identityId, this.dim).map((r) => ({ id: r.id, embedding: r.vector, modelId: r.modelId, source: r.source, quality: r.quality,
      created: new Date(r.created).toISOString() }));
  }

  list(): IdentityInfo[] {
    this.#checkOpen();
    const counts = new Map<string, number>();
    for (const [, identity, kind] of this.#store.labels()) if (kind === 'sample') counts.set(identity, (counts.get(identity) ?? 0) + 1);
    return this.#store.identities().map((r) => this.#info(r, counts.get(r.id) ?? 0));
  }

  /** Counts come from memory (no SQL): cheap enough for a health endpoint polled every second. */
  stats(): GalleryStats {
    this.#checkOpen();
    if (this.#autoRefresh) this.refresh();
    const base = this.#index?.base;
    const centres = this.#centreLabels.size;
    return {
      identities: this.#identities.size,
      templates: this.#owner.size - (this.#meta.centres ? centres : 0),
      centres,
      modelId: this.modelId,
      dim: this.dim,
      generation: this.#meta.generation,
      version: this.#meta.version,
      index: {
        kind: base ? base.kind : 'none',
        state: this.#state,
        size: this.#index?.size ?? 0,
        overlay: this.#index?.overlay.size ?? 0,
        building: this.#build !== null,
        lastBuildError: this.#buildError?.message ?? null,
        fileGeneration: this.#fileGeneration,
        m: this.#params.m,
        efConstruction: this.#params.efConstruction,
        ef: base instanceof HnswIndex ? base.ef : this.#params.ef,
        exactBelow: this.#exactBelow,
        centres: this.#meta.centres,
      },
    };
  }

  /**
   * Nearest identities to a probe embedding (each at the distance of its nearest template, plain
   * Euclidean, ascending), with what `decide` needs (enabled, validity).
   */
  search(embedding: Float32Array | readonly number[], k = 5): Candidate[] {
    this.#checkOpen();
    if (this.#autoRefresh) this.refresh();
    const index = this.#requireIndex();
    if (!Number.isInteger(k) || k < 1) throw badInput(`k must be a positive integer, got ${k}`);
    const q = this.#unit(embedding, 'probe embedding');
    const total = index.size;
    if (total === 0) return [];
    // Fetch templates until k distinct identities are covered (people hold several templates).
    let kt = Math.min(total, Math.max(16, 4 * k));
    for (;;) {
      const hits = index.search(q, kt);
      const ids = aggregateByIdentity(hits, (l) => this.#owner.get(l), k);
      if (ids.length >= k || kt >= total) {
        return ids.map((h) => {
          const s = this.#identities.get(h.identityId);
          return { identityId: h.identityId, templateId: h.templateId, distance: h.distance, centre: this.#centreLabels.has(h.templateId),
            enabled: s?.enabled ?? false, validFromMs: s?.validFromMs ?? null, validUntilMs: s?.validUntilMs ?? null };
        });
      }
      kt = Math.min(total, kt * 4);
    }
  }

  /**
   * Picks up changes another process committed to this gallery (e.g. `facegate sync` or
   * `facegate enroll` while a daemon runs): reloads the records and brings the index to them by
   * label difference. A few microseconds when nothing changed (SQLite's data_version).
   */
  refresh(): boolean {
    this.#checkOpen();
    // During a bulk change the worker's commit is adopted by the bulk itself, in slices.
    if (this.#bulk) return false;
    const dv = this.#store.dataVersion();
    if (dv === this.#dataVersion) return false;
    this.#dataVersion = dv;
    // Compare states, not generations: our own later commits may already have read theirs.
    this.#meta = this.#store.meta();
    this.#loadRecords();
    if (this.#journal) this.#journal.reset = true;
    const index = this.#index;
    if (index) {
      const have = new Set(index.labels());
      for (const label of have) if (!this.#owner.has(label)) index.remove(label);
      const missing: number[] = [];
      for (const label of this.#owner.keys()) if (!have.has(label)) missing.push(label);
      const toOverlay = missing.length > this.#inlineAddLimit || this.#build !== null;
      for (const label of missing) {
        const v = this.#store.vector(label, this.dim);
        if (v) index.add(label, v, toOverlay);
      }
      this.#afterChange();
    }
    return true;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Adds templates to an identity, creating it when new (identity fields given here overwrite
   * stored ones). Duplicate policy: an embedding identical to one this identity already holds is
   * skipped and counted (re-running an enrolment is harmless); identical to another identity's
   * template is refused (FG_GALLERY_DUPLICATE: one face cannot be two people), store unchanged.
   */
  enroll(identityId: string, embeddings: readonly EmbeddingInput[], opts: EnrollOptions = {}): EnrollResult {
    this.#checkOpen();
    checkIdentityId(identityId);
    if (!Array.isArray(embeddings) || embeddings.length === 0) throw badInput(`enroll ${identityId}: no embeddings given`);
    const templates = embeddings.map((e, i) => this.#prepare(e, `${identityId} embedding ${i}`, opts));
    const fields = this.#identityFields({ id: identityId, ...opts });
    let created = false;
    let duplicates = 0;
    let templateIds: number[] = [];
    this.#commit((cx) => {
      const r = upsertIdentity(cx, fields, false);
      created = r.created;
      const added = insertSamples(cx, identityId, templates);
      templateIds = added.ids;
      duplicates = added.duplicates;
      if (added.ids.length > 0) refreshCentre(cx, identityId);
      return created || added.ids.length > 0 || r.changed;
    });
    return { identityId, created, templateIds, duplicates, generation: this.#meta.generation };
  }

  /** Changes identity fields (name, metadata, enabled, validity) without touching templates. */
  update(identityId: string, patch: Omit<IdentityInput, 'id'>): IdentityInfo {
    this.#checkOpen();
    checkIdentityId(identityId);
    if (!this.#store.identity(identityId)) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no identity '${identityId}' in the gallery`);
    const fields = this.#identityFields({ id: identityId, ...patch });
    this.#commit((cx) => upsertIdentity(cx, fields, false).changed);
    return this.get(identityId)!;
  }

  /** Removes an identity and all its templates. */
  remove(identityId: string): { removedTemplates: number; generation: number } {
    this.#checkOpen();
    checkIdentityId(identityId);
    let removed = 0;
    this.#commit(({ diff }) => {
      if (!this.#store.identity(identityId)) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no identity '${identityId}' in the gallery`);
      const labels = this.#store.deleteIdentity(identityId);
      diff.removed.push(...labels);
      diff.identities.set(identityId, null);
      removed = labels.filter((l) => !this.#centreLabels.has(l)).length;
      return true;
    });
    return { removedTemplates: removed, generation: this.#meta.generation };
  }

  /**
   * Applies a sync delta in one transaction: each upsert sets the identity's fields and its full
   * template set (templates already held are kept, others removed, new ones added); removes of
   * absent identities are no-ops. All-or-nothing: any invalid entry leaves the store unchanged.
   */
  applyChanges(changes: GalleryChanges): ApplyResult {
    this.#checkOpen();
    const upserts = this.#prepareUpserts(changes.upserts ?? []);
    const removes = (changes.removes ?? []).map(checkIdentityId);
    for (const r of removes) if (upserts.some((u) => u.fields.id === r)) throw badInput(`identity '${r}' is both upserted and removed`);
    const version = this.#checkVersion(changes.version);
    return this.#applyPrepared(upserts, removes, version, changes.baseVersion, false);
  }

  /**
   * Replaces the whole gallery with a snapshot (identities not in it are removed), atomically.
   * Holds the caller's thread for the whole transaction (11 s for 100k templates): a process with
   * a frame loop uses replaceAllAsync.
   */
  replaceAll(snapshot: { identity: IdentityInput; templates: EmbeddingInput[] }[], version?: number): ApplyResult {
    this.#checkOpen();
    const upserts = this.#prepareUpserts(snapshot);
    return this.#applyPrepared(upserts, [], this.#checkVersion(version), undefined, true);
  }

  /**
   * applyChanges without holding the event loop: validation and packing run in time slices, a
   * large change (>= bulkMin templates) commits in a worker thread on its own connection, and the
   * in-memory state is rebuilt aside in slices and swapped in at once. Searches answer from the
   * gallery as it was until the swap (removals may drop out of results a little earlier). Same
   * all-or-nothing transaction, generation and erasure as applyChanges. While a bulk change runs,
   * the synchronous writers (enroll, update, remove, applyChanges, replaceAll) refuse with
   * FG_GALLERY_BUSY; async changes queue behind it.
   */
  applyChangesAsync(changes: GalleryChanges): Promise<ApplyResult> {
    return this.#queued(async (slice) => {
      const prepared = await this.#prepareUpsertsSliced(changes.upserts ?? [], slice);
      const removes = (changes.removes ?? []).map(checkIdentityId);
      const upserted = new Set(prepared.upserts.map((u) => u.fields.id));
      for (const r of removes) if (upserted.has(r)) throw badInput(`identity '${r}' is both upserted and removed`);
      return this.#applyMaybeBulk(prepared, removes, this.#checkVersion(changes.version), changes.baseVersion, false, slice);
    });
  }

  /** replaceAll without holding the event loop (see applyChangesAsync). */
  replaceAllAsync(snapshot: { identity: IdentityInput; templates: EmbeddingInput[] }[], version?: number): Promise<ApplyResult> {
    return this.#queued(async (slice) => {
      const prepared = await this.#prepareUpsertsSliced(snapshot, slice);
      return this.#applyMaybeBulk(prepared, [], this.#checkVersion(version), undefined, true, slice);
    });
  }

  /**
   * Resolves when no background work runs: no bulk change, no index build (the overlay has been
   * folded in) and no index-file rewrite after a removal (the removed templates are off the disk).
   */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.#bulk) await this.#bulk;
      else if (this.#build) await this.#build;
      else if (this.#erasing) await this.#erasing;
      else return;
    }
  }

  /** Rebuilds the HNSW index from SQLite in a worker thread; searches keep working meanwhile. */
  async rebuildInWorker(): Promise<void> {
    this.#checkOpen();
    this.#requireIndex();
    await this.whenIdle();
    this.#startBuild();
    await this.whenIdle();
  }

  /**
   * Writes the HNSW index file if it is behind the database. The native write runs off the main
   * thread; changes made meanwhile go to the overlay and are not lost.
   */
  async flush(): Promise<void> {
    this.#checkOpen();
    if (this.#flushing) return this.#flushing;
    this.#flushing = this.#doFlush().finally(() => { this.#flushing = null; });
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#asyncTail;
      await this.whenIdle();
      if (this.#index && !this.#failure) await this.flush();
      while (this.#flushing) await this.#flushing;
      await this.#fileLock;
    } finally {
      this.#closed = true;
      this.#index = null;
      this.#store.close();
      this.#cipher?.destroy();
    }
  }

  // ---------------------------------------------------------------- internals: records

  #loadRecords(): void {
    this.#identities.clear();
    this.#owner.clear();
    this.#centreLabels.clear();
    for (const [id, enabled, from, until] of this.#store.access()) this.#identities.set(id, { enabled: enabled === 1, validFromMs: from, validUntilMs: until });
    for (const [label, identity, kind] of this.#store.labels()) {
      if (kind === 'centre') this.#centreLabels.add(label);
      if (kind === 'sample' || this.#meta.centres) this.#owner.set(label, identity);
    }
  }

  #info(row: IdentityRow, templates: number): IdentityInfo {
    let metadata: Record<string, unknown> = {};
    try {
      metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    } catch {
      throw new FaceGateError('FG_GALLERY_CORRUPT', `identity '${row.id}': metadata is not valid JSON`);
    }
    return { id: row.id, name: row.name, metadata, enabled: row.enabled === 1, validFrom: isoOrNull(row.valid_from), validUntil: isoOrNull(row.valid_until),
      templates, created: new Date(row.created).toISOString(), updated: new Date(row.updated).toISOString() };
  }

  #unit(e: Float32Array | readonly number[], what: string): Float32Array {
    const len = (e as ArrayLike<number> | null)?.length;
    if (typeof len === 'number' && len !== this.dim) {
      throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `${what} has ${len} values; this gallery holds ${this.modelId} (${this.dim}-d) embeddings`,
        { details: { expected: this.dim, got: len } });
    }
    return toUnitVector(e, this.dim, what);
  }

  #prepare(e: EmbeddingInput, what: string, defaults: { source?: string | null; quality?: number | null; modelId?: string }): PreparedTemplate {
    const t: TemplateInput = e instanceof Float32Array || Array.isArray(e) ? { embedding: e as Float32Array | number[] } : (e as TemplateInput);
    if (t === null || typeof t !== 'object' || t.embedding === undefined) throw badInput(`${what}: expected an embedding or { embedding, ... }`);
    const modelId = t.modelId ?? defaults.modelId;
    if (modelId !== undefined && modelId !== this.modelId) {
      throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `${what} comes from model ${modelId}; this gallery holds ${this.modelId} embeddings`,
        { details: { expected: this.modelId, got: modelId } });
    }
    const vector = this.#unit(t.embedding, what);
    const quality = t.quality ?? defaults.quality ?? null;
    if (quality !== null && !Number.isFinite(quality)) throw badInput(`${what}: quality must be a finite number`);
    const source = t.source ?? defaults.source ?? null;
    if (source !== null && typeof source !== 'string') throw badInput(`${what}: source must be a string`);
    return { vector, digest: this.#store.digest(vector), source, quality };
  }

  #identityFields(input: IdentityInput): IdentityFields {
    const id = checkIdentityId(input.id);
    if (input.name !== undefined && input.name !== null && typeof input.name !== 'string') throw badInput(`identity '${id}': name must be a string`);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw badInput(`identity '${id}': enabled must be a boolean`);
    const validFrom = input.validFrom === undefined ? undefined : toMs(input.validFrom, `identity '${id}' validFrom`);
    const validUntil = input.validUntil === undefined ? undefined : toMs(input.validUntil, `identity '${id}' validUntil`);
    if (validFrom != null && validUntil != null && validUntil < validFrom) throw badInput(`identity '${id}': validUntil is before validFrom`);
    return { id, name: input.name, metadata: metadataJson(input.metadata), enabled: input.enabled === undefined ? undefined : input.enabled ? 1 : 0, validFrom, validUntil };
  }

  #prepareUpserts(list: readonly { identity: IdentityInput; templates: EmbeddingInput[] }[]): PreparedUpsert[] {
    if (!Array.isArray(list)) throw badInput('upserts must be an array');
    const seen = new Set<string>();
    return list.map((u, i) => this.#prepareUpsert(u, i, seen));
  }

  /**
   * Prepares in time slices, gathering every unit vector into one shared buffer (the templates
   * hold views of it): 100k separate long-lived Float32Arrays made the garbage collector pause the
   * event loop for 100+ ms, and the bulk worker reads the shared buffer without a copy.
   */
  async #prepareUpsertsSliced(list: readonly { identity: IdentityInput; templates: EmbeddingInput[] }[], slice: TimeSlice): Promise<Prepared> {
    if (!Array.isArray(list)) throw badInput('upserts must be an array');
    let total = 0;
    for (const u of list) if (Array.isArray(u?.templates)) total += u.templates.length;
    const dim = this.dim;
    const vectors = new Float32Array(new SharedArrayBuffer(total * dim * 4));
    const seen = new Set<string>();
    const upserts: PreparedUpsert[] = new Array(list.length);
    let at = 0;
    for (let i = 0; i < list.length; i++) {
      const u = this.#prepareUpsert(list[i], i, seen);
      for (const t of u.templates) {
        vectors.set(t.vector, at * dim);
        t.vector = vectors.subarray(at * dim, (at + 1) * dim);
        at++;
      }
      upserts[i] = u;
      if (slice.due()) await slice.yield();
    }
    return { upserts, vectors };
  }

  #prepareUpsert(u: { identity: IdentityInput; templates: EmbeddingInput[] }, i: number, seen: Set<string>): PreparedUpsert {
    if (!u || typeof u !== 'object' || !u.identity) throw badInput(`upsert ${i}: expected { identity, templates }`);
    const fields = this.#identityFields(u.identity);
    if (seen.has(fields.id)) throw badInput(`identity '${fields.id}' appears twice in one change`);
    seen.add(fields.id);
    if (!Array.isArray(u.templates)) throw badInput(`upsert '${fields.id}': templates must be an array`);
    const templates = u.templates.map((t: EmbeddingInput, j: number) => this.#prepare(t, `${fields.id} template ${j}`, {}));
    return { fields, templates };
  }

  #checkVersion(v: number | undefined): number | undefined {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw badInput(`version must be a non-negative integer, got ${v}`);
    return v;
  }

  /** Runs an async change after those queued before it. */
  #queued<T>(fn: (slice: TimeSlice) => Promise<T>): Promise<T> {
    this.#checkOpen();
    const run = this.#asyncTail.then(() => {
      this.#checkOpen();
      return fn(new TimeSlice(SLICE_MS));
    });
    this.#asyncTail = run.catch(() => undefined);
    return run;
  }

  async #applyMaybeBulk(prepared: Prepared, removes: string[], version: number | undefined, baseVersion: number | undefined, replace: boolean,
    slice: TimeSlice): Promise<ApplyResult> {
    const upserts = prepared.upserts;
    const work = prepared.vectors.length / this.dim + removes.length + (replace ? this.#owner.size : 0);
    if (work < this.#bulkMin || !this.#useWorker) {
      if (slice.due()) await slice.yield();
      return this.#applyPrepared(upserts, removes, version, baseVersion, replace);
    }
    if (this.#failure) throw new FaceGateError('FG_GALLERY', `gallery index failed earlier (${this.#failure.message}); reopen the gallery`);
    this.refresh(); // mirror other processes' commits first (as #commit does)
    let done!: () => void;
    this.#bulk = new Promise<void>((resolve) => { done = resolve; });
    try {
      // Nothing may touch the index meanwhile: let a build being adopted and a started write finish
      // (a build still in its worker, and a flush not yet writing, wait for this bulk instead).
      for (;;) {
        if (this.#adopting) await this.#adopting;
        else if (this.#writing) await this.#writing;
        else break;
      }
      const generationSeen = this.#meta.generation;
      slice.restart();
      const json = await packUpserts(upserts, slice);
      const key = this.#key ? this.#key.exportBytes() : undefined;
      let result: BulkResult;
      try {
        result = await runBulkApply({ dbPath: join(this.dir, GALLERY_DB), dim: this.dim, modelId: this.modelId, key, upserts: json, vectors: prepared.vectors,
          removes, version, baseVersion, replace });
      } finally {
        key?.fill(0);
      }
      if (this.#closed) throw new FaceGateError('FG_GALLERY', 'gallery closed during a bulk change');
      slice.restart();
      try {
        return await this.#adoptBulk(result, prepared.vectors, generationSeen, slice);
      } catch (e) {
        // Memory no longer matches the committed store: refuse to serve until reopened (which repairs).
        this.#failure = e instanceof Error ? e : new Error(String(e));
        throw new FaceGateError('FG_GALLERY', `index update failed after a bulk commit: ${errorMessage(e)}; reopen the gallery`, { cause: e });
      }
    } finally {
      this.#bulk = null;
      const after = this.#afterBulk;
      this.#afterBulk = null;
      if (after && !this.#closed && !this.#failure) after();
      done();
    }
  }

  /**
   * Mirrors a committed bulk change: the new identity, label and index state is built aside in
   * time slices (the old one keeps serving), then swapped in with plain assignments.
   */
  async #adoptBulk(r: BulkResult, vectors: Float32Array, generationSeen: number, slice: TimeSlice): Promise<ApplyResult> {
    const dv = this.#store.dataVersion();
    const meta = this.#store.meta();
    // Another process committed around ours: the diff is not relative to our memory; the next
    // refresh() reloads everything (rare: one process owns a gallery for writing).
    const foreign = r.generationBefore !== generationSeen || meta.generation !== r.generation;
    const ids = r.ids.length > 0 ? r.ids.split('\n') : [];
    const dim = this.dim;
    /** Vector of the i-th added template (a view: the indexes copy what they keep). */
    const vectorOf = (i: number): Float32Array => {
      const src = r.addedSrc[i];
      if (src >= 0) return vectors.subarray(src * dim, (src + 1) * dim);
      const c = -src - 1;
      return r.centreVectors.subarray(c * dim, (c + 1) * dim);
    };

    const identities = new Map<string, IdentityState>();
    for (const [id, st] of this.#identities) {
      identities.set(id, st);
      if (slice.due()) await slice.yield();
    }
    for (let k = 0; k < r.identityIdx.length; k++) {
      const id = ids[r.identityIdx[k]];
      const enabled = r.identityState[3 * k];
      if (enabled < 0) identities.delete(id);
      else {
        const from = r.identityState[3 * k + 1];
        const until = r.identityState[3 * k + 2];
        identities.set(id, { enabled: enabled === 1, validFromMs: Number.isNaN(from) ? null : from, validUntilMs: Number.isNaN(until) ? null : until });
      }
      if (slice.due()) await slice.yield();
    }
    const owner = new Map<number, string>();
    for (const [label, id] of this.#owner) {
      owner.set(label, id);
      if (slice.due()) await slice.yield();
    }
    const centreLabels = new Set(this.#centreLabels);
    let removedSamples = 0;
    for (const label of r.removed) {
      if (!this.#centreLabels.has(label)) removedSamples++;
      owner.delete(label);
      centreLabels.delete(label);
    }
    /** Indexed additions: label -> position in the added arrays. */
    const indexed = new Map<number, number>();
    let addedSamples = 0;
    for (let i = 0; i < r.addedLabels.length; i++) {
      const label = r.addedLabels[i];
      const centre = r.addedKind[i] === 1;
      if (centre) centreLabels.add(label);
      else addedSamples++;
      if (!centre || meta.centres) {
        owner.set(label, ids[r.addedOwner[i]]);
        indexed.set(label, i);
      }
      if (slice.due()) await slice.yield();
    }

    const old = this.#index;
    let next: LiveIndex | null = null;
    let fresh = false;
    if (old) {
      let removedIndexed = 0;
      for (const label of r.removed) if (old.has(label)) removedIndexed++;
      // Most of an HNSW base going (a new snapshot): search the new set exactly until the worker
      // rebuild lands, rather than scrubbing the old graph slot by slot (~1 ms each). The old
      // native graph is then released unscrubbed (hnswlib frees it; nothing zeroes it), and its
      // index file is deleted below.
      fresh = old.base.kind === 'exact' || removedIndexed > old.base.size / 2;
      if (fresh) {
        const exact = new ExactIndex(this.dim, Math.max(64, owner.size));
        for (const label of owner.keys()) {
          const i = indexed.get(label);
          const v = i !== undefined ? vectorOf(i) : (old.base instanceof ExactIndex ? old.base.vector(label) : undefined) ?? old.overlay.vector(label) ?? this.#store.vector(label, dim);
          if (v) exact.add(label, v);
          if (slice.due()) await slice.yield();
        }
        next = new LiveIndex(exact);
      } else {
        const overlay = new ExactIndex(this.dim, Math.max(16, indexed.size + old.overlay.size));
        for (const label of old.overlay.labels()) {
          const v = owner.has(label) ? old.overlay.vector(label) : undefined;
          if (v) overlay.add(label, v);
        }
        for (const [label, i] of indexed) {
          overlay.add(label, vectorOf(i));
          if (slice.due()) await slice.yield();
        }
        // Removals go into the shared HNSW base now (each overwrites its slot: the costly part);
        // the old state keeps serving, minus the removed templates.
        for (const label of r.removed) {
          while (this.#writing) await this.#writing;
          old.remove(label);
          if (slice.due()) await slice.yield();
        }
        while (this.#writing) await this.#writing;
        next = new LiveIndex(old.base, overlay);
      }
    }

    const sliceMaxMs = slice.maxHeldMs;
    const swapStart = performance.now();
    // The swap: no await from here on.
    this.#identities = identities;
    this.#owner = owner;
    this.#centreLabels = centreLabels;
    this.#meta = meta;
    this.#dataVersion = foreign ? -1 : dv;
    const erased = r.removed.length > 0 || r.identityState.some((x, k) => k % 3 === 0 && x < 0);
    if (r.checkpointBusy) this.#log.warn('gallery WAL checkpoint after a removal was blocked by a reader; the next removal or close retries', { dir: this.dir });
    if (next) {
      this.#index = next;
      if (fresh) {
        this.#state = 'exact';
        if (old?.base instanceof HnswIndex && erased) {
          // The old index file holds removed templates: drop it (the rebuild writes a new one).
          this.#fileGeneration = null;
          void this.#withFileLock(async () => {
            if (this.#index !== next) return;
            await removeSidecar(this.dir);
            await removeIndexFiles(this.dir, null);
          });
        }
      }
    }
    this.#log.debug?.('gallery bulk change adopted', { dir: this.dir, generation: meta.generation, added: r.addedLabels.length, removed: r.removed.length,
      workerMs: Math.round(r.ms), fresh, sliceMaxMs: Math.round(sliceMaxMs), swapMs: Math.round(performance.now() - swapStart) });
    this.#afterBulk = () => {
      // start the rebuild / fold the overlay / rewrite the file with the removed templates
      this.#afterChange();
      if (erased && !fresh && this.#index?.base instanceof HnswIndex) this.#eraseOnDisk();
      else if (erased && !this.#index) this.#scrubDetachedFile();
    };
    return { generation: meta.generation, version: meta.version, identities: identities.size, templatesAdded: addedSamples, templatesRemoved: removedSamples };
  }

  #applyPrepared(upserts: PreparedUpsert[], removes: string[], version: number | undefined, baseVersion: number | undefined, replace: boolean): ApplyResult {
    let added = 0;
    let removed = 0;
    this.#commit((cx) => {
      applySyncChange(cx, upserts, removes, version, baseVersion, replace);
      added = cx.diff.added.filter((a) => a.kind === 'sample').length;
      removed = cx.diff.removed.filter((l) => !this.#centreLabels.has(l)).length;
      return true;
    });
    return { generation: this.#meta.generation, version: this.#meta.version, identities: this.#identities.size, templatesAdded: added, templatesRemoved: removed };
  }

  #checkNotBulk(): void {
    if (this.#bulk) {
      throw new FaceGateError('FG_GALLERY_BUSY', `gallery ${this.dir} is applying a bulk change; retry when it lands (await whenIdle()) or use applyChangesAsync`);
    }
  }

  #setCentresFlag(on: boolean): void {
    this.#store.db.transaction(() => {
      this.#store.setMeta('centres', on ? '1' : '0');
      this.#store.setMeta('generation', this.#store.meta().generation + 1);
    }).immediate();
    this.#meta = this.#store.meta();
  }

  /**
   * Runs `body` in one IMMEDIATE transaction (it returns whether anything changed), bumps the
   * generation, then — after the commit only — mirrors the change into memory and the index.
   */
  #commit(body: (cx: ChangeContext) => boolean): void {
    if (this.#failure) throw new FaceGateError('FG_GALLERY', `gallery index failed earlier (${this.#failure.message}); reopen the gallery`);
    this.#checkNotBulk();
    this.refresh(); // mirror other processes' commits first, so this diff applies to the same state
    const diff = newDiff();
    const cx: ChangeContext = { store: this.#store, modelId: this.modelId, dim: this.dim, now: Date.now(), diff };
    let changed = false;
    try {
      this.#store.db.transaction(() => {
        changed = body(cx);
        if (changed) this.#store.setMeta('generation', this.#store.meta().generation + 1);
      }).immediate();
    } catch (e) {
      if (e instanceof FaceGateError) throw e;
      const msg = errorMessage(e);
      if (/malformed|not a database|corrupt/i.test(msg)) throw new FaceGateError('FG_GALLERY_CORRUPT', `gallery database: ${msg}`, { cause: e });
      throw new FaceGateError('FG_GALLERY', `gallery change failed: ${msg}`, { cause: e });
    }
    if (!changed) return;
    this.#meta = this.#store.meta();
    const erased = diff.removed.length > 0 || [...diff.identities.values()].some((s) => s === null);
    if (erased) this.#checkpoint();
    try {
      this.#mirror(diff);
    } catch (e) {
      // Memory no longer matches the committed store: refuse to serve until reopened (which repairs).
      this.#failure = e instanceof Error ? e : new Error(String(e));
      throw new FaceGateError('FG_GALLERY', `index update failed after commit: ${errorMessage(e)}; reopen the gallery`, { cause: e });
    }
    if (erased && this.#index?.base instanceof HnswIndex) this.#eraseOnDisk();
    else if (erased && !this.#index) this.#scrubDetachedFile();
  }

  /**
   * Opened without the index (loadIndex: false), a removal still must not leave the removed
   * vectors in the index file: the file is loaded aside, its removed slots scrubbed, and written
   * again under its OLD generation (still stale for what was added since: the next open repairs
   * that by label difference, as after a crash). A file that cannot be used is deleted instead.
   */
  #scrubDetachedFile(): void {
    void this.#withFileLock(async () => {
      const sidecar = await readSidecar(this.dir);
      if (!sidecar) return;
      const drop = async (why: string) => {
        this.#log.info('gallery index file dropped after a removal; the next open rebuilds it', { dir: this.dir, reason: why });
        await removeSidecar(this.dir);
        await removeIndexFiles(this.dir, null);
      };
      const mismatch = sidecarMatches(sidecar, { galleryId: this.#meta.galleryId, modelId: this.modelId, dim: this.dim, params: this.#params, centres: this.#meta.centres,
        generation: this.#meta.generation, sealed: this.#seal?.cipher.checkValue ?? null });
      if (mismatch) return drop(mismatch);
      const path = join(this.dir, sidecar.file);
      const digest = await sha256File(path).catch(() => null);
      if (!digest || digest.sha256 !== sidecar.sha256) return drop('index file missing or not matching its sidecar');
      let loaded: Awaited<ReturnType<typeof loadIndexFile>>;
      try {
        loaded = await loadIndexFile(path, this.dim, this.#params, this.#owner, this.#seal);
      } catch (e) {
        return drop(errorMessage(e));
      }
      if (loaded.scrubbed === 0) return;
      const file = newIndexFileName(sidecar.generation);
      await writeIndexFile(loaded.index, join(this.dir, `${file}.tmp`), this.#seal);
      const { sha256, bytes } = await commitIndexFile(this.dir, `${file}.tmp`, file);
      await writeSidecar(this.dir, { ...sidecar, file, sha256, bytes, count: loaded.index.size });
      await removeIndexFiles(this.dir, file);
    }).catch((e: unknown) => this.#log.error('gallery index file scrub after a removal failed', { dir: this.dir, error: errorMessage(e) }));
  }

  /**
   * Copies the WAL into the database and truncates it: the WAL still holds the page images
   * written before the removal (the template's bytes) until then. secure_delete has zeroed the
   * rows in the new page images. Busy (another connection reading) leaves it to the next one.
   */
  #checkpoint(): void {
    try {
      const r = this.#store.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (r[0]?.busy) this.#log.warn('gallery WAL checkpoint after a removal was blocked by a reader; the next removal or close retries', { dir: this.dir });
    } catch (e) {
      this.#log.warn('gallery WAL checkpoint failed', { dir: this.dir, error: errorMessage(e) });
    }
  }

  /** Rewrites the index file so the removed (now scrubbed) vectors leave the disk too. */
  #eraseOnDisk(): void {
    if (this.#erasing) {
      this.#eraseAgain = true;
      return;
    }
    this.#erasing = (async () => {
      // Let the caller's synchronous burst of removals land first: one rewrite for all of them.
      await new Promise((resolve) => setImmediate(resolve));
      do {
        this.#eraseAgain = false;
        while (this.#build) await this.#build;
        // A flush already running may have frozen the index before the removal: wait it out.
        while (this.#flushing) await this.#flushing;
        if (this.#closed || this.#failure) return;
        await this.flush();
      } while (this.#eraseAgain && !this.#closed);
    })().catch((e: unknown) => {
      this.#log.error('gallery index rewrite after a removal failed', { dir: this.dir, error: errorMessage(e) });
    }).finally(() => {
      this.#erasing = null;
    });
  }

  #mirror(diff: Diff): void {
    for (const [id, s] of diff.identities) {
      if (s === null) this.#identities.delete(id);
      else this.#identities.set(id, s);
    }
    for (const label of diff.removed) {
      this.#owner.delete(label);
      this.#centreLabels.delete(label);
      this.#index?.remove(label);
      this.#journal?.removed.push(label);
    }
    const indexed = diff.added.filter((a) => a.kind === 'sample' || this.#meta.centres);
    for (const a of diff.added) if (a.kind === 'centre') this.#centreLabels.add(a.label);
    const toOverlay = indexed.length > this.#inlineAddLimit || this.#build !== null;
    for (const a of indexed) {
      this.#owner.set(a.label, a.identityId);
      this.#index?.add(a.label, a.vector, toOverlay);
      this.#journal?.added.push(a.label);
    }
    this.#afterChange();
  }

  // ---------------------------------------------------------------- internals: index

  #checkOpen(): void {
    if (this.#closed) throw new FaceGateError('FG_GALLERY', 'gallery is closed');
  }

  #requireIndex(): LiveIndex {
    if (this.#failure) throw new FaceGateError('FG_GALLERY', `gallery index failed earlier (${this.#failure.message}); reopen the gallery`);
    if (!this.#index) throw new FaceGateError('FG_GALLERY', 'gallery was opened without its index (loadIndex: false)');
    return this.#index;
  }

  #exactFromStore(): ExactIndex {
    const ex = new ExactIndex(this.dim, Math.max(64, this.#owner.size));
    for (const r of this.#store.indexedVectors(this.dim, this.#meta.centres)) ex.add(r.id, r.vector);
    return ex;
  }

  async #loadIndex(): Promise<void> {
    if (this.#owner.size < this.#exactBelow) {
      this.#index = new LiveIndex(this.#exactFromStore());
      this.#state = 'exact';
      return;
    }
    const problem = await this.#tryLoadFile();
    if (problem === null) return;
    this.#log.warn('gallery index file unusable, rebuilding from the database', { dir: this.dir, reason: problem });
    // Until the build lands, search exactly (correct, slower) rather than not at all.
    this.#index = new LiveIndex(this.#exactFromStore());
    this.#startBuild();
    await this.whenIdle();
    if (this.#buildError) {
      throw new FaceGateError('FG_GALLERY', `cannot build the gallery index in ${this.dir}: ${this.#buildError.message}`, { cause: this.#buildError });
    }
  }

  /** Loads the sidecar's index file; returns why it could not be used, or null on success. */
  async #tryLoadFile(): Promise<string | null> {
    const sidecar = await readSidecar(this.dir);
    if (!sidecar) return 'no index sidecar';
    const mismatch = sidecarMatches(sidecar, { galleryId: this.#meta.galleryId, modelId: this.modelId, dim: this.dim, params: this.#params, centres: this.#meta.centres,
      generation: this.#meta.generation, sealed: this.#seal?.cipher.checkValue ?? null });
    if (mismatch) return mismatch;
    const file = join(this.dir, sidecar.file);
    let digest: { sha256: string; bytes: number };
    try {
      digest = await sha256File(file);
    } catch (e) {
      return `index file missing: ${errorMessage(e)}`;
    }
    if (digest.bytes !== sidecar.bytes || digest.sha256 !== sidecar.sha256) return 'index file does not match its sidecar checksum';
    let loaded: { index: HnswIndex; missing: number[]; scrubbed: number };
    try {
      loaded = await loadIndexFile(file, this.dim, this.#params, this.#owner, this.#seal);
    } catch (e) {
      return errorMessage(e);
    }
    if (loaded.missing.length > Math.max(this.#inlineAddLimit, loaded.index.size / 4)) return `index file too stale (${loaded.missing.length} templates missing)`;
    this.#index = new LiveIndex(loaded.index);
    this.#addMissing(loaded.missing);
    this.#fileGeneration = sidecar.generation;
    this.#state = loaded.missing.length > 0 || sidecar.generation !== this.#meta.generation ? 'repaired' : 'loaded';
    if (loaded.scrubbed > 0) this.#eraseOnDisk(); // the file still holds templates removed since it was written
    return null;
  }

  #addMissing(labels: readonly number[]): void {
    for (const label of labels) {
      const v = this.#store.vector(label, this.dim);
      if (v) this.#index!.add(label, v, false);
    }
  }

  /** Decides, after each change, whether the index should change kind or fold its overlay. */
  #afterChange(): void {
    if (this.#bulk) return; // the bulk calls this itself once its state is swapped in
    const index = this.#index;
    if (!index || this.#build) {
      if (this.#build && index && index.overlay.size > 0) this.#buildAgain = true;
      return;
    }
    const n = index.size;
    if (index.base.kind === 'exact') {
      if (n >= this.#exactBelow) this.#startBuild();
      return;
    }
    if (n < this.#exactBelow / 2 && !index.frozen) {
      // Shrunk well below the cut-off (hysteresis avoids flapping): exact is faster here.
      this.#index = new LiveIndex(this.#exactFromStore());
      this.#state = 'exact';
      this.#fileGeneration = null;
      void this.#withFileLock(async () => {
        if (this.#index?.base.kind !== 'exact') return;
        await removeSidecar(this.dir);
        await removeIndexFiles(this.dir, null);
      });
      return;
    }
    if (index.overlay.size > 0 && !index.frozen) {
      if (index.overlay.size <= this.#inlineAddLimit) index.drainOverlay();
      else this.#startBuild();
    }
  }

  #startBuild(): void {
    if (this.#build) {
      this.#buildAgain = true;
      return;
    }
    const seal = this.#seal && this.#key ? { key: this.#key.exportBytes(), galleryId: this.#meta.galleryId, ramDir: this.#seal.ramDir } : undefined;
    const req = { dbPath: join(this.dir, GALLERY_DB), dir: this.dir, dim: this.dim, params: this.#params, centres: this.#meta.centres, seal };
    this.#build = (async () => {
      try {
        if (this.#writing) await this.#writing;
        const result = this.#useWorker ? await buildIndexFileInWorker(req) : await buildIndexFile(req);
        // A bulk change under way swaps the state first; the build is then checked for staleness.
        while (this.#bulk) await this.#bulk;
        if (this.#closed) return;
        const adopting = this.#adoptBuild(result);
        this.#adopting = adopting;
        try {
          await adopting;
        } finally {
          this.#adopting = null;
        }
        this.#buildError = null;
      } catch (e) {
        // The current index (base + overlay) is still complete and correct: keep serving it.
        this.#log.error('gallery index build failed', { dir: this.dir, error: errorMessage(e) });
        this.#buildError = e instanceof Error ? e : new Error(String(e));
        this.#buildAgain = false;
      } finally {
        seal?.key.fill(0);
      }
    })().finally(() => {
      this.#build = null;
      if (this.#buildAgain && !this.#closed && !this.#failure) {
        this.#buildAgain = false;
        this.#afterChange();
      }
    });
  }

  /** Swaps in a freshly built file, catching up with changes committed while it was built. */
  async #adoptBuild(result: BuildResult): Promise<void> {
    const t0 = performance.now();
    // The labels are reconciled in time slices (100k of them must not hold the event loop); changes
    // committed meanwhile are journalled and applied to the new index before it is swapped in.
    const journal: Journal = { added: [], removed: [], reset: false };
    this.#journal = journal;
    let loaded: LoadedIndex;
    try {
      loaded = await loadIndexFile(join(this.dir, result.file), this.dim, this.#params, this.#owner, this.#seal, { labels: result.labels, slice: new TimeSlice(SLICE_MS) });
    } finally {
      this.#journal = null;
    }
    const { index, scrubbed, reconcileMs } = loaded;
    let missing = loaded.missing;
    if (journal.reset) {
      // records were reloaded (another process's commit): reconcile against them in full
      for (const label of index.labels()) if (!this.#owner.has(label)) index.remove(label);
      missing = [];
      for (const label of this.#owner.keys()) if (!index.has(label)) missing.push(label);
    } else {
      for (const label of journal.removed) index.remove(label);
      missing = missing.filter((l) => this.#owner.has(l));
      const known = new Set(missing);
      for (const label of journal.added) if (this.#owner.has(label) && !index.has(label) && !known.has(label)) missing.push(label);
    }
    const t1 = performance.now();
    if (missing.length > Math.max(this.#inlineAddLimit, index.size / 4)) {
      // Built from a snapshot a bulk change has since replaced: build again rather than catch up
      // (reading that many templates back would hold the event loop). Publishing a file for an
      // index that is not served just drops it.
      this.#log.info('gallery index build superseded by a bulk change; building again', { dir: this.dir, missing: missing.length });
      this.#buildAgain = true;
      await this.#publish(index, { file: result.file, generation: result.generation, sha256: result.sha256, bytes: result.bytes, count: result.count });
      return;
    }
    const live = new LiveIndex(index);
    const catchUp = missing.length > this.#inlineAddLimit;
    const current = this.#index;
    for (const label of missing) {
      // what was added during the build is in the serving index (its overlay, or an exact base)
      const v = current?.overlay.vector(label) ?? (current?.base instanceof ExactIndex ? current.base.vector(label) : undefined) ?? this.#store.vector(label, this.dim);
      if (v) live.add(label, v, catchUp);
    }
    if (catchUp) this.#buildAgain = true;
    this.#index = live;
    this.#state = 'rebuilt';
    const t2 = performance.now();
    await this.#publish(index, { file: result.file, generation: result.generation, sha256: result.sha256, bytes: result.bytes, count: result.count });
    this.#log.debug?.('gallery index build adopted', { dir: this.dir, count: result.count, buildMs: Math.round(result.buildMs), loadMs: Math.round(t1 - t0),
      reconcileMs: Math.round(reconcileMs), catchUpMs: Math.round(t2 - t1), publishMs: Math.round(performance.now() - t2), missing: missing.length });
    if (scrubbed > 0) this.#eraseOnDisk(); // built from a snapshot taken before a removal
  }

  async #doFlush(): Promise<void> {
    // No await before freeze() unless a build or bulk change runs: a caller's next statements
    // already land in the overlay, which is what makes "changes during a write" well defined.
    // A bulk change waits for a write already started (#writing), never for this flush.
    for (;;) {
      if (this.#build) await this.#build;
      else if (this.#bulk) await this.#bulk;
      else break;
    }
    const live = this.#index;
    if (!live || this.#failure || !(live.base instanceof HnswIndex)) return;
    if (live.overlay.size > 0) {
      if (live.overlay.size <= this.#inlineAddLimit) live.drainOverlay();
      else {
        this.#startBuild(); // the build writes the file
        while (this.#build) await this.#build; // not whenIdle: an erase rewrite may be awaiting this flush
        return;
      }
    }
    if (this.#fileGeneration === this.#meta.generation) return;
    const generation = this.#meta.generation;
    const base = live.base;
    const count = base.size;
    const file = newIndexFileName(generation);
    const tmpName = `${file}.tmp`;
    live.freeze();
    this.#writing = writeIndexFile(base, join(this.dir, tmpName), this.#seal);
    try {
      await this.#writing;
    } finally {
      this.#writing = null;
      live.thaw();
      this.#afterChange();
    }
    const { sha256, bytes } = await commitIndexFile(this.dir, tmpName, file);
    await this.#publish(base, { file, generation, sha256, bytes, count });
  }

  /**
   * Points the sidecar at a committed index file, unless the index it was written from has been
   * replaced or a newer file is already published (then the file is just dropped).
   */
  #publish(from: VectorIndex, f: { file: string; generation: number; sha256: string; bytes: number; count: number }): Promise<void> {
    return this.#withFileLock(async () => {
      if (this.#index?.base !== from || (this.#fileGeneration !== null && this.#fileGeneration > f.generation)) {
        await removeIndexFiles(this.dir, (await readSidecar(this.dir))?.file ?? null);
        return;
      }
      await writeSidecar(this.dir, { format: SIDECAR_FORMAT, galleryId: this.#meta.galleryId, generation: f.generation, file: f.file, bytes: f.bytes, sha256: f.sha256,
        modelId: this.modelId, dim: this.dim, m: this.#params.m, efConstruction: this.#params.efConstruction, centres: this.#meta.centres, count: f.count,
        ...(this.#seal ? { sealed: this.#seal.cipher.checkValue } : {}) });
      this.#fileGeneration = f.generation;
      await removeIndexFiles(this.dir, f.file);
    });
  }

  #withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#fileLock.then(fn, fn);
    this.#fileLock = run.catch(() => undefined);
    return run;
  }
}
