/**
 * The index a gallery searches: a base (exact or HNSW) plus an exact overlay.
 *
 * The overlay holds additions the HNSW base should not take inline: a large batch (inserting
 * thousands into HNSW on the caller's thread would stall it) or any addition while the base is
 * frozen for an asynchronous save (hnswlib must not be mutated while it writes). Removals while
 * frozen are deferred and filtered out of results. A background rebuild later folds the overlay
 * into a new base. Searches see base + overlay, so a committed change is always visible at once.
 */
import { ExactIndex } from './exact-index.ts';
import { mergeNeighbors, type Neighbor, type VectorIndex } from './vector-index.ts';

export class LiveIndex {
  readonly base: VectorIndex;
  readonly overlay: ExactIndex;
  #frozen = false;
  #deferred = new Set<number>();

  /** `overlay`: additions already gathered aside (a bulk change), else an empty one. */
  constructor(base: VectorIndex, overlay?: ExactIndex) {
    this.base = base;
    this.overlay = overlay ?? new ExactIndex(base.dim, 16);
  }

  get dim(): number {
    return this.base.dim;
  }

  get size(): number {
    return this.base.size - this.#deferred.size + this.overlay.size;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  has(label: number): boolean {
    return this.overlay.has(label) || (this.base.has(label) && !this.#deferred.has(label));
  }

  /** `toOverlay`: part of a change too large for inline HNSW inserts. */
  add(label: number, vector: Float32Array, toOverlay: boolean): void {
    if (this.base.kind === 'exact') {
      this.base.add(label, vector); // exact inserts are O(dim): never worth deferring
    } else if (this.#frozen || toOverlay || this.overlay.has(label)) {
      this.overlay.add(label, vector);
    } else {
      this.base.add(label, vector);
    }
  }

  remove(label: number): boolean {
    if (this.overlay.remove(label)) return true;
    if (this.#deferred.has(label) || !this.base.has(label)) return false;
    if (this.#frozen) this.#deferred.add(label);
    else this.base.remove(label);
    return true;
  }

  search(query: Float32Array, k: number, ef?: number): Neighbor[] {
    let base = this.base.size > 0 ? this.base.search(query, k + this.#deferred.size, ef) : [];
    if (this.#deferred.size > 0) base = base.filter((n) => !this.#deferred.has(n.label)).slice(0, k);
    const extra = this.overlay.size > 0 ? this.overlay.search(query, k) : [];
    return mergeNeighbors(base, extra, k);
  }

  labels(): number[] {
    const out = this.base.labels().filter((l) => !this.#deferred.has(l));
    for (const l of this.overlay.labels()) out.push(l);
    return out;
  }

  freeze(): void {
    this.#frozen = true;
  }

  /** Ends a save: applies the removals that waited for it. */
  thaw(): void {
    this.#frozen = false;
    for (const label of this.#deferred) this.base.remove(label);
    this.#deferred.clear();
  }

  /** Moves the overlay into the base (inline HNSW inserts): only for small overlays. */
  drainOverlay(): void {
    if (this.#frozen) return;
    for (const label of this.overlay.labels()) {
      const v = this.overlay.vector(label);
      if (v) this.base.add(label, v);
      this.overlay.remove(label);
    }
  }
}
