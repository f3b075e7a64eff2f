/**
 * Spectrum helpers for benchmarks: the participation ratio (sum lambda)^2 / sum lambda^2, the
 * "effective dimension" of a spectrum (d for an isotropic cloud, 1 when one direction holds all
 * variance), beside the SDK's covariance and eigensolver.
 */
export { covariance, symmetricEigen } from '../../sdk/gallery/eigen.ts';

export function participationRatio(values: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = Math.max(0, values[i]);
    s += x;
    s2 += x * x;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}
