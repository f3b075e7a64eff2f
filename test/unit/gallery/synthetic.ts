/**
 * Seeded synthetic embeddings with identity structure, for gallery tests and the benchmark:
 * random unit centres; each template = normalise(centre + sigma * gaussian noise). With
 * x = sigma^2 * dim, two templates of one person lie at sqrt(2x / (1 + x)) of each other, so
 * `genuine` (the Euclidean distance wanted between two images of a person) fixes sigma.
 */
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

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}
