/**
 * Exact nearest-neighbour search over one contiguous Float32Array (row-major, capacity doubles on
 * growth). Recall is 1 by construction; used below the size where HNSW starts to pay off and as
 * the overlay that holds fresh additions while an HNSW rebuild runs in a worker.
 */
import { checkK, checkLabel, checkVector, type Neighbor, type VectorIndex } from './vector-index.ts';

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact' as const;
  readonly dim: number;
  #data: Float32Array;
  #labels: Float64Array;
  #rowOf = new Map<number, number>();
  #count = 0;
  // Reused per search: squared distances of the current top-k, kept sorted ascending.
  #topD = new Float64Array(16);
  #topL = new Float64Array(16);

  constructor(dim: number, initialCapacity = 64) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    this.dim = dim;
    const cap = Math.max(1, initialCapacity);
    this.#data = new Float32Array(cap * dim);
    this.#labels = new Float64Array(cap);
  }

  get size(): number {
    return this.#count;
  }

  has(label: number): boolean {
    return this.#rowOf.has(label);
  }

  /** Copy of a stored vector. */
  vector(label: number): Float32Array | undefined {
    const row = this.#rowOf.get(label);
    return row === undefined ? undefined : this.#data.slice(row * this.dim, (row + 1) * this.dim);
  }

  labels(): number[] {
    return Array.from(this.#labels.subarray(0, this.#count));
  }

  add(label: number, vector: Float32Array): void {
    checkLabel(label);
    checkVector(vector, this.dim, 'vector');
    const row = this.#rowOf.get(label);
    if (row !== undefined) {
      this.#data.set(vector, row * this.dim);
      return;
    }
    if (this.#count === this.#labels.length) this.#grow(this.#count * 2);
    this.#data.set(vector, this.#count * this.dim);
    this.#labels[this.#count] = label;
    this.#rowOf.set(label, this.#count);
    this.#count++;
  }

  remove(label: number): boolean {
    const row = this.#rowOf.get(label);
    if (row === undefined) return false;
    const last = this.#count - 1;
    if (row !== last) {
      // Swap-remove keeps the matrix dense: move the last row into the hole.
      this.#data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      const moved = this.#labels[last];
      this.#labels[row] = moved;
      this.#rowOf.set(moved, row);
    }
    this.#rowOf.delete(label);
    this.#count = last;
    return true;
  }

  search(query: Float32Array, k: number): Neighbor[] {
    checkVector(query, this.dim, 'query');
    checkK(k);
    const n = this.#count;
    const kk = Math.min(k, n);
    if (kk === 0) return [];
    if (this.#topD.length < kk) {
      this.#topD = new Float64Array(kk);
      this.#topL = new Float64Array(kk);
    }
    const topD = this.#topD;
    const topL = this.#topL;
    let filled = 0;
    let worst = Infinity;
    const data = this.#data;
    const dim = this.dim;
    const dim4 = dim - (dim % 4);
    for (let r = 0, base = 0; r < n; r++, base += dim) {
      // Four accumulators let V8 keep the loop pipelined; the tail handles dims not divisible by 4.
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let j = 0;
      for (; j < dim4; j += 4) {
        const a = query[j] - data[base + j];
        const b = query[j + 1] - data[base + j + 1];
        const c = query[j + 2] - data[base + j + 2];
        const d = query[j + 3] - data[base + j + 3];
        s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
      }
      for (; j < dim; j++) {
        const a = query[j] - data[base + j];
        s0 += a * a;
      }
      const s = s0 + s1 + s2 + s3;
      if (filled < kk) {
        let p = filled++;
        while (p > 0 && topD[p - 1] > s) { topD[p] = topD[p - 1]; topL[p] = topL[p - 1]; p--; }
        topD[p] = s; topL[p] = this.#labels[r];
        if (filled === kk) worst = topD[kk - 1];
      } else if (s < worst) {
        let p = kk - 1;
        while (p > 0 && topD[p - 1] > s) { topD[p] = topD[p - 1]; topL[p] = topL[p - 1]; p--; }
        topD[p] = s; topL[p] = this.#labels[r];
        worst = topD[kk - 1];
      }
    }
    const out: Neighbor[] = new Array(kk);
    for (let i = 0; i < kk; i++) out[i] = { label: topL[i], distance: Math.sqrt(topD[i]) };
    return out;
  }

  #grow(capacity: number): void {
    const data = new Float32Array(capacity * this.dim);
    data.set(this.#data.subarray(0, this.#count * this.dim));
    const labels = new Float64Array(capacity);
    labels.set(this.#labels.subarray(0, this.#count));
    this.#data = data;
    this.#labels = labels;
  }
}
