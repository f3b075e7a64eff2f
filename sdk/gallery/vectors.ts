/**
 * Embedding checks and conversions shared by the store and the indexes. Every vector that enters
 * the gallery goes through `toUnitVector`, so distances are always between unit vectors and a
 * Euclidean threshold means the same thing for every template.
 */
import { createHash } from 'node:crypto';
import { FaceGateError } from '../errors.ts';

/** Validates length and values, returns a new L2-normalised Float32Array. */
export function toUnitVector(v: ArrayLike<number>, dim: number, what = 'embedding'): Float32Array {
  if (v === null || typeof v !== 'object' || typeof v.length !== 'number') {
    throw new FaceGateError('FG_INPUT_INVALID', `${what}: expected a Float32Array or number array`);
  }
  if (v.length !== dim) {
    throw new FaceGateError('FG_INPUT_INVALID', `${what}: expected ${dim} values, got ${v.length}`, { details: { expected: dim, got: v.length } });
  }
  let sq = 0;
  for (let i = 0; i < dim; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new FaceGateError('FG_INPUT_INVALID', `${what}: value ${i} is not a finite number`);
    }
    sq += x * x;
  }
  if (!(sq > 1e-24)) throw new FaceGateError('FG_INPUT_INVALID', `${what}: zero vector cannot be normalised`);
  const inv = 1 / Math.sqrt(sq);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = v[i] * inv;
  return out;
}

/** Bytes of a vector for a SQLite BLOB (little-endian float32, the platform order on x64/arm64). */
export function vectorToBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Copies a BLOB into a fresh Float32Array (Buffers from SQLite need not be 4-byte aligned). */
export function blobToVector(blob: Uint8Array, dim: number): Float32Array {
  if (!(blob instanceof Uint8Array)) throw new FaceGateError('FG_GALLERY_CORRUPT', 'template blob is missing (NULL or not a BLOB)');
  if (blob.byteLength !== dim * 4) {
    throw new FaceGateError('FG_GALLERY_CORRUPT', `template blob has ${blob.byteLength} bytes, expected ${dim * 4}`);
  }
  const out = new Float32Array(dim);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/**
 * The identity's class centre: mean of its (unit) templates, renormalised — the centre that
 * center-loss training pulls features towards. Null when the mean vanishes (opposite templates).
 */
export function centreOf(vectors: readonly Float32Array[], dim: number): Float32Array | null {
  if (vectors.length === 0) return null;
  const acc = new Float64Array(dim);
  for (const v of vectors) for (let i = 0; i < dim; i++) acc[i] += v[i];
  let sq = 0;
  for (let i = 0; i < dim; i++) sq += acc[i] * acc[i];
  if (!(sq > 1e-24)) return null;
  const inv = 1 / Math.sqrt(sq);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = acc[i] * inv;
  return out;
}

/** Content digest of a normalised vector: finds exact duplicate templates (same image enrolled twice). */
export function vectorDigest(v: Float32Array): string {
  return createHash('sha256').update(vectorToBlob(v)).digest('hex').slice(0, 32);
}

export { squaredL2 } from '../metrics/distance.ts';
