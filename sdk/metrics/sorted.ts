/** Helpers shared by the metric modules: validated, sorted float64 copies of score lists. */
import { FaceGateError } from '../errors.ts';

/** A sorted (ascending) float64 copy; NaN is refused because it would sort to an arbitrary place. */
export function sortedCopy(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i])) throw new FaceGateError('FG_CALIBRATION', `${what} distance #${i} is NaN`);
  }
  return out.sort();
}

export function requireNonEmpty(n: number, what: string): void {
  if (n === 0) throw new FaceGateError('FG_CALIBRATION', `no ${what} pairs: both genuine and impostor pairs are needed`);
}

/** Number of sorted values <= t (binary search). */
export function countAtMost(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
