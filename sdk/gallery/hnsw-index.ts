/**
 * HNSW index over hnswlib-node in 'l2' space. hnswlib returns SQUARED Euclidean distances; this
 * wrapper converts once at the boundary so callers only ever see plain distances. The native
 * object takes plain arrays, so each call converts its Float32Array once.
 *
 * Removal is markDelete; deleted slots are reused by later additions (allowReplaceDeleted), so a
 * gallery with churn does not grow without bound. Capacity grows by resizeIndex.
 *
 * Erasure: markDelete alone leaves the vector in its slot, and so in every index file written
 * afterwards. A removed label's slot is first overwritten with a random unit vector (hnswlib
 * updates a live point in place), so neither memory nor a later file holds the template.
 */
import hnswlib from 'hnswlib-node';
import { FaceGateError, errorMessage } from '../errors.ts';
import { checkK, checkLabel, checkVector, type Neighbor, type VectorIndex } from './vector-index.ts';
import type { TimeSlice } from './time-slice.ts';

const { HierarchicalNSW } = hnswlib;
type NativeHnsw = InstanceType<typeof HierarchicalNSW>;

export interface HnswParams {
  /** Graph degree (hnswlib M). */
  m: number;
  efConstruction: number;
  /** Search beam; hnswlib uses max(ef, k). Its default of 10 gives poor recall. */
  ef: number;
  /**
   * Narrow beam tried first when the caller gives its decision threshold (Gallery.search); `ef`
   * is the fallback when nobody lies within it. Absent: always `ef`.
   */
  efFirst?: number;
  /**
   * Build the graph over the templates' principal subspace when they have one (projection.ts):
   * default true; false keeps full-dimension points.
   */
  project?: boolean;
  seed: number;
}

/** A Set or the keys of a Map, read after the file has loaded (must not change during a sliced load). */
export interface LabelSet {
  has(label: number): boolean;
  keys(): IterableIterator<number>;
}

export interface LoadOptions {
  /** Every label in the file, when the caller knows them (the build that wrote it). */
  labels?: ArrayLike<number>;
  /** Reconcile labels in time slices (the event loop turns between them). */
  slice?: TimeSlice;
}

export interface LoadedIndex {
  index: HnswIndex;
  /** Labels expected but absent from the file (the caller adds them). */
  missing: number[];
  /** Live vectors in the file that the store no longer holds, scrubbed in memory: the file still has them. */
  scrubbed: number;
  /** Milliseconds from hnswlib's read to the end of label reconciliation. */
  reconcileMs: number;
}

function noise(dim: number): number[] {
  const v = new Array<number>(dim);
  let s = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = Math.random() * 2 - 1;
    s += v[i] * v[i];
  }
  const inv = 1 / Math.sqrt(s || 1);
  for (let i = 0; i < dim; i++) v[i] *= inv;
  return v;
}

/**
 * From test/bench/gallery.ts at 100k templates (192-d, 50k identities, probes at genuine distance
 * 0.8, decision threshold 0.93, AVX2 addon, 2-core machine, mostly with another job running):
 * - M=16 cannot reach recall@1 0.999 at a usable beam on vectors shaped like real embeddings
 *   (lfw-fitted: 0.974 at ef 64, 0.991 at ef 128; isotropic: 0.997 at ef 192, 1.94 ms).
 * - M=32 with the threshold (Gallery.search): a 64-wide first beam answers ~98% of probes alone
 *   and the 128-wide one the rest: recall@1 0.999 (2,000 lfw-fitted probes, graph over 64-d) and
 *   1.000 (1,000 probes, 80-d; and isotropic), CPU p50 0.54 ms on an idle machine, 0.68-0.87 ms
 *   beside another job (isotropic 1.08). A 48-wide first beam is faster but reached only 0.9975
 *   on the 2,000 probes: the misses are near-ties in crowded neighbourhoods, where a stranger
 *   lies within the threshold too.
 * M=32 costs 1.6x the build time of M=16 (179 vs 115 CPU-s at 100k, projected) and 27% more file.
 * The default for an index made directly; a Gallery picks its parameters by size (hnsw-by-size.ts).
 */
