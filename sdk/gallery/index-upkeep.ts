/**
 * The gallery's search index and its file (the consistency model is in gallery.ts): loading the
 * index file on open (repaired by label difference when stale, rebuilt from SQLite when
 * unusable), deciding after each change whether the index changes kind or folds its overlay,
 * background builds in a worker and their adoption, writing and publishing the index file (file
 * operations serialised under a lock), and rewriting it after a removal so that removed templates
 * leave the disk. The records it indexes belong to the Gallery and are read through the context.
 */
import { join } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';
import { buildIndexFile, buildIndexFileInWorker, type BuildResult } from './build-index.ts';
import { ExactIndex } from './exact-index.ts';
import type { GalleryContext } from './gallery-context.ts';
import type { IndexState } from './gallery-types.ts';
import type { HnswParams } from './hnsw-index.ts';
import { hnswBuildParams, hnswRebuildReason, hnswServingBeams, HNSW_FIXED_DEFAULTS, type ExplicitHnsw, type HnswBeams, type HnswSizeTable } from './hnsw-by-size.ts';
import { isGraphIndex, type GraphIndex } from './projected-index.ts';
import { decodeProjection } from './projection.ts';
import { commitIndexFile, newIndexFileName, readSidecar, removeIndexFiles, removeSidecar, sha256File, sidecarMatches, writeSidecar, SIDECAR_FORMAT, type Sidecar } from './index-file.ts';
import { LiveIndex } from './live-index.ts';
import { loadIndexFile, projectionForSidecar, projectionFromSidecar, writeIndexFile, type IndexSeal, type LoadedGraph } from './sealed-index.ts';
import type { GalleryMeta } from './store.ts';
import { SLICE_MS, TimeSlice } from './time-slice.ts';
import type { VectorIndex } from './vector-index.ts';

/** What the index upkeep needs of the gallery it serves. */
export interface IndexUpkeepContext extends GalleryContext {
  /** HNSW parameters the caller set; the others follow the gallery's size (hnsw-by-size.ts). */
  readonly hnsw: ExplicitHnsw;
  readonly hnswSizes: HnswSizeTable;
  readonly exactBelow: number;
  readonly inlineAddLimit: number;
  /** How the index file is sealed (encrypted gallery with a RAM directory), else null. */
  readonly seal: IndexSeal | null;
  /** The committed meta, as it is now. */
  meta(): GalleryMeta;
  /** Indexed labels (template ids) -> identity, as committed now. */
  owner(): ReadonlyMap<number, string>;
  /** A bulk change in progress: it swaps the index in itself, then calls afterChange. */
  bulk(): Promise<void> | null;
}

/** Index changes made while a freshly built index is reconciled in slices. */
interface Journal {
  added: number[];
  removed: number[];
  /** The records were reloaded wholesale (refresh): reconcile in full. */
  reset: boolean;
}

/** A committed index file, ready to be named by the sidecar. */
interface IndexFile {
  file: string;
  generation: number;
  sha256: string;
  bytes: number;
  count: number;
}

export class IndexUpkeep {
  readonly #cx: IndexUpkeepContext;
  #index: LiveIndex | null = null;
  #state: IndexState = 'not-loaded';
  #fileGeneration: number | null = null;
  #build: Promise<void> | null = null;
  #buildAgain = false;
  /** Last background build failure (the index kept serving; the build is retried on the next change). */
  #buildError: Error | null = null;
  #flushing: Promise<void> | null = null;
  /** The native write of a flush (hnswlib must not be touched by a build's file ops meanwhile). */
  #writing: Promise<void> | null = null;
  /** Serialises sidecar writes and index-file cleanup. */
  #fileLock: Promise<unknown> = Promise.resolve();
  /** Rewrites of the index file that take removed vectors off the disk. */
  #erasing: Promise<void> | null = null;
  #eraseAgain = false;
  /** A finished build being swapped in (#adoptBuild). */
  #adopting: Promise<void> | null = null;
  /** Changes committed while a built index is being reconciled (see #adoptBuild). */
  #journal: Journal | null = null;
  /** The graph whose rebuild for a larger size band was logged (logged once per graph). */
  #rebuildLoggedFor: GraphIndex | null = null;
  #beams: { size: number; m: number; beams: HnswBeams } | null = null;

  constructor(cx: IndexUpkeepContext) {
    this.#cx = cx;
  }

