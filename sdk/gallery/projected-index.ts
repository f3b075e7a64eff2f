/**
 * An HNSW index over templates projected onto the gallery's principal subspace (projection.ts):
 * the graph holds rank + 1 coordinates per template, the projection plus the norm of the part
 * left out, so the file alone restores everything a search needs. Searches rank by the distance
 * of those augmented points (a lower bound of the true distance) and report the upper bound
 * sqrt(dp^2 + (rq + rt)^2), never below the true distance: a threshold decision on it can only
 * be stricter than one on exact distances.
 */
import { HnswIndex, type HnswParams, type LoadedIndex, type LabelSet, type LoadOptions } from './hnsw-index.ts';
import { project, upperDistance, type Projection } from './projection.ts';
import { checkVector, type Neighbor, type VectorIndex } from './vector-index.ts';

export class ProjectedIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly dim: number;
  readonly projection: Projection;
  readonly inner: HnswIndex;
  // Residual norm per label, filled on add and lazily from the graph after a load.
  #residual = new Map<number, number>();
  #point: Float32Array;
  #query: Float32Array;
  #scratch: Float64Array;

  private constructor(projection: Projection, inner: HnswIndex) {
    this.dim = projection.dim;
    this.projection = projection;
    this.inner = inner;
    this.#point = new Float32Array(projection.rank + 1);
    this.#query = new Float32Array(projection.rank + 1);
    this.#scratch = new Float64Array(projection.dim);
  }

  static create(projection: Projection, params: HnswParams, capacity?: number): ProjectedIndex {
    return new ProjectedIndex(projection, HnswIndex.create(projection.rank + 1, params, capacity));
  }

  /** Loads the graph of a projected index; `projection` must be the one it was built with. */
  static async load(file: string, projection: Projection, params: HnswParams, expectedLive: LabelSet, opts: LoadOptions = {}): Promise<Omit<LoadedIndex, 'index'> & { index: ProjectedIndex }> {
    const loaded = await HnswIndex.load(file, projection.rank + 1, params, expectedLive, opts);
    return { ...loaded, index: new ProjectedIndex(projection, loaded.index) };
  }

  get size(): number {
    return this.inner.size;
  }

  /** What the graph was built with (its M and efConstruction are fixed; ef follows the setter). */
  get params(): HnswParams {
    return this.inner.params;
  }

  get ef(): number {
    return this.inner.ef;
  }

  set ef(ef: number) {
    this.inner.ef = ef;
  }

  has(label: number): boolean {
    return this.inner.has(label);
  }

  labels(): number[] {
    return this.inner.labels();
  }

  #augment(v: Float32Array, out: Float32Array): number {
    const r = project(this.projection, v, out.subarray(0, this.projection.rank), this.#scratch);
    out[this.projection.rank] = r;
    return r;
  }

  add(label: number, vector: Float32Array): void {
    checkVector(vector, this.dim, 'vector');
    const r = this.#augment(vector, this.#point);
    this.inner.add(label, this.#point);
    this.#residual.set(label, r);
  }

  remove(label: number): boolean {
    this.#residual.delete(label);
    return this.inner.remove(label);
  }

  #residualOf(label: number): number {
    let r = this.#residual.get(label);
    if (r === undefined) {
      r = this.inner.vector(label)?.[this.projection.rank] ?? 0;
      this.#residual.set(label, r);
    }
    return r;
  }

  search(query: Float32Array, k: number, ef?: number): Neighbor[] {
    checkVector(query, this.dim, 'query');
    const rq = this.#augment(query, this.#query);
    const hits = this.inner.search(this.#query, k, ef);
    const out = new Array<Neighbor>(hits.length);
    for (let i = 0; i < hits.length; i++) {
      // the graph's distance includes (rq - rt)^2; take it out again before the bound
      const rt = this.#residualOf(hits[i].label);
      const d2 = Math.max(0, hits[i].distance * hits[i].distance - (rq - rt) * (rq - rt));
      out[i] = { label: hits[i].label, distance: upperDistance(Math.sqrt(d2), rq, rt) };
    }
    return out.sort((a, b) => a.distance - b.distance);
  }

  writeSync(file: string): void {
    this.inner.writeSync(file);
  }

  writeAsync(file: string): Promise<void> {
    return this.inner.writeAsync(file);
  }
}

/** The graph indexes a gallery builds and writes to a file. */
export type GraphIndex = HnswIndex | ProjectedIndex;

export function isGraphIndex(index: VectorIndex): index is GraphIndex {
  return index instanceof HnswIndex || index instanceof ProjectedIndex;
}
