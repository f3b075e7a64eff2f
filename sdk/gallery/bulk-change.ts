/**
 * The async path of a change (applyChangesAsync / replaceAllAsync). One of at least `bulkMin`
 * templates commits in the bulk worker on a connection of its own (bulk-apply.ts); the gallery
 * then builds its new records and index aside in time slices, while the old ones keep serving, and
 * swaps them in at once. While that runs (`running`) the gallery's own connection writes nothing.
 */
import { FaceGateError, errorMessage } from '../errors.ts';
import { packUpserts, runBulkApply, type BulkResult } from './bulk-apply.ts';
import type { IdentityState, PreparedUpsert } from './change-apply.ts';
import { ExactIndex } from './exact-index.ts';
import type { GalleryContext } from './gallery-context.ts';
import type { ApplyResult } from './gallery-types.ts';
import type { Prepared } from './gallery-input.ts';
import { isGraphIndex } from './projected-index.ts';
import { LiveIndex } from './live-index.ts';
import type { GalleryMeta } from './store.ts';
import type { TimeSlice } from './time-slice.ts';

/** The gallery's in-memory mirror of its committed records; a bulk change replaces it whole. */
export interface Records {
  identities: Map<string, IdentityState>;
  /** Indexed labels (template ids) -> identity. */
  owner: Map<number, string>;
  centreLabels: Set<number>;
  meta: GalleryMeta;
}

/** The index side of a bulk change (IndexUpkeep). */
export interface BulkIndex {
  readonly index: LiveIndex | null;
  readonly adopting: Promise<void> | null;
  readonly writing: Promise<void> | null;
  installBulk(next: LiveIndex, fresh: boolean, dropOldFile: boolean): void;
  afterChange(): void;
  eraseRemoved(): void;
}

/** What a bulk change needs of the gallery it changes. */
export interface BulkChangeContext extends GalleryContext {
  /** Changes of fewer templates commit inline. */
  readonly bulkMin: number;
  readonly index: BulkIndex;
  /** The records as they are now. */
  records(): Records;
  /** Throws FG_GALLERY when memory stopped matching the store earlier. */
  checkHealthy(): void;
  /** Memory no longer matches the committed store: refuse to serve until reopened. */
  fail(e: unknown): void;
  /** Mirrors other processes' commits. */
  refresh(): void;
  /** Commits a change inline, on the gallery's own connection. */
  applyInline(upserts: PreparedUpsert[], removes: string[], version: number | undefined, baseVersion: number | undefined, replace: boolean): ApplyResult;
  /** Installs records built aside (part of the swap); dataVersion -1 makes the next refresh reload. */
  adoptRecords(records: Records, dataVersion: number): void;
}

export class BulkChange {
  readonly #cx: BulkChangeContext;
  #running: Promise<void> | null = null;
  /** What an adopted bulk change leaves to do once `running` is cleared. */
  #after: (() => void) | null = null;

  constructor(cx: BulkChangeContext) {
    this.#cx = cx;
  }

  /** A bulk change is in the worker or being adopted: the gallery's connection must not write meanwhile. */
  get running(): Promise<void> | null {
    return this.#running;
  }

  /** Applies a prepared change: inline when small (or without workers), else in the bulk worker. */
  async apply(prepared: Prepared, removes: string[], version: number | undefined, baseVersion: number | undefined, replace: boolean,
    slice: TimeSlice): Promise<ApplyResult> {
    const cx = this.#cx;
    const upserts = prepared.upserts;
    const work = prepared.vectors.length / cx.dim + removes.length + (replace ? cx.records().owner.size : 0);
    if (work < cx.bulkMin || !cx.useWorker) {
      if (slice.due()) await slice.yield();
      return cx.applyInline(upserts, removes, version, baseVersion, replace);
    }
    cx.checkHealthy();
    cx.refresh(); // mirror other processes' commits first (as a sync commit does)
    let done!: () => void;
    this.#running = new Promise<void>((resolve) => { done = resolve; });
    try {
      // Nothing may touch the index meanwhile: let a build being adopted and a started write finish
      // (a build still in its worker, and a flush not yet writing, wait for this bulk instead).
      for (;;) {
        if (cx.index.adopting) await cx.index.adopting;
        else if (cx.index.writing) await cx.index.writing;
        else break;
      }
      const generationSeen = cx.records().meta.generation;
      slice.restart();
      const json = await packUpserts(upserts, slice);
      const key = cx.key ? cx.key.exportBytes() : undefined;
      let result: BulkResult;
      try {
        result = await runBulkApply({ dbPath: cx.dbPath, dim: cx.dim, modelId: cx.modelId, key, upserts: json, vectors: prepared.vectors,
          removes, version, baseVersion, replace });
      } finally {
        key?.fill(0);
      }
      if (cx.closed()) throw new FaceGateError('FG_GALLERY', 'gallery closed during a bulk change');
      slice.restart();
      try {
        return await this.#adopt(result, prepared.vectors, generationSeen, slice);
      } catch (e) {
        // Memory no longer matches the committed store: refuse to serve until reopened (which repairs).
        cx.fail(e);
        throw new FaceGateError('FG_GALLERY', `index update failed after a bulk commit: ${errorMessage(e)}; reopen the gallery`, { cause: e });
      }
    } finally {
      this.#running = null;
      const after = this.#after;
      this.#after = null;
      if (after && !cx.closed() && !cx.failed()) after();
      done();
    }
  }

