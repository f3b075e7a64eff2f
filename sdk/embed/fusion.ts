/**
 * Concatenation fusion of two unit embeddings: [√w·a, √(1-w)·b] is again a unit vector, and its
 * squared Euclidean distance is the weighted mean of the parts' squared distances,
 * d² = w·d_a² + (1-w)·d_b². One Euclidean metric, so the gallery and its indexes work unchanged.
 */
import { FaceGateError } from '../errors.ts';

export function fuseEmbeddings(a: Float32Array, b: Float32Array, weightA: number, out = new Float32Array(a.length + b.length)): Float32Array {
  if (!(weightA > 0 && weightA < 1)) throw new FaceGateError('FG_INPUT_INVALID', `fusion weight must be in (0, 1), got ${weightA}`);
  if (out.length !== a.length + b.length) throw new FaceGateError('FG_INPUT_INVALID', `fusion output must hold ${a.length + b.length} values, got ${out.length}`);
  const wa = Math.sqrt(weightA);
  const wb = Math.sqrt(1 - weightA);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i];
  for (let i = 0; i < b.length; i++) out[a.length + i] = wb * b[i];
  return out;
}

/**
 * Fused embedders: one registry entry per fusion, so a gallery records the fusion's own model id
 * and is never mixed with either part's. The weight is on the first part (see the docs and
 * BENCHMARKS.md, open-set, for how it was chosen).
 */
export interface FusionSpec {
  parts: readonly [string, string];
  weightA: number;
  /**
   * Parts loaded at fp32 when the pack is asked for int8: their int8 build costs accuracy the
   * other part's does not (lfw-dev 10-fold, BENCHMARKS.md "int8 per part").
   */
  fp32Parts?: readonly string[];
}

export const FUSIONS: Readonly<Record<string, FusionSpec>> = {
  // Both parts int8 on CPU: with bias correction (models/quantize/recipes.ts) fr-feature-512's int8
  // build costs the fusion no 1:1 accuracy (lfw-dev 10-fold 99.72% as fp32; BENCHMARKS.md).
  'fusion-mfn192-fr512': { parts: ['mobilefacenet-192', 'fr-feature-512'], weightA: 0.5 },
};

/**
 * The first part's unit embedding inside a fused one: its first `dimA` values over √w (exact,
 * since the fused vector is [√w·a, √(1-w)·b]). No model run.
 */
export function firstPartOf(fused: Float32Array, dimA: number, weightA: number): Float32Array {
  if (!(weightA > 0 && weightA < 1)) throw new FaceGateError('FG_INPUT_INVALID', `fusion weight must be in (0, 1), got ${weightA}`);
  if (!(dimA > 0 && dimA < fused.length)) throw new FaceGateError('FG_INPUT_INVALID', `first part of ${dimA} values does not fit a ${fused.length}-d fused embedding`);
  const s = 1 / Math.sqrt(weightA);
  const out = new Float32Array(dimA);
  for (let i = 0; i < dimA; i++) out[i] = fused[i] * s;
  return out;
}
