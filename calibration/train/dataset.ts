/**
 * Labelled embeddings in one contiguous array, and people-disjoint splits of them: a person's
 * images never sit on both sides, so validation measures generalisation to unseen people (the
 * device case: the head is trained on a site's staff and must work for tomorrow's visitor too).
 */
import { FaceGateError } from '../../sdk/errors.ts';
import type { Rng } from './rng.ts';

export interface EmbeddingSet {
  /** n x dim, row-major; rows are the embedder's unit vectors. */
  vectors: Float32Array;
  dim: number;
  /** Dense label per row: 0..identities.length-1. */
  labels: Int32Array;
  /** Identity name of each label. */
  identities: string[];
  /** Source of each row (image path), when known. */
  images?: string[];
}

export function rowCount(set: EmbeddingSet): number {
  return set.labels.length;
}

/** Builds a set from (identity, vector) rows; labels follow first appearance. */
export function embeddingSet(rows: readonly { identity: string; vector: Float32Array; image?: string }[]): EmbeddingSet {
  if (rows.length === 0) throw new FaceGateError('FG_INPUT_INVALID', 'no embeddings to train on');
  const dim = rows[0].vector.length;
  const vectors = new Float32Array(rows.length * dim);
  const labels = new Int32Array(rows.length);
  const ids = new Map<string, number>();
  const identities: string[] = [];
  rows.forEach((r, i) => {
    if (r.vector.length !== dim) throw new FaceGateError('FG_INPUT_INVALID', `embedding ${i} has ${r.vector.length} values, expected ${dim}`);
    let l = ids.get(r.identity);
    if (l === undefined) {
      l = identities.length;
      ids.set(r.identity, l);
      identities.push(r.identity);
    }
    labels[i] = l;
    vectors.set(r.vector, i * dim);
  });
  const images = rows.every((r) => r.image !== undefined) ? rows.map((r) => r.image!) : undefined;
  return { vectors, dim, labels, identities, images };
}

/** Row indices per label. */
export function rowsByLabel(labels: ArrayLike<number>, classes: number): number[][] {
  const out: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) out[labels[i]].push(i);
  return out;
}

/** The given rows as a new set with labels renumbered densely in order of appearance. */
export function subsetRows(set: EmbeddingSet, rows: readonly number[]): EmbeddingSet {
  const d = set.dim;
  const vectors = new Float32Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  const map = new Map<number, number>();
  const identities: string[] = [];
  rows.forEach((r, i) => {
    vectors.set(set.vectors.subarray(r * d, (r + 1) * d), i * d);
    const old = set.labels[r];
    let l = map.get(old);
    if (l === undefined) {
      l = identities.length;
      map.set(old, l);
      identities.push(set.identities[old]);
    }
    labels[i] = l;
  });
  return { vectors, dim: d, labels, identities, images: set.images ? rows.map((r) => set.images![r]) : undefined };
}

/** The rows of the people for whom `keep(identity)` holds. */
export function subsetPeople(set: EmbeddingSet, keep: (identity: string) => boolean): EmbeddingSet {
  const rows: number[] = [];
  for (let i = 0; i < set.labels.length; i++) if (keep(set.identities[set.labels[i]])) rows.push(i);
  if (rows.length === 0) throw new FaceGateError('FG_INPUT_INVALID', 'no embeddings left after selecting people');
  return subsetRows(set, rows);
}

export interface PeopleSplit {
  train: EmbeddingSet;
  val: EmbeddingSet;
  /** People with a single image: no positive pair, left out of both sides. */
  singles: number;
}

/**
 * Splits the people with at least two images into train and validation (round(fraction x people),
 * at least 2 on each side), seeded. Single-image people give no same-person pair and are dropped.
 */
export function splitPeople(set: EmbeddingSet, valFraction: number, rng: Rng): PeopleSplit {
  if (!(valFraction > 0 && valFraction < 1)) throw new FaceGateError('FG_CONFIG_INVALID', `validation fraction must be in (0, 1), got ${valFraction}`);
  const byLabel = rowsByLabel(set.labels, set.identities.length);
  const people = byLabel.map((r, l) => ({ l, r })).filter((p) => p.r.length >= 2);
  const singles = byLabel.length - people.length;
  if (people.length < 4) {
    throw new FaceGateError('FG_INPUT_INVALID', `training needs at least 4 people with 2 or more images (2 to train, 2 to validate), found ${people.length}`);
  }
  rng.shuffle(people);
  const nVal = Math.min(people.length - 2, Math.max(2, Math.round(valFraction * people.length)));
  const valPeople = people.slice(0, nVal).sort((a, b) => a.l - b.l);
  const trainPeople = people.slice(nVal).sort((a, b) => a.l - b.l);
  return {
    train: subsetRows(set, trainPeople.flatMap((p) => p.r)),
    val: subsetRows(set, valPeople.flatMap((p) => p.r)),
    singles,
  };
}

/** Drops people with fewer than `min` images. */
export function withMinImages(set: EmbeddingSet, min: number): EmbeddingSet {
  const byLabel = rowsByLabel(set.labels, set.identities.length);
  const rows = byLabel.filter((r) => r.length >= min).flat().sort((a, b) => a - b);
  if (rows.length === 0) throw new FaceGateError('FG_INPUT_INVALID', `no person has ${min} or more images`);
  return subsetRows(set, rows);
}
