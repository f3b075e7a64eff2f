/**
 * Per-identity thresholds where the gallery is crowded. A stranger who resembles an enrolled person
 * is most likely where enrolled people already resemble each other (look-alike relatives, people
 * photographed alike): an identity whose nearest other identities sit closer than is typical for
 * this gallery gets a tighter threshold, by how much closer they sit. Pure math on the gallery's
 * templates; no labels of the probes are needed.
 *
 *   c_k   = mean distance from identity k to its m nearest other identities (identity distance =
 *           the nearest pair of their templates)
 *   c_ref = median of c_k over the gallery
 *   t_k   = T - beta * max(0, c_ref - c_k)
 *
 * Only tightens: an identity in a sparse region keeps the global threshold T, so the gallery-wide
 * stranger rate stays at or under the target T was derived for.
 */
import { FaceGateError } from '../sdk/errors.ts';

export interface CrowdingStatistics {
  /** Identities (0 .. identities-1). */
  readonly identities: number;
  /** Per identity: its nearest other identities, ascending by distance (at most `keep`). */
  readonly neighbours: readonly { identity: number; distance: number }[][];
}

export interface CrowdingOptions {
  /** m: neighbours averaged (default 1). */
  neighbours?: number;
  /** beta: threshold drop per unit of distance closer than the gallery's median (default 0.5). */
  beta?: number;
  /** An identity to leave out of the neighbourhoods (evaluation: a person removed from the gallery). */
  leftOut?: number;
}

/**
 * Nearest `keep` other identities of every identity, from packed unit templates (rows x dim) and
 * each row's identity number. Exact: O(templates² · dim).
 */
export function crowdingStatistics(templates: Float32Array, owner: Int32Array, dim: number, keep = 16): CrowdingStatistics {
  const n = owner.length;
  if (templates.length !== n * dim) throw new FaceGateError('FG_INPUT_INVALID', `templates hold ${templates.length} values, expected ${n} x ${dim}`);
  let identities = 0;
  for (let i = 0; i < n; i++) identities = Math.max(identities, owner[i] + 1);
  // nearest distance between each pair of identities, kept as per-identity maps of the best `keep`
  const best: Map<number, number>[] = Array.from({ length: identities }, () => new Map());
  const near = new Float64Array(identities);
  for (let a = 0; a < n; a++) {
    near.fill(Infinity);
    const oa = a * dim;
    for (let b = 0; b < n; b++) {
      const k = owner[b];
      if (k === owner[a]) continue;
      let dot = 0;
      const ob = b * dim;
      for (let j = 0; j < dim; j++) dot += templates[oa + j] * templates[ob + j];
      const d = Math.sqrt(Math.max(0, 2 - 2 * dot));
      if (d < near[k]) near[k] = d;
    }
    const m = best[owner[a]];
    for (let k = 0; k < identities; k++) if (near[k] < (m.get(k) ?? Infinity)) m.set(k, near[k]);
  }
  const neighbours = best.map((m) => [...m].map(([identity, distance]) => ({ identity, distance })).sort((x, y) => x.distance - y.distance).slice(0, keep));
  return { identities, neighbours };
}

function meanNearest(list: readonly { identity: number; distance: number }[], m: number, leftOut: number): number {
  let s = 0;
  let c = 0;
  for (const x of list) {
    if (x.identity === leftOut) continue;
    s += x.distance;
    if (++c === m) break;
  }
  return c ? s / c : Infinity;
}

const refCache = new WeakMap<CrowdingStatistics, Map<number, number>>();
/** Median over identities of the mean distance to their m nearest others. */
export function crowdingReference(s: CrowdingStatistics, m: number): number {
  let byM = refCache.get(s);
  if (!byM) refCache.set(s, (byM = new Map()));
  const hit = byM.get(m);
  if (hit !== undefined) return hit;
  const c = s.neighbours.map((l) => meanNearest(l, m, -1)).filter(Number.isFinite).sort((a, b) => a - b);
  const ref = c.length ? (c.length % 2 ? c[(c.length - 1) / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2) : Infinity;
  byM.set(m, ref);
  return ref;
}

/** Threshold for identity k: the global one, lowered where k's neighbourhood is crowded. */
export function crowdedThreshold(s: CrowdingStatistics, k: number, threshold: number, o: CrowdingOptions = {}): number {
  const m = o.neighbours ?? 1;
  const beta = o.beta ?? 0.5;
  if (!(Number.isInteger(m) && m >= 1)) throw new FaceGateError('FG_INPUT_INVALID', `neighbours must be an integer >= 1, got ${m}`);
  if (!(beta >= 0)) throw new FaceGateError('FG_INPUT_INVALID', `beta must be >= 0, got ${beta}`);
  const ck = meanNearest(s.neighbours[k] ?? [], m, o.leftOut ?? -1);
  if (!Number.isFinite(ck)) return threshold;
  return threshold - beta * Math.max(0, crowdingReference(s, m) - ck);
}