  /** The index searches use; null until load() (or for a gallery opened without it). */
  get index(): LiveIndex | null {
    return this.#index;
  }

  get state(): IndexState {
    return this.#state;
  }

  /** Generation of the index file the sidecar names (null: none published by this process). */
  get fileGeneration(): number | null {
    return this.#fileGeneration;
  }

  get building(): boolean {
    return this.#build !== null;
  }

  get lastBuildError(): Error | null {
    return this.#buildError;
  }

  /** A finished build being swapped in. */
  get adopting(): Promise<void> | null {
    return this.#adopting;
  }

  /** The native write of a flush in progress. */
  get writing(): Promise<void> | null {
    return this.#writing;
  }

  /**
   * The HNSW parameters in effect: the serving graph's M and efConstruction (what a build would
   * use, while the index is exact) and the beams for the current size.
   */
  get params(): HnswParams {
    const base = this.#index?.base;
    if (base && isGraphIndex(base)) return { ...base.params, ...this.#beamsFor(base) };
    return this.#buildParams();
  }

  /** The narrow beam a threshold search tries first (hnsw-by-size.ts, or the caller's efFirst). */
  get efFirst(): number | undefined {
    const base = this.#index?.base;
    return base && isGraphIndex(base) ? this.#beamsFor(base).efFirst : undefined;
  }

  async load(): Promise<void> {
    const { dir, log } = this.#cx;
    if (this.#cx.owner().size < this.#cx.exactBelow) {
      this.#index = new LiveIndex(this.#exactFromStore());
      this.#state = 'exact';
      return;
    }
    const problem = await this.#tryLoadFile();
    if (problem === null) {
      this.#fitGraphToSize(); // a file built for a smaller gallery serves while its successor builds
      return;
    }
    log.warn('gallery index file unusable, rebuilding from the database', { dir, reason: problem });
    // Until the build lands, search exactly (correct, slower) rather than not at all.
    this.#index = new LiveIndex(this.#exactFromStore());
    this.startBuild();
    await this.whenIdle();
    if (this.#buildError) {
      throw new FaceGateError('FG_GALLERY', `cannot build the gallery index in ${dir}: ${this.#buildError.message}`, { cause: this.#buildError });
    }
  }

  /** Resolves when no bulk change, index build or erasing rewrite of the index file runs. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const bulk = this.#cx.bulk();
      if (bulk) await bulk;
      else if (this.#build) await this.#build;
      else if (this.#erasing) await this.#erasing;
      else return;
    }
  }

  /** Whether a change adding `n` templates puts them in the overlay rather than inline into HNSW. */
  overlayFor(n: number): boolean {
    return n > this.#cx.inlineAddLimit || this.#build !== null;
  }

  /** Mirrors one committed addition (journalled while a built index is being reconciled). */
  add(label: number, vector: Float32Array, toOverlay: boolean): void {
    this.#index?.add(label, vector, toOverlay);
    this.#journal?.added.push(label);
  }

  /** Mirrors one committed removal (journalled while a built index is being reconciled). */
  remove(label: number): void {
    this.#index?.remove(label);
    this.#journal?.removed.push(label);
  }

  /** The records were reloaded wholesale (refresh): brings the index to them by label difference. */
  recordsReloaded(): void {
    if (this.#journal) this.#journal.reset = true;
    const index = this.#index;
    if (!index) return;
    const owner = this.#cx.owner();
    const have = new Set(index.labels());
    for (const label of have) if (!owner.has(label)) index.remove(label);
    const missing: number[] = [];
    for (const label of owner.keys()) if (!have.has(label)) missing.push(label);
    const toOverlay = this.overlayFor(missing.length);
    for (const label of missing) {
      const v = this.#cx.store.vector(label, this.#cx.dim);
      if (v) index.add(label, v, toOverlay);
    }
    this.afterChange();
  }

  /** After a committed removal: the removed vectors leave the index file too. */
  eraseRemoved(): void {
    if (this.#index && isGraphIndex(this.#index.base)) this.#eraseOnDisk();
    else if (!this.#index) this.#scrubDetachedFile();
  }

  /**
   * Swaps in the index a bulk change built aside (part of the bulk's swap: no await). `fresh`: an
   * exact index over the new set; `dropOldFile`: the old index file holds removed templates.
   */
  installBulk(next: LiveIndex, fresh: boolean, dropOldFile: boolean): void {
    this.#index = next;
    if (!fresh) return;
    this.#state = 'exact';
    // The old index file holds removed templates: drop it (the rebuild writes a new one).
    if (dropOldFile) this.#dropFile(() => this.#index === next);
  }

  /** Decides, after each change, whether the index should change kind or fold its overlay. */
  afterChange(): void {
    if (this.#cx.bulk()) return; // the bulk calls this itself once its state is swapped in
    const index = this.#index;
    if (!index || this.#build) {
      if (this.#build && index && index.overlay.size > 0) this.#buildAgain = true;
      return;
    }
    const n = index.size;
    const { exactBelow, inlineAddLimit } = this.#cx;
    if (index.base.kind === 'exact') {
      if (n >= exactBelow) this.startBuild();
      return;
    }
    if (n < exactBelow / 2 && !index.frozen) {
      // Shrunk well below the cut-off (hysteresis avoids flapping): exact is faster here.
      this.#index = new LiveIndex(this.#exactFromStore());
      this.#state = 'exact';
      this.#dropFile(() => this.#index?.base.kind === 'exact');
      return;
    }
    if (index.overlay.size > 0 && !index.frozen) {
      if (index.overlay.size <= inlineAddLimit) index.drainOverlay();
      else {
        this.startBuild();
        return;
      }
    }
    this.#fitGraphToSize();
  }

  /**
   * The graph's beams follow the gallery's size; a size band that needs a larger M (or another
   * explicit build) starts a background rebuild, logged once per graph. Searches keep using the
   * current graph, at the beams for its own M, until the new one is adopted.
   */
  #fitGraphToSize(): void {
    const index = this.#index;
    if (!index || !isGraphIndex(index.base)) return;
    const base = index.base;
    const beams = this.#beamsFor(base);
    if (base.ef !== beams.ef) base.ef = beams.ef; // hnswlib's setEf: a plain field, safe during a write
    if (this.#build) return; // its result is checked when adopted (afterChange runs again)
    const reason = hnswRebuildReason(index.size, base.params, this.#cx.hnsw, this.#cx.hnswSizes);
    if (reason === null) return;
    if (this.#rebuildLoggedFor !== base) {
      this.#rebuildLoggedFor = base;
      const next = this.#buildParams();
      this.#cx.log.info('gallery HNSW graph rebuilding for its size', { dir: this.#cx.dir, reason, templates: index.size, m: next.m, efConstruction: next.efConstruction });
    }
    this.startBuild();
  }

  #beamsFor(base: GraphIndex): HnswBeams {
    // asked on every threshold search: recomputed only when the size or the graph's M changed
    const size = this.#index?.size ?? 0;
    const c = this.#beams;
    if (c && c.size === size && c.m === base.params.m) return c.beams;
    const beams = hnswServingBeams(size, base.params.m, this.#cx.hnsw, this.#cx.hnswSizes);
    this.#beams = { size, m: base.params.m, beams };
    return beams;
  }

  /** What a build started now would use: by the committed size, M never below the serving graph's. */
  #buildParams(): HnswParams {
    const base = this.#index?.base;
    const current = base && isGraphIndex(base) ? base.params : null;
    return hnswBuildParams(this.#cx.owner().size, this.#cx.hnsw, current, this.#cx.hnswSizes);
  }

  /** Parameters to load a file built with `built` (from its sidecar) under, beams for the current size. */
  #loadParams(built: { m: number; efConstruction: number }): HnswParams {
    const size = this.#cx.owner().size;
    return { ...HNSW_FIXED_DEFAULTS, ...this.#cx.hnsw, m: built.m, efConstruction: built.efConstruction, ...hnswServingBeams(size, built.m, this.#cx.hnsw, this.#cx.hnswSizes) };
  }

  startBuild(): void {
    if (this.#build) {
      this.#buildAgain = true;
      return;
    }
    const { dir, dim, seal: sealed, key, log } = this.#cx;
    const params = this.#buildParams();
    const seal = sealed && key ? { key: key.exportBytes(), galleryId: this.#cx.meta().galleryId, ramDir: sealed.ramDir } : undefined;
    const req = { dbPath: this.#cx.dbPath, dir, dim, params, centres: this.#cx.meta().centres, seal };
    this.#build = (async () => {
      try {
        if (this.#writing) await this.#writing;
        const result = this.#cx.useWorker ? await buildIndexFileInWorker(req) : await buildIndexFile(req);
        // A bulk change under way swaps the state first; the build is then checked for staleness.
        for (let bulk = this.#cx.bulk(); bulk; bulk = this.#cx.bulk()) await bulk;
        if (this.#cx.closed()) return;
        const adopting = this.#adoptBuild(result, params);
        this.#adopting = adopting;
        try {
          await adopting;
        } finally {
          this.#adopting = null;
        }
        this.#buildError = null;
      } catch (e) {
        // The current index (base + overlay) is still complete and correct: keep serving it.
        log.error('gallery index build failed', { dir, error: errorMessage(e) });
        this.#buildError = e instanceof Error ? e : new Error(String(e));
        this.#buildAgain = false;
      } finally {
        seal?.key.fill(0);
      }
    })().finally(() => {
      this.#build = null;
      if (this.#cx.closed() || this.#cx.failed()) return;
      if (this.#buildAgain) {
        this.#buildAgain = false;
        this.afterChange();
      } else if (!this.#buildError && !this.#cx.bulk()) {
        this.#fitGraphToSize(); // the gallery may have grown into another band meanwhile
      }
    });
  }

  /**
   * Writes the HNSW index file if it is behind the database. The native write runs off the main
   * thread; changes made meanwhile go to the overlay and are not lost.
   */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = this.#doFlush().finally(() => { this.#flushing = null; });
    return this.#flushing;
  }

  /** Waits for flushes and index-file operations in progress (closing). */
  async settle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#fileLock;
  }

  /** The gallery closed: it has no index any more. */
  release(): void {
    this.#index = null;
  }

  #exactFromStore(): ExactIndex {
    const { dim, store } = this.#cx;
    const ex = new ExactIndex(dim, Math.max(64, this.#cx.owner().size));
    for (const r of store.indexedVectors(dim, this.#cx.meta().centres)) ex.add(r.id, r.vector);
    return ex;
  }

  /** Why the sidecar does not describe an index file this gallery can use, or null. */
  #sidecarProblem(sidecar: Sidecar): string | null {
    const meta = this.#cx.meta();
    return sidecarMatches(sidecar, { galleryId: meta.galleryId, modelId: this.#cx.modelId, dim: this.#cx.dim, explicit: this.#cx.hnsw, centres: meta.centres,
      generation: meta.generation, sealed: this.#cx.seal?.cipher.checkValue ?? null });
  }

  /** Loads the sidecar's index file; returns why it could not be used, or null on success. */
  async #tryLoadFile(): Promise<string | null> {
    const { dir, dim, seal, inlineAddLimit } = this.#cx;
    const sidecar = await readSidecar(dir);
    if (!sidecar) return 'no index sidecar';
    const mismatch = this.#sidecarProblem(sidecar);
    if (mismatch) return mismatch;
    const file = join(dir, sidecar.file);
    let digest: { sha256: string; bytes: number };
    try {
      digest = await sha256File(file);
    } catch (e) {
      return `index file missing: ${errorMessage(e)}`;
    }
    if (digest.bytes !== sidecar.bytes || digest.sha256 !== sidecar.sha256) return 'index file does not match its sidecar checksum';
    let loaded: LoadedGraph;
    try {
      loaded = await loadIndexFile(file, dim, this.#loadParams(sidecar), this.#cx.owner(), seal, {}, projectionFromSidecar(sidecar, dim, seal));
    } catch (e) {
      return errorMessage(e);
    }
    if (loaded.missing.length > Math.max(inlineAddLimit, loaded.index.size / 4)) return `index file too stale (${loaded.missing.length} templates missing)`;
    this.#index = new LiveIndex(loaded.index);
    this.#addMissing(loaded.missing);
    this.#fileGeneration = sidecar.generation;
    this.#state = loaded.missing.length > 0 || sidecar.generation !== this.#cx.meta().generation ? 'repaired' : 'loaded';
    if (loaded.scrubbed > 0) this.#eraseOnDisk(); // the file still holds templates removed since it was written
    return null;
  }

  #addMissing(labels: readonly number[]): void {
    for (const label of labels) {
      const v = this.#cx.store.vector(label, this.#cx.dim);
      if (v) this.#index!.add(label, v, false);
    }
  }

  /** Swaps in a freshly built file, catching up with changes committed while it was built. */
  async #adoptBuild(result: BuildResult, built: HnswParams): Promise<void> {
    const { dir, dim, seal, store, log, inlineAddLimit } = this.#cx;
    const params = this.#loadParams(built);
    const t0 = performance.now();
    // The labels are reconciled in time slices (100k of them must not hold the event loop); changes
    // committed meanwhile are journalled and applied to the new index before it is swapped in.
    const journal: Journal = { added: [], removed: [], reset: false };
    this.#journal = journal;
    let loaded: LoadedGraph;
    try {
      loaded = await loadIndexFile(join(dir, result.file), dim, params, this.#cx.owner(), seal, { labels: result.labels, slice: new TimeSlice(SLICE_MS) },
        result.projection ? decodeProjection(result.projection, dim) : null);
    } finally {
      this.#journal = null;
    }
    const { index, scrubbed, reconcileMs } = loaded;
    const owner = this.#cx.owner();
    let missing = loaded.missing;
    if (journal.reset) {
      // records were reloaded (another process's commit): reconcile against them in full
      for (const label of index.labels()) if (!owner.has(label)) index.remove(label);
      missing = [];
      for (const label of owner.keys()) if (!index.has(label)) missing.push(label);
    } else {
      for (const label of journal.removed) index.remove(label);
      missing = missing.filter((l) => owner.has(l));
      const known = new Set(missing);
      for (const label of journal.added) if (owner.has(label) && !index.has(label) && !known.has(label)) missing.push(label);
    }
    const t1 = performance.now();
    const file: IndexFile = { file: result.file, generation: result.generation, sha256: result.sha256, bytes: result.bytes, count: result.count };
    if (missing.length > Math.max(inlineAddLimit, index.size / 4)) {
      // Built from a snapshot a bulk change has since replaced: build again rather than catch up
      // (reading that many templates back would hold the event loop). Publishing a file for an
      // index that is not served just drops it.
      log.info('gallery index build superseded by a bulk change; building again', { dir, missing: missing.length });
      this.#buildAgain = true;
      await this.#publish(index, file);
      return;
    }
    const live = new LiveIndex(index);
    const catchUp = missing.length > inlineAddLimit;
    const current = this.#index;
    for (const label of missing) {
      // what was added during the build is in the serving index (its overlay, or an exact base)
      const v = current?.overlay.vector(label) ?? (current?.base instanceof ExactIndex ? current.base.vector(label) : undefined) ?? store.vector(label, dim);
      if (v) live.add(label, v, catchUp);
    }
    if (catchUp) this.#buildAgain = true;
    this.#index = live;
    this.#state = 'rebuilt';
    const t2 = performance.now();
    await this.#publish(index, file);
    log.debug?.('gallery index build adopted', { dir, count: result.count, buildMs: Math.round(result.buildMs), loadMs: Math.round(t1 - t0),
      reconcileMs: Math.round(reconcileMs), catchUpMs: Math.round(t2 - t1), publishMs: Math.round(performance.now() - t2), missing: missing.length });
    if (scrubbed > 0) this.#eraseOnDisk(); // built from a snapshot taken before a removal
  }

  async #doFlush(): Promise<void> {
    // No await before freeze() unless a build or bulk change runs: a caller's next statements
    // already land in the overlay, which is what makes "changes during a write" well defined.
    // A bulk change waits for a write already started (#writing), never for this flush.
    for (;;) {
      const bulk = this.#cx.bulk();
      if (this.#build) await this.#build;
      else if (bulk) await bulk;
      else break;
    }
    const live = this.#index;
    if (!live || this.#cx.failed() || !isGraphIndex(live.base)) return;
    if (live.overlay.size > 0) {
      if (live.overlay.size <= this.#cx.inlineAddLimit) live.drainOverlay();
      else {
        this.startBuild(); // the build writes the file
        while (this.#build) await this.#build; // not whenIdle: an erase rewrite may be awaiting this flush
        return;
      }
    }
    const generation = this.#cx.meta().generation;
    if (this.#fileGeneration === generation) return;
    const base = live.base;
    const count = base.size;
    const file = newIndexFileName(generation);
    const tmpName = `${file}.tmp`;
    live.freeze();
    this.#writing = writeIndexFile(base, join(this.#cx.dir, tmpName), this.#cx.seal);
    try {
      await this.#writing;
    } finally {
      this.#writing = null;
      live.thaw();
      this.afterChange();
    }
    const { sha256, bytes } = await commitIndexFile(this.#cx.dir, tmpName, file);
    await this.#publish(base, { file, generation, sha256, bytes, count });
  }

  /**
   * Points the sidecar at a committed index file, unless the index it was written from has been
   * replaced or a newer file is already published (then the file is just dropped).
   */
  #publish(from: GraphIndex, f: IndexFile): Promise<void> {
    const { dir, modelId, dim, seal } = this.#cx;
    const { m, efConstruction } = from.params;
    return this.#withFileLock(async () => {
      if (this.#index?.base !== from || (this.#fileGeneration !== null && this.#fileGeneration > f.generation)) {
        await removeIndexFiles(dir, (await readSidecar(dir))?.file ?? null);
        return;
      }
      const meta = this.#cx.meta();
      await writeSidecar(dir, { format: SIDECAR_FORMAT, galleryId: meta.galleryId, generation: f.generation, file: f.file, bytes: f.bytes, sha256: f.sha256,
        modelId, dim, m, efConstruction, centres: meta.centres, count: f.count,
        ...(seal ? { sealed: seal.cipher.checkValue } : {}), ...projectionForSidecar(from, seal) });
      this.#fileGeneration = f.generation;
      await removeIndexFiles(dir, f.file);
    });
  }

  /** Forgets the published index file and deletes it with its sidecar, if `still()` holds by then. */
  #dropFile(still: () => boolean): void {
    this.#fileGeneration = null;
    void this.#withFileLock(async () => {
      if (still()) await this.#removeFiles();
    });
  }

  async #removeFiles(): Promise<void> {
    await removeSidecar(this.#cx.dir);
    await removeIndexFiles(this.#cx.dir, null);
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
        if (this.#cx.closed() || this.#cx.failed()) return;
        await this.flush();
      } while (this.#eraseAgain && !this.#cx.closed());
    })().catch((e: unknown) => {
      this.#cx.log.error('gallery index rewrite after a removal failed', { dir: this.#cx.dir, error: errorMessage(e) });
    }).finally(() => {
      this.#erasing = null;
    });
  }

  /**
   * Opened without the index (loadIndex: false), a removal still must not leave the removed
   * vectors in the index file: the file is loaded aside, its removed slots scrubbed, and written
   * again under its OLD generation (still stale for what was added since: the next open repairs
   * that by label difference, as after a crash). A file that cannot be used is deleted instead.
   */
  #scrubDetachedFile(): void {
    const { dir, dim, seal, log } = this.#cx;
    void this.#withFileLock(async () => {
      const sidecar = await readSidecar(dir);
      if (!sidecar) return;
      const drop = async (why: string) => {
        log.info('gallery index file dropped after a removal; the next open rebuilds it', { dir, reason: why });
        await this.#removeFiles();
      };
      const mismatch = this.#sidecarProblem(sidecar);
      if (mismatch) return drop(mismatch);
      const path = join(dir, sidecar.file);
      const digest = await sha256File(path).catch(() => null);
      if (!digest || digest.sha256 !== sidecar.sha256) return drop('index file missing or not matching its sidecar');
      let loaded: Awaited<ReturnType<typeof loadIndexFile>>;
      try {
        loaded = await loadIndexFile(path, dim, this.#loadParams(sidecar), this.#cx.owner(), seal, {}, projectionFromSidecar(sidecar, dim, seal));
      } catch (e) {
        return drop(errorMessage(e));
      }
      if (loaded.scrubbed === 0) return;
      const file = newIndexFileName(sidecar.generation);
      await writeIndexFile(loaded.index, join(dir, `${file}.tmp`), seal);
      const { sha256, bytes } = await commitIndexFile(dir, `${file}.tmp`, file);
      await writeSidecar(dir, { ...sidecar, file, sha256, bytes, count: loaded.index.size });
      await removeIndexFiles(dir, file);
    }).catch((e: unknown) => log.error('gallery index file scrub after a removal failed', { dir, error: errorMessage(e) }));
  }

  #withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#fileLock.then(fn, fn);
    this.#fileLock = run.catch(() => undefined);
    return run;
  }
}
