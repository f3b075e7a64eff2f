/**
 * Seeded synthetic embeddings with identity structure, for gallery tests and the benchmark:
 * random unit centres; each template = normalise(centre + sigma * gaussian noise). With
 * x = sigma^2 * dim, two templates of one person lie at sqrt(2x / (1 + x)) of each other, so
 * `genuine` (the Euclidean distance wanted between two images of a person) fixes sigma.
 */
import { symmetricEigen } from '../../../sdk/gallery/eigen.ts';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

export function randomUnit(dim: number, g: () => number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = g();
  return normalise(v);
}

/** sigma giving an expected Euclidean distance `genuine` between two templates of one identity. */
export function sigmaFor(genuine: number, dim: number): number {
  const d2 = genuine * genuine;
  return Math.sqrt(d2 / (2 - d2) / dim);
}

export function jitter(centre: Float32Array, sigma: number, g: () => number): Float32Array {
  const v = new Float32Array(centre.length);
  for (let i = 0; i < v.length; i++) v[i] = centre[i] + sigma * g();
  return normalise(v);
}

export interface SyntheticPeople {
  dim: number;
  sigma: number;
  centres: Float32Array[];
  /** Another image of person i (a fresh template of the same centre). */
  sample(i: number): Float32Array;
}

export function syntheticPeople(n: number, dim: number, seed: number, genuine = 0.8): SyntheticPeople {
  const g = gaussian(mulberry32(seed));
  const sigma = sigmaFor(genuine, dim);
  const centres = Array.from({ length: n }, () => randomUnit(dim, g));
  return { dim, sigma, centres, sample: (i) => jitter(centres[i], sigma, g) };
}

export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * Second-order structure of real embeddings, as written by test/bench/embedding-structure.ts:
 * the mean of identity centres, the covariance of the centres between people and the scatter of
 * one person's images (row-major dim x dim).
 */
export interface EmbeddingStructure {
  dim: number;
  mean: ArrayLike<number>;
  between_cov: ArrayLike<number>;
  within_cov: ArrayLike<number>;
}

/** A Gaussian with covariance C, drawn as F^T z where F's rows are sqrt(lambda_k) u_k. */
function gaussianFactor(cov: ArrayLike<number>, dim: number): Float64Array {
  const { values, vectors } = symmetricEigen(cov, dim);
  const f = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    for (let i = 0; i < dim; i++) f[k * dim + i] = s * vectors[k * dim + i];
  }
  return f;
}

function drawInto(out: Float64Array, f: Float64Array, dim: number, g: () => number): void {
  out.fill(0);
  for (let k = 0; k < dim; k++) {
    const z = g();
    const row = k * dim;
    for (let i = 0; i < dim; i++) out[i] += z * f[row + i];
  }
}

/**
 * People drawn with the structure of real embeddings: centre ~ N(mean, between), an image =
 * normalise(centre + s * N(0, within)), with s set (by bisection on a sample) so two images of a
 * person lie `genuine` apart on average, as syntheticPeople does for isotropic ones.
 */
export function structuredPeople(n: number, structure: EmbeddingStructure, seed: number, genuine: number): SyntheticPeople {
  const dim = structure.dim;
  const g = gaussian(mulberry32(seed));
  const fb = gaussianFactor(structure.between_cov, dim);
  const fw = gaussianFactor(structure.within_cov, dim);
  const tmp = new Float64Array(dim);
  const centres = Array.from({ length: n }, () => {
    drawInto(tmp, fb, dim, g);
    const c = new Float32Array(dim);
    for (let i = 0; i < dim; i++) c[i] = structure.mean[i] + tmp[i];
    return c;
  });
  const noise = new Float64Array(dim);
  const image = (c: Float32Array, s: number, rand: () => number): Float32Array => {
    drawInto(noise, fw, dim, rand);
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = c[i] + s * noise[i];
    return normalise(v);
  };
  // bisection on s: mean distance between two images of a person, over a fixed sample
  const meanGenuine = (s: number): number => {
    const r = gaussian(mulberry32(seed ^ 0x5bd1e995));
    let sum = 0;
    const m = Math.min(300, n);
    for (let i = 0; i < m; i++) sum += euclidean(image(centres[i], s, r), image(centres[i], s, r));
    return sum / m;
  };
  let lo = 0;
  let hi = 1;
  while (meanGenuine(hi) < genuine && hi < 1e6) hi *= 2;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (meanGenuine(mid) < genuine) lo = mid;
    else hi = mid;
  }
  const s = (lo + hi) / 2;
  return { dim, sigma: s, centres, sample: (i) => image(centres[i], s, g) };
}
