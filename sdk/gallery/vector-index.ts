/**
 * The nearest-neighbour contract both gallery indexes meet (exact brute force for small
 * galleries, HNSW for large ones). One contract test suite runs against both.
 *
 * Labels are template ids: integers in [0, 2^32) (hnswlib stores them as uint32 here).
 * Distances are plain Euclidean everywhere outside the index implementation.
 */
import { FaceGateError } from '../errors.ts';

export interface Neighbor {
  label: number;
  /** Euclidean distance (not squared). */
  distance: number;
}

export type IndexKind = 'exact' | 'hnsw';

export interface VectorIndex {
  readonly kind: IndexKind;
  readonly dim: number;
  /** Number of live (searchable) vectors. */
  readonly size: number;
  has(label: number): boolean;
  /** Inserts, or replaces the vector of an existing label. */
  add(label: number, vector: Float32Array): void;
  /** Removes a label; false when it was not there. */
  remove(label: number): boolean;
  /**
   * Up to k nearest live vectors, ascending by distance. `ef`: the search beam of an approximate
   * index for this query only (its own setting otherwise); an exact index ignores it.
   */
  search(query: Float32Array, k: number, ef?: number): Neighbor[];
  /** Labels of all live vectors. */
  labels(): number[];
}

export function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > 0xffffffff) {
    throw new FaceGateError('FG_INPUT_INVALID', `index label must be an integer in [0, 2^32), got ${label}`);
  }
}

export function checkVector(v: Float32Array, dim: number, what: string): void {
  if (!(v instanceof Float32Array)) throw new FaceGateError('FG_INPUT_INVALID', `${what}: expected a Float32Array`);
  if (v.length !== dim) {
    throw new FaceGateError('FG_INPUT_INVALID', `${what}: expected ${dim} values, got ${v.length}`, { details: { expected: dim, got: v.length } });
  }
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new FaceGateError('FG_INPUT_INVALID', `k must be a positive integer, got ${k}`);
}

/** Merges two ascending neighbour lists into the k best (used to search a base index plus an overlay). */
export function mergeNeighbors(a: Neighbor[], b: Neighbor[], k: number): Neighbor[] {
  if (b.length === 0) return a.length > k ? a.slice(0, k) : a;
  if (a.length === 0) return b.length > k ? b.slice(0, k) : b;
  const out: Neighbor[] = [];
  let i = 0;
  let j = 0;
  while (out.length < k && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && a[i].distance <= b[j].distance)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}
