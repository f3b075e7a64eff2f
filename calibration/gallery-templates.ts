/**
 * Reads a gallery's templates read-only (the device may be running on it): identities, their
 * sample vectors, and — when the gallery indexes class centres — each identity's centre, because
 * a live search matches against centres too.
 */
import { squaredL2At } from '../sdk/metrics/distance.ts';
import { join } from 'node:path';
import { FaceGateError } from '../sdk/errors.ts';
import { GALLERY_DB } from '../sdk/gallery/gallery.ts';
import { openDatabase, GalleryStore } from '../sdk/gallery/store.ts';
import { centreOf } from '../sdk/gallery/vectors.ts';
import type { SiteKey } from '../sdk/security/site-key.ts';

export interface GalleryTemplates {
  dir: string;
  modelId: string;
  dim: number;
  identities: string[];
  /** Sample templates: owner index into `identities` and vectors (row-major T x dim). */
  owner: Int32Array;
  vectors: Float32Array;
  /** Centre per identity (null when the gallery does not index centres). */
  centres: (Float32Array | null)[] | null;
}

/** `key`: the site key of an encrypted gallery (records are opened read-only through its codec). */
export function readGalleryTemplates(dir: string, key: SiteKey | null = null): GalleryTemplates {
  const { db, meta, codec, cipher } = openDatabase(join(dir, GALLERY_DB), null, true, key);
  try {
    const store = new GalleryStore(db, join(dir, GALLERY_DB), codec);
    const identities: string[] = [];
    const owner: number[] = [];
    const rows: Float32Array[] = [];
    const centres: (Float32Array | null)[] = [];
    for (const id of store.identities()) {
      const samples = store.sampleVectorsOf(id.id, meta.dim).map((s) => s.vector);
      if (samples.length === 0) continue;
      const k = identities.length;
      identities.push(id.id);
      for (const v of samples) { owner.push(k); rows.push(v); }
      centres.push(meta.centres ? centreOf(samples, meta.dim) : null);
    }
    if (identities.length === 0) throw new FaceGateError('FG_CALIBRATION', `gallery ${dir} holds no templates`);
    const vectors = new Float32Array(rows.length * meta.dim);
    rows.forEach((v, i) => vectors.set(v, i * meta.dim));
    return { dir, modelId: meta.modelId, dim: meta.dim, identities, owner: Int32Array.from(owner), vectors, centres: meta.centres ? centres : null };
  } finally {
    cipher?.destroy();
    db.close();
  }
}

function dist(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  return Math.sqrt(squaredL2At(a, ao, b, bo, dim));
}

export interface GalleryScores {
  /** Same-identity template pairs. */
  genuine: Float64Array;
  /** Different-identity template pairs (all of them, or a seeded-stride subset above `maxImpostor`). */
  impostor: Float64Array;
  /**
   * Leave-one-identity-out 1:N non-mated scores: each template as the probe of a stranger, scored
   * by its nearest OTHER identity (gallery size N-1).
   */
  nonMated: Float64Array;
  /**
   * Leave-one-template-out mated scores (identities with 2+ templates): distance to the own
   * identity's remaining templates when that identity is nearest, else +Infinity.
   */
  mated: Float64Array;
}

/**
 * All template-to-template distances in one O(T^2 d) pass. The centre of the probe's own
 * identity is left out of mated scores (it was computed with the probe itself).
 */
export function galleryScores(g: GalleryTemplates, maxImpostor = 2_000_000): GalleryScores {
  const T = g.owner.length;
  const dim = g.dim;
  const N = g.identities.length;
  const totalImpostor = (() => {
    const count = new Map<number, number>();
    for (const o of g.owner) count.set(o, (count.get(o) ?? 0) + 1);
    let sq = 0;
    for (const c of count.values()) sq += c * c;
    return (T * T - sq) / 2;
  })();
  const stride = Math.max(1, Math.ceil(totalImpostor / maxImpostor));
  const genuine: number[] = [];
  const impostor: number[] = [];
  const nonMated = new Float64Array(T);
  const mated: number[] = [];
  const ownCount = new Int32Array(N);
  for (const o of g.owner) ownCount[o]++;
  const bestOther = new Float64Array(T).fill(Infinity);
  const bestOwn = new Float64Array(T).fill(Infinity);
  let impIndex = 0;
  for (let a = 0; a < T; a++) {
    for (let b = a + 1; b < T; b++) {
      const d = dist(g.vectors, a * dim, g.vectors, b * dim, dim);
      if (g.owner[a] === g.owner[b]) {
        genuine.push(d);
        if (d < bestOwn[a]) bestOwn[a] = d;
        if (d < bestOwn[b]) bestOwn[b] = d;
      } else {
        if (impIndex++ % stride === 0) impostor.push(d);
        if (d < bestOther[a]) bestOther[a] = d;
        if (d < bestOther[b]) bestOther[b] = d;
      }
    }
  }
  if (g.centres) {
    // Other identities' centres are gallery entries too.
    for (let a = 0; a < T; a++) {
      g.centres.forEach((c, k) => {
        if (!c || k === g.owner[a]) return;
        const d = dist(g.vectors, a * dim, c, 0, dim);
        if (d < bestOther[a]) bestOther[a] = d;
      });
    }
  }
  for (let a = 0; a < T; a++) {
    nonMated[a] = bestOther[a];
    if (ownCount[g.owner[a]] >= 2) mated.push(bestOwn[a] < bestOther[a] ? bestOwn[a] : Infinity);
  }
  return { genuine: Float64Array.from(genuine), impostor: Float64Array.from(impostor), nonMated, mated: Float64Array.from(mated) };
}