export const DEFAULT_HNSW_PARAMS: HnswParams = { m: 32, efConstruction: 200, ef: 128, efFirst: 64, seed: 100, project: true };

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly dim: number;
  readonly params: HnswParams;
  #native: NativeHnsw;
  #live = new Set<number>();
  // Labels removed here that may still sit, marked deleted, in the graph (hint for re-adds).
  #deletedHint = new Set<number>();
  // Size of hnswlib's deleted-slot pool; when > 0 an addition reuses a slot instead of growing.
  #deletedCount = 0;

  private constructor(dim: number, params: HnswParams, native: NativeHnsw) {
    this.dim = dim;
    this.params = params;
    this.#native = native;
  }

  static create(dim: number, params: HnswParams = DEFAULT_HNSW_PARAMS, capacity = 1024): HnswIndex {
    const native = new HierarchicalNSW('l2', dim);
    native.initIndex(Math.max(16, capacity), params.m, params.efConstruction, params.seed, true);
    native.setEf(params.ef);
    return new HnswIndex(dim, params, native);
  }

  /**
   * Reads an index file (off the main thread: hnswlib's readIndex is an async worker) into a new
   * native object. `expectedLive` is the set of labels the store says must be searchable: labels
   * in the file but not expected are marked deleted; expected labels missing from the file are
   * returned so the caller can add them (repair of a stale file).
   */
  static async load(file: string, dim: number, params: HnswParams, expectedLive: LabelSet, opts: LoadOptions = {}): Promise<LoadedIndex> {
    const native = new HierarchicalNSW('l2', dim);
    try {
      await native.readIndex(file, true);
    } catch (e) {
      throw new FaceGateError('FG_GALLERY_CORRUPT', `cannot read index file ${file}: ${errorMessage(e)}`, { cause: e });
    }
    if (native.getNumDimensions() !== dim) {
      throw new FaceGateError('FG_GALLERY_CORRUPT', `index file ${file} has dim ${native.getNumDimensions()}, expected ${dim}`);
    }
    const t0 = performance.now();
    native.setEf(params.ef);
    const index = new HnswIndex(dim, params, native);
    let scrubbed = 0;
    const slice = opts.slice;
    // getIdsList builds a JS array through N-API one element at a time (~100 ms at 100k): the
    // build worker hands over the labels it wrote instead.
    const inFile = opts.labels ?? native.getIdsList();
    for (let i = 0; i < inFile.length; i++) {
      const label = inFile[i];
      if (expectedLive.has(label)) index.#live.add(label);
      else {
        if (index.#scrub(label)) scrubbed++;
        index.#deletedHint.add(label);
        index.#deletedCount++;
      }
      if (slice?.due()) await slice.yield();
    }
    const missing: number[] = [];
    for (const label of expectedLive.keys()) {
      if (!index.#live.has(label)) missing.push(label);
      if (slice?.due()) await slice.yield();
    }
    return { index, missing, scrubbed, reconcileMs: performance.now() - t0 };
  }

  get size(): number {
    return this.#live.size;
  }

  get ef(): number {
    return this.#native.getEf();
  }

  set ef(ef: number) {
    if (!Number.isInteger(ef) || ef < 1) throw new FaceGateError('FG_INPUT_INVALID', `ef must be a positive integer, got ${ef}`);
    this.#native.setEf(ef);
  }

  /** Graph slots in use, deleted ones included (what the file and memory hold). */
  get slots(): number {
    return this.#native.getCurrentCount();
  }

  has(label: number): boolean {
    return this.#live.has(label);
  }

  /** The stored vector of a live label (a copy), or undefined. */
  vector(label: number): Float32Array | undefined {
    return this.#live.has(label) ? Float32Array.from(this.#native.getPoint(label)) : undefined;
  }

  labels(): number[] {
    return Array.from(this.#live);
  }

  add(label: number, vector: Float32Array): void {
    checkLabel(label);
    checkVector(vector, this.dim, 'vector');
    const point = Array.from(vector);
    if (this.#live.has(label)) {
      this.#native.addPoint(point, label, false); // existing label: hnswlib updates it in place
      return;
    }
    if (this.#deletedHint.has(label)) {
      this.#deletedHint.delete(label);
      try {
        this.#native.unmarkDelete(label);
        this.#deletedCount--;
        this.#native.addPoint(point, label, false);
        this.#live.add(label);
        return;
      } catch {
        // its slot was reused by another label: add it as new below
      }
    }
    const reuse = this.#deletedCount > 0;
    if (!reuse && this.#native.getCurrentCount() >= this.#native.getMaxElements()) {
      this.#native.resizeIndex(Math.max(1024, Math.ceil(this.#native.getMaxElements() * 1.5)));
    }
    this.#native.addPoint(point, label, reuse);
    if (reuse) this.#deletedCount--;
    this.#live.add(label);
  }

  /**
   * Overwrites a live slot with noise and marks it deleted; false when it was already deleted
   * (hnswlib refuses to update a deleted slot; ours were scrubbed before being marked).
   */
  #scrub(label: number): boolean {
    try {
      this.#native.addPoint(noise(this.dim), label, false);
    } catch {
      return false;
    }
    this.#native.markDelete(label);
    return true;
  }

  remove(label: number): boolean {
    if (!this.#live.has(label)) return false;
    if (!this.#scrub(label)) this.#native.markDelete(label);
    this.#live.delete(label);
    this.#deletedHint.add(label);
    this.#deletedCount++;
    return true;
  }

  search(query: Float32Array, k: number, ef?: number): Neighbor[] {
    checkVector(query, this.dim, 'query');
    checkK(k);
    const kk = Math.min(k, this.#live.size);
    if (kk === 0) return [];
    let r: ReturnType<NativeHnsw['searchKnn']>;
    const own = ef === undefined ? 0 : this.#native.getEf();
    if (ef === undefined || ef === own) r = this.#native.searchKnn(Array.from(query), kk);
    else {
      if (!Number.isInteger(ef) || ef < 1) throw new FaceGateError('FG_INPUT_INVALID', `ef must be a positive integer, got ${ef}`);
      // hnswlib keeps ef on the index: set it for this query and put it back (searches are synchronous)
      this.#native.setEf(ef);
      try {
        r = this.#native.searchKnn(Array.from(query), kk);
      } finally {
        this.#native.setEf(own);
      }
    }
    const out: Neighbor[] = new Array(r.neighbors.length);
    for (let i = 0; i < r.neighbors.length; i++) {
      out[i] = { label: r.neighbors[i], distance: Math.sqrt(Math.max(0, r.distances[i])) };
    }
    return out;
  }

  /** Asynchronous write (hnswlib's saveIndex on a libuv thread): the caller must not mutate meanwhile. */
  async writeAsync(file: string): Promise<void> {
    await this.#native.writeIndex(file);
  }

  /** Synchronous write (stalls the caller for the file's size; the worker build path avoids it). */
  writeSync(file: string): void {
    this.#native.writeIndexSync(file);
  }
}
