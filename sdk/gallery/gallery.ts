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
 * slices and swapped in at once (bulk-change.ts), so a frame loop on this event loop keeps running.
 *
 * Encryption (opts.key): records and templates are sealed in SQLite (record-codec.ts) and the
 * index file is sealed (sealed-index.ts). Erasure: SQLite runs with secure_delete and a change
 * that removes anything is followed by a WAL checkpoint(TRUNCATE); removed HNSW slots are
 * overwritten in memory and the index file is rewritten, so no file in the directory keeps a
 * removed template.
 *
 * This file holds the records' mirror and the sync commit path; input checks are in
 * gallery-input.ts, the index and its file (load, repair, builds, flush) in index-upkeep.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { guarded, withRecovery } from './corrupt.ts';
import { makePrivateDirSync } from '../security/private-files.ts';
import { FaceGateError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { aggregateByIdentity } from '../match/aggregate.ts';
import { BulkChange } from './bulk-change.ts';
import type { GalleryContext } from './gallery-context.ts';
import { badInput, checkIdentityId, checkVersion, GalleryInput } from './gallery-input.ts';
import type { ApplyResult, Candidate, EmbeddingInput, EnrollOptions, EnrollResult, GalleryChanges, GalleryStats, IdentityInfo, IdentityInput, TemplateInfo } from './gallery-types.ts';
import type { HnswParams } from './hnsw-index.ts';
import { checkHnswSizeTable, HNSW_SIZE_TABLE, type HnswSizeTable } from './hnsw-by-size.ts';
import { isGraphIndex, ProjectedIndex } from './projected-index.ts';
import { IndexUpkeep } from './index-upkeep.ts';
import type { LiveIndex } from './live-index.ts';
import { SLICE_MS, TimeSlice } from './time-slice.ts';
import { GalleryStore, openDatabase, type GalleryMeta, type IdentityRow } from './store.ts';
import { applySyncChange, insertSamples, newDiff, refreshCentre, upsertIdentity, type ChangeContext, type Diff, type IdentityState, type PreparedUpsert } from './change-apply.ts';
import type { GalleryCipher } from '../security/gallery-cipher.ts';
import type { SiteKey } from '../security/site-key.ts';
import { ramScratchDir, sweepRamDir } from './sealed-index.ts';

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

export interface GalleryOptions {
  /** Required to create; when given for an existing gallery it must match. */
  modelId?: string;
  dim?: number;
  /** Create the directory and database when missing (default false). */
  create?: boolean;
  /** Index each identity's centre (mean of its templates) as an extra template. Stored; default true. */
  centres?: boolean;
  exactBelow?: number;
  /**
   * HNSW parameters. Each field given here is used as is; the others follow the gallery's size
   * (`hnswSizes`): M and efConstruction by size band when a graph is built (a band that needs a
   * larger M rebuilds the graph in a worker, logged once), ef and efFirst on the live graph as it
   * grows. A file built with another explicit M or efConstruction is rebuilt on open.
   */
  hnsw?: Partial<HnswParams>;
  /** The measured size table the automatic HNSW parameters come from (HNSW_SIZE_TABLE). */
  hnswSizes?: HnswSizeTable;
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

export interface SearchOptions {
  /**
   * The decision threshold (Euclidean). With it, an HNSW gallery searches with the narrow beam
   * (hnsw.efFirst) and repeats with the wide one (hnsw.ef) only when no identity lies within the
   * threshold; without it every search uses the wide beam.
   */
  threshold?: number;
}

export type {
  IdentityInput, TemplateInput, EmbeddingInput, EnrollOptions, EnrollResult, IdentityInfo, TemplateInfo, Candidate, GalleryChanges, ApplyResult, IndexState, GalleryStats,
} from './gallery-types.ts';

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export class Gallery {
  readonly dir: string;
  readonly modelId: string;
  readonly dim: number;
  readonly #store: GalleryStore;
  #meta: GalleryMeta;
  readonly #exactBelow: number;
  readonly #autoRefresh: boolean;
  readonly #log: Logger;
  #identities = new Map<string, IdentityState>();
  /** Indexed labels (template ids) -> identity. */
  #owner = new Map<number, string>();
  #centreLabels = new Set<number>();
  #failure: Error | null = null;
  #dataVersion = 0;
  #closed = false;
  readonly #cipher: GalleryCipher | null;
  /** Async changes run one at a time, in call order. */
  #asyncTail: Promise<unknown> = Promise.resolve();
  readonly #input: GalleryInput;
  /** The search index and its file. */
  readonly #upkeep: IndexUpkeep;
  /** Large async changes, committed in a worker. */
  readonly #bulkChange: BulkChange;

  private constructor(dir: string, store: GalleryStore, meta: GalleryMeta, opts: GalleryOptions, cipher: GalleryCipher | null) {
    this.dir = dir;
    this.#store = store;
    this.#meta = meta;
    this.modelId = meta.modelId;
    this.dim = meta.dim;
    this.#exactBelow = opts.exactBelow ?? DEFAULT_EXACT_BELOW;
    this.#autoRefresh = opts.autoRefresh ?? true;
    this.#log = opts.logger ?? silentLogger;
    const key = cipher ? opts.key ?? null : null;
    this.#cipher = cipher;
    const ramDir = cipher ? ramScratchDir() : null;
    // How the index file is sealed (encrypted gallery with a RAM directory), else null.
    const seal = cipher && ramDir ? { cipher, ramDir } : null;
    if (ramDir) sweepRamDir(ramDir);
    if (cipher && !ramDir) {
      // The plain graph would have to touch the storage medium: keep no index file, search exactly.
      this.#exactBelow = Number.POSITIVE_INFINITY;
      this.#log.warn('encrypted gallery: no RAM file system for the index file (set FACEGATE_RAM_DIR to a tmpfs); searching exactly', { dir });
    }
    this.#input = new GalleryInput(this.modelId, this.dim, (v) => store.digest(v));
    const cx: GalleryContext = { dir, dbPath: join(dir, GALLERY_DB), modelId: this.modelId, dim: this.dim, store, log: this.#log, key, useWorker: opts.worker ?? true,
      closed: () => this.#closed, failed: () => this.#failure !== null };
    // explicit fields only: an absent one (or one set to undefined) follows the size
    const hnsw = Object.fromEntries(Object.entries(opts.hnsw ?? {}).filter(([, v]) => v !== undefined)) as Partial<HnswParams>;
    this.#upkeep = new IndexUpkeep({ ...cx, hnsw, hnswSizes: checkHnswSizeTable(opts.hnswSizes ?? HNSW_SIZE_TABLE), exactBelow: this.#exactBelow, inlineAddLimit: opts.inlineAddLimit ?? DEFAULT_INLINE_ADD_LIMIT, seal,
      meta: () => this.#meta, owner: () => this.#owner, bulk: () => this.#bulkChange.running });
    this.#bulkChange = new BulkChange({ ...cx, bulkMin: opts.bulkMin ?? DEFAULT_BULK_MIN, index: this.#upkeep,
      records: () => ({ identities: this.#identities, owner: this.#owner, centreLabels: this.#centreLabels, meta: this.#meta }),
      checkHealthy: () => this.#checkHealthy(), fail: (e) => this.#fail(e), refresh: () => { this.refresh(); },
      applyInline: (upserts, removes, version, baseVersion, replace) => this.#applyPrepared(upserts, removes, version, baseVersion, replace),
      adoptRecords: (r, dataVersion) => {
        this.#identities = r.identities;
        this.#owner = r.owner;
        this.#centreLabels = r.centreLabels;
        this.#meta = r.meta;
        this.#dataVersion = dataVersion;
      } });
  }

  static async open(dir: string, opts: GalleryOptions = {}): Promise<Gallery> {
    if (opts.create) {
      if (!opts.modelId || !Number.isInteger(opts.dim) || (opts.dim ?? 0) < 1) {
        throw badInput('creating a gallery needs modelId and a positive integer dim');
      }
      makePrivateDirSync(dir);
    } else if (!existsSync(join(dir, GALLERY_DB))) {
      throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery in ${dir} (expected ${GALLERY_DB})`);
    }
    const dbPath = join(dir, GALLERY_DB);
    const { db, meta, codec, cipher } = guarded(dir, () => openDatabase(dbPath, opts.create ? { modelId: opts.modelId!, dim: opts.dim!, centres: opts.centres ?? true } : null, false, opts.key ?? null));
    const store = new GalleryStore(db, dbPath, codec);
    try {
      if ((opts.modelId !== undefined && opts.modelId !== meta.modelId) || (opts.dim !== undefined && opts.dim !== meta.dim)) {
        throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH',
          `gallery ${dir} holds ${meta.modelId} (${meta.dim}-d) embeddings; cannot use it with ${opts.modelId ?? meta.modelId}${opts.dim !== undefined ? ` (${opts.dim}-d)` : ''}`
            + `: embeddings of two models are never mixed. Run with the gallery's model (pipeline.embedder / --embedder ${meta.modelId}) `
            + `or enrol everyone again into a new gallery: facegate enroll --db <new dir> --embedder ${opts.modelId ?? meta.modelId}`,
          { details: { galleryModel: meta.modelId, galleryDim: meta.dim, requestedModel: opts.modelId, requestedDim: opts.dim } });
      }
      const g = new Gallery(dir, store, meta, opts, cipher);
      if (opts.centres !== undefined && opts.centres !== meta.centres) g.#setCentresFlag(opts.centres);
      g.#dataVersion = store.dataVersion();
      g.#loadRecords();
      if (opts.loadIndex !== false) await g.#upkeep.load();
      return g;
    } catch (e) {
      cipher?.destroy();
      store.close();
      throw withRecovery(e, dir);
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

  /**
   * Reads and checks every identity and template row (digest or AAD, owner), as search does for
   * its answers; FG_GALLERY_CORRUPT with the way to recover on the first bad one.
   */
  verify(): { identities: number; templates: number } {
    return guarded(this.dir, () => {
      this.#checkOpen();
      const identities = this.#store.identities();
      let templates = 0;
      for (const [label, identity] of this.#store.labels()) {
        this.#store.checkTemplate(label, identity, this.dim);
        templates++;
      }
      return { identities: identities.length, templates };
    });
  }

  list(): IdentityInfo[] {
    return guarded(this.dir, () => this.#list());
  }

  #list(): IdentityInfo[] {
    this.#checkOpen();
    const counts = new Map<string, number>();
    for (const [, identity, kind] of this.#store.labels()) if (kind === 'sample') counts.set(identity, (counts.get(identity) ?? 0) + 1);
    return this.#store.identities().map((r) => this.#info(r, counts.get(r.id) ?? 0));
  }

  /** Counts come from memory (no SQL): cheap enough for a health endpoint polled every second. */
  stats(): GalleryStats {
    this.#checkOpen();
    if (this.#autoRefresh) this.refresh();
    const index = this.#upkeep.index;
    const base = index?.base;
    const centres = this.#centreLabels.size;
    const params = this.#upkeep.params;
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
        state: this.#upkeep.state,
        size: index?.size ?? 0,
        overlay: index?.overlay.size ?? 0,
        building: this.#upkeep.building,
        lastBuildError: this.#upkeep.lastBuildError?.message ?? null,
        fileGeneration: this.#upkeep.fileGeneration,
        m: params.m,
        efConstruction: params.efConstruction,
        ef: base && isGraphIndex(base) ? base.ef : params.ef,
        efFirst: params.efFirst ?? null,
        projectedDim: base instanceof ProjectedIndex ? base.projection.rank : null,
        exactBelow: this.#exactBelow,
        centres: this.#meta.centres,
      },
    };
  }

  /**
   * Nearest identities to a probe embedding (each at the distance of its nearest template, plain
   * Euclidean, ascending), with what `decide` needs (enabled, validity).
   */
  search(embedding: Float32Array | readonly number[], k = 5, opts: SearchOptions = {}): Candidate[] {
    return guarded(this.dir, () => this.#search(embedding, k, opts));
  }

  #search(embedding: Float32Array | readonly number[], k: number, opts: SearchOptions): Candidate[] {
    this.#checkOpen();
    if (this.#autoRefresh) this.refresh();
    const index = this.#requireIndex();
    if (!Number.isInteger(k) || k < 1) throw badInput(`k must be a positive integer, got ${k}`);
    const t = opts.threshold;
    if (t !== undefined && !(Number.isFinite(t) && t >= 0)) throw badInput(`threshold must be a finite distance >= 0, got ${t}`);
    const q = this.#unit(embedding, 'probe embedding');
    if (index.size === 0) return [];
    if (t === undefined || index.base.kind !== 'hnsw') return this.#nearestIdentities(index, q, k, undefined);
    // Narrow beam first; only an answer with nobody within the threshold (which a graph miss
    // would produce, costing a false reject) pays for the wide one.
    const first = this.#nearestIdentities(index, q, k, this.#upkeep.efFirst);
    if (first.length > 0 && first[0].distance <= t) return first;
    return this.#nearestIdentities(index, q, k, undefined);
  }

  #nearestIdentities(index: LiveIndex, q: Float32Array, k: number, ef: number | undefined): Candidate[] {
    const total = index.size;
    // Fetch templates until k distinct identities are covered (people hold several templates).
    let kt = Math.min(total, Math.max(16, 4 * k));
    for (;;) {
      const hits = index.search(q, kt, ef);
      const ids = aggregateByIdentity(hits, (l) => this.#owner.get(l), k);
      if (ids.length >= k || kt >= total) {
        // The answer's templates are read back from the database and checked against their rows
        // (digest or AAD, owner): an index built before rows were edited cannot name the wrong person.
        // Only while memory mirrors the database: during a bulk swap, or with autoRefresh off, the
        // answer comes from an older consistent state the database no longer holds.
        if (!this.#bulkChange.running && this.#store.dataVersion() === this.#dataVersion) {
          for (const h of ids) this.#store.checkTemplate(h.templateId, h.identityId, this.dim);
        }
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
    if (this.#bulkChange.running) return false;
    const dv = this.#store.dataVersion();
    if (dv === this.#dataVersion) return false;
    this.#dataVersion = dv;
    // Compare states, not generations: our own later commits may already have read theirs.
    this.#meta = this.#store.meta();
    this.#loadRecords();
    this.#upkeep.recordsReloaded();
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
    const templates = embeddings.map((e, i) => this.#input.template(e, `${identityId} embedding ${i}`, opts));
    const fields = this.#input.identityFields({ id: identityId, ...opts });
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
    const fields = this.#input.identityFields({ id: identityId, ...patch });
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
    const upserts = this.#input.upserts(changes.upserts ?? []);
    const removes = (changes.removes ?? []).map(checkIdentityId);
    for (const r of removes) if (upserts.some((u) => u.fields.id === r)) throw badInput(`identity '${r}' is both upserted and removed`);
    const version = checkVersion(changes.version);
    return this.#applyPrepared(upserts, removes, version, changes.baseVersion, false);
  }

  /**
   * Replaces the whole gallery with a snapshot (identities not in it are removed), atomically.
   * Holds the caller's thread for the whole transaction (11 s for 100k templates): a process with
   * a frame loop uses replaceAllAsync.
   */
  replaceAll(snapshot: { identity: IdentityInput; templates: EmbeddingInput[] }[], version?: number): ApplyResult {
    this.#checkOpen();
    const upserts = this.#input.upserts(snapshot);
    return this.#applyPrepared(upserts, [], checkVersion(version), undefined, true);
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
      const prepared = await this.#input.upsertsSliced(changes.upserts ?? [], slice);
      const removes = (changes.removes ?? []).map(checkIdentityId);
      const upserted = new Set(prepared.upserts.map((u) => u.fields.id));
      for (const r of removes) if (upserted.has(r)) throw badInput(`identity '${r}' is both upserted and removed`);
      return this.#bulkChange.apply(prepared, removes, checkVersion(changes.version), changes.baseVersion, false, slice);
    });
  }

  /** replaceAll without holding the event loop (see applyChangesAsync). */
  replaceAllAsync(snapshot: { identity: IdentityInput; templates: EmbeddingInput[] }[], version?: number): Promise<ApplyResult> {
    return this.#queued(async (slice) => {
      const prepared = await this.#input.upsertsSliced(snapshot, slice);
      return this.#bulkChange.apply(prepared, [], checkVersion(version), undefined, true, slice);
    });
  }

  /**
   * Resolves when no background work runs: no bulk change, no index build (the overlay has been
   * folded in) and no index-file rewrite after a removal (the removed templates are off the disk).
   */
  whenIdle(): Promise<void> {
    return this.#upkeep.whenIdle();
  }

  /** Rebuilds the HNSW index from SQLite in a worker thread; searches keep working meanwhile. */
  async rebuildInWorker(): Promise<void> {
    this.#checkOpen();
    this.#requireIndex();
    await this.whenIdle();
    this.#upkeep.startBuild();
    await this.whenIdle();
  }

  /**
   * Writes the HNSW index file if it is behind the database. The native write runs off the main
   * thread; changes made meanwhile go to the overlay and are not lost.
   */
  async flush(): Promise<void> {
    this.#checkOpen();
    return this.#upkeep.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#asyncTail;
      await this.whenIdle();
      if (this.#upkeep.index && !this.#failure) await this.flush();
      await this.#upkeep.settle();
    } finally {
      this.#closed = true;
      this.#upkeep.release();
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
    return this.#input.unit(e, what);
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
    if (this.#bulkChange.running) {
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
    this.#checkHealthy();
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
      this.#fail(e);
      throw new FaceGateError('FG_GALLERY', `index update failed after commit: ${errorMessage(e)}; reopen the gallery`, { cause: e });
    }
    if (erased) this.#upkeep.eraseRemoved();
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

  #mirror(diff: Diff): void {
    for (const [id, s] of diff.identities) {
      if (s === null) this.#identities.delete(id);
      else this.#identities.set(id, s);
    }
    for (const label of diff.removed) {
      this.#owner.delete(label);
      this.#centreLabels.delete(label);
      this.#upkeep.remove(label);
    }
    const indexed = diff.added.filter((a) => a.kind === 'sample' || this.#meta.centres);
    for (const a of diff.added) if (a.kind === 'centre') this.#centreLabels.add(a.label);
    const toOverlay = this.#upkeep.overlayFor(indexed.length);
    for (const a of indexed) {
      this.#owner.set(a.label, a.identityId);
      this.#upkeep.add(a.label, a.vector, toOverlay);
    }
    this.#upkeep.afterChange();
  }

  // ---------------------------------------------------------------- internals: checks

  #checkOpen(): void {
    if (this.#closed) throw new FaceGateError('FG_GALLERY', 'gallery is closed');
  }

  #requireIndex(): LiveIndex {
    this.#checkHealthy();
    const index = this.#upkeep.index;
    if (!index) throw new FaceGateError('FG_GALLERY', 'gallery was opened without its index (loadIndex: false)');
    return index;
  }

  #checkHealthy(): void {
    if (this.#failure) throw new FaceGateError('FG_GALLERY', `gallery index failed earlier (${this.#failure.message}); reopen the gallery`);
  }

  /** Memory no longer matches the committed store: refuse to serve until reopened (which repairs). */
  #fail(e: unknown): void {
    this.#failure = e instanceof Error ? e : new Error(String(e));
  }
}
