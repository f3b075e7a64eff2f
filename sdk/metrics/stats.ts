/** Separation statistics of genuine vs impostor distance distributions. */
import { requireNonEmpty } from './sorted.ts';

export function meanAndVariance(values: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, variance: v / values.length };
}

/** d' = |mu_i - mu_g| / sqrt((var_g + var_i) / 2): how many pooled standard deviations apart. */
export function dPrime(genuine: ArrayLike<number>, impostor: ArrayLike<number>): number {
  requireNonEmpty(genuine.length, 'genuine');
  requireNonEmpty(impostor.length, 'impostor');
  const g = meanAndVariance(genuine);
  const m = meanAndVariance(impostor);
  const pooled = Math.sqrt((g.variance + m.variance) / 2);
  return pooled === 0 ? Infinity : Math.abs(m.mean - g.mean) / pooled;
}

export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
