/** Scales `v` to unit length in place and returns it; an all-zero vector stays zero. */
export function l2Normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const k = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= k;
  }
  return v;
}

/** Euclidean distance between two vectors of equal length (one definition: sdk/metrics/distance.ts). */
export { euclideanDistance as l2Distance } from '../metrics/distance.ts';
