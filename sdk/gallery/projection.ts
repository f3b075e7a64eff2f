/**
 * Projection of templates onto the principal subspace of a gallery, for a smaller, faster HNSW
 * graph.
 *
 * Why: face embedders do not use all their dimensions. MobileFaceNet-192's last two linear layers
 * compose to a 192x512 map with 58 singular values >= 0.5 and the rest <= 0.107, and its lfw-dev
 * embeddings hold all but ~1e-5 of their variance in 64 principal directions (fitted on half of
 * the people, a 64-d projection changed the other half's pair distances by at most 9.5e-6:
 * test/bench/embedding-structure.ts). A graph over 64-d points needs a third of the memory and
 * distance arithmetic of one over 192-d points. fr-feature-512 fits in 192 of its 512.
 *
 * Safety: a projected distance never exceeds the true one, so it is only used to rank. What the
 * index reports is the upper bound sqrt(dp^2 + (rq + rt)^2), with rq, rt the norms of the parts
 * of query and template outside the subspace (the triangle inequality on the residuals). A
 * decision against a threshold therefore never accepts a probe the exact distance would reject.
 */
import { FaceGateError } from '../errors.ts';
import { covariance, symmetricEigen } from './eigen.ts';

export interface Projection {
  /** Input dimension. */
  readonly dim: number;
  /** Output dimension (rows of the basis). */
  readonly rank: number;
  readonly mean: Float32Array;
  /** rank x dim, row-major, orthonormal rows. */
  readonly basis: Float32Array;
  /** Share of the fitted vectors' variance outside the subspace. */
  readonly residualShare: number;
}

export interface FitOptions {
  /**
   * Keep the fewest directions leaving at most this share of the variance out (default 1e-5).
   * On lfw-dev (fitted on half the people, checked on the other half) 1e-5 keeps 64 of
   * MobileFaceNet's 192 dimensions and 192 of fr-feature's 512, and the reported distance exceeds
   * the exact one by at most 2.2e-5 and 4.6e-5 (p99 4.1e-6 / 1.6e-5); never below it.
   */
  maxResidualShare?: number;
  /** No projection unless it keeps at most this share of the dimensions (default 0.5). */
  maxRankShare?: number;
  /** Rank is rounded up to a multiple of this (SIMD-friendly distance loops; default 16). */
  multiple?: number;
  /** Fit on at most this many vectors, evenly strided (default 20,000). */
  maxSamples?: number;
}

/**
 * Fits the projection to `count` row-major vectors, or returns null when the vectors fill too
 * much of the space for a projection to pay (isotropic data, or too few vectors to tell).
 */
export function fitProjection(vectors: Float32Array, count: number, dim: number, opts: FitOptions = {}): Projection | null {
  const maxResidual = opts.maxResidualShare ?? 1e-5;
  const maxRank = Math.floor(dim * (opts.maxRankShare ?? 0.5));
  const multiple = opts.multiple ?? 16;
  const samples = Math.min(count, opts.maxSamples ?? 20_000);
  // A subspace is only trusted when clearly more vectors than dimensions went into it.
  if (samples < 2 * dim) return null;
  const step = count / samples;
  const rows: Float32Array[] = [];
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(s * step);
    rows.push(vectors.subarray(i * dim, (i + 1) * dim));
  }
  const { mean, cov } = covariance(rows);
  const { values, vectors: eig } = symmetricEigen(cov, dim);
  let total = 0;
  for (let k = 0; k < dim; k++) total += Math.max(0, values[k]);
  if (!(total > 0)) return null;
  let kept = 0;
  let rank = 0;
  while (rank < dim && (total - kept) / total > maxResidual) kept += Math.max(0, values[rank++]);
  rank = Math.min(dim, Math.ceil(Math.max(1, rank) / multiple) * multiple);
  if (rank > maxRank) return null;
  let keptShare = 0;
  for (let k = 0; k < rank; k++) keptShare += Math.max(0, values[k]);
  return { dim, rank, mean: Float32Array.from(mean), basis: Float32Array.from(eig.subarray(0, rank * dim)), residualShare: Math.max(0, (total - keptShare) / total) };
}