  /**
   * Mirrors a committed bulk change: the new identity, label and index state is built aside in
   * time slices (the old one keeps serving), then swapped in with plain assignments. The records
   * stay put meanwhile: refresh and the sync writers hold off while `running` is set.
   */
  async #adopt(r: BulkResult, vectors: Float32Array, generationSeen: number, slice: TimeSlice): Promise<ApplyResult> {
    const { store, log, dir, dim } = this.#cx;
    const dv = store.dataVersion();
    const meta = store.meta();
    // Another process committed around ours: the diff is not relative to our memory; the next
    // refresh() reloads everything (rare: one process owns a gallery for writing).
    const foreign = r.generationBefore !== generationSeen || meta.generation !== r.generation;
    const ids = r.ids.length > 0 ? r.ids.split('\n') : [];
    /** Vector of the i-th added template (a view: the indexes copy what they keep). */
    const vectorOf = (i: number): Float32Array => {
      const src = r.addedSrc[i];
      if (src >= 0) return vectors.subarray(src * dim, (src + 1) * dim);
      const c = -src - 1;
      return r.centreVectors.subarray(c * dim, (c + 1) * dim);
    };
    const current = this.#cx.records();

    const identities = new Map<string, IdentityState>();
    for (const [id, st] of current.identities) {
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
    for (const [label, id] of current.owner) {
      owner.set(label, id);
      if (slice.due()) await slice.yield();
    }
    const centreLabels = new Set(current.centreLabels);
    let removedSamples = 0;
    for (const label of r.removed) {
      if (!current.centreLabels.has(label)) removedSamples++;
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

    const upkeep = this.#cx.index;
    const old = upkeep.index;
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
        const exact = new ExactIndex(dim, Math.max(64, owner.size));
        for (const label of owner.keys()) {
          const i = indexed.get(label);
          const v = i !== undefined ? vectorOf(i) : (old.base instanceof ExactIndex ? old.base.vector(label) : undefined) ?? old.overlay.vector(label) ?? store.vector(label, dim);
          if (v) exact.add(label, v);
          if (slice.due()) await slice.yield();
        }
        next = new LiveIndex(exact);
      } else {
        const overlay = new ExactIndex(dim, Math.max(16, indexed.size + old.overlay.size));
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
          while (upkeep.writing) await upkeep.writing;
          old.remove(label);
          if (slice.due()) await slice.yield();
        }
        while (upkeep.writing) await upkeep.writing;
        next = new LiveIndex(old.base, overlay);
      }
    }

    const sliceMaxMs = slice.maxHeldMs;
    const swapStart = performance.now();
    // The swap: no await from here on.
    this.#cx.adoptRecords({ identities, owner, centreLabels, meta }, foreign ? -1 : dv);
    const erased = r.removed.length > 0 || r.identityState.some((x, k) => k % 3 === 0 && x < 0);
    if (r.checkpointBusy) log.warn('gallery WAL checkpoint after a removal was blocked by a reader; the next removal or close retries', { dir });
    if (next) upkeep.installBulk(next, fresh, !!old && isGraphIndex(old.base) && erased);
    log.debug?.('gallery bulk change adopted', { dir, generation: meta.generation, added: r.addedLabels.length, removed: r.removed.length,
      workerMs: Math.round(r.ms), fresh, sliceMaxMs: Math.round(sliceMaxMs), swapMs: Math.round(performance.now() - swapStart) });
    this.#after = () => {
      // start the rebuild / fold the overlay / rewrite the file with the removed templates (a
      // fresh index is exact: eraseRemoved leaves it alone, its old file was dropped at the swap)
      upkeep.afterChange();
      if (erased) upkeep.eraseRemoved();
    };
    return { generation: meta.generation, version: meta.version, identities: identities.size, templatesAdded: addedSamples, templatesRemoved: removedSamples };
  }
}