/**
 * Writes v's coordinates in the subspace into `out` (length rank) and returns the norm of the
 * part of v outside it. `scratch` (length dim) saves an allocation per call on hot paths.
 */
export function project(p: Projection, v: Float32Array, out: Float32Array, scratch: Float64Array = new Float64Array(p.dim)): number {
  const { dim, rank, mean, basis } = p;
  if (v.length !== dim || out.length !== rank) throw new FaceGateError('FG_INPUT_INVALID', `projection: expected ${dim} -> ${rank} values, got ${v.length} -> ${out.length}`);
  const c = scratch;
  for (let i = 0; i < dim; i++) c[i] = v[i] - mean[i];
  for (let k = 0; k < rank; k++) {
    const row = k * dim;
    let s = 0;
    for (let i = 0; i < dim; i++) s += basis[row + i] * c[i];
    out[k] = s;
  }
  // The residual from c minus its reconstruction, not |c|^2 - |a|^2: that difference cancels to
  // rounding noise (~3e-4 after the square root) when the residual is tiny.
  for (let k = 0; k < rank; k++) {
    const row = k * dim;
    const a = out[k];
    for (let i = 0; i < dim; i++) c[i] -= a * basis[row + i];
  }
  let r = 0;
  for (let i = 0; i < dim; i++) r += c[i] * c[i];
  return Math.sqrt(r);
}

/** Upper bound of the true distance from the projected one and the two residual norms. */
export function upperDistance(projected: number, residualA: number, residualB: number): number {
  const r = residualA + residualB;
  return Math.sqrt(projected * projected + r * r);
}

const MAGIC = 0x4a525046; // "FPRJ"

/** Binary form: magic, dim, rank (uint32 LE), mean (dim float32), basis (rank x dim float32). */
export function encodeProjection(p: Projection): Uint8Array {
  const out = new Uint8Array(12 + 4 * (p.dim + p.rank * p.dim) + 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, p.dim, true);
  view.setUint32(8, p.rank, true);
  let at = 12;
  for (const x of p.mean) { view.setFloat32(at, x, true); at += 4; }
  for (const x of p.basis) { view.setFloat32(at, x, true); at += 4; }
  view.setFloat64(at, p.residualShare, true);
  return out;
}

/**
 * Reads and checks a projection. The distance bound is only valid for orthonormal rows, so a
 * damaged basis must be refused, not used: a wrong one could report a stranger as near.
 */
export function decodeProjection(bytes: Uint8Array, dim: number): Projection {
  const bad = (why: string) => new FaceGateError('FG_GALLERY_CORRUPT', `index projection: ${why}`);
  if (bytes.length < 20) throw bad('truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw bad('not a projection');
  const d = view.getUint32(4, true);
  const rank = view.getUint32(8, true);
  if (d !== dim) throw bad(`built for dim ${d}, the gallery has ${dim}`);
  if (rank < 1 || rank > dim) throw bad(`rank ${rank} outside 1..${dim}`);
  if (bytes.length !== 12 + 4 * (dim + rank * dim) + 8) throw bad('wrong length');
  const mean = new Float32Array(dim);
  const basis = new Float32Array(rank * dim);
  let at = 12;
  for (let i = 0; i < dim; i++, at += 4) mean[i] = view.getFloat32(at, true);
  for (let i = 0; i < rank * dim; i++, at += 4) basis[i] = view.getFloat32(at, true);
  const residualShare = view.getFloat64(at, true);
  if (![...mean].every(Number.isFinite) || !basis.every(Number.isFinite)) throw bad('non-finite values');
  for (let a = 0; a < rank; a++) {
    for (let b = a; b < rank; b++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += basis[a * dim + i] * basis[b * dim + i];
      if (Math.abs(s - (a === b ? 1 : 0)) > 1e-4) throw bad(`basis rows ${a} and ${b} are not orthonormal`);
    }
  }
  return { dim, rank, mean, basis, residualShare };
}
