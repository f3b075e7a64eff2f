/**
 * Choosing and evaluating a decision threshold on distances (accept when distance <= threshold).
 */
import { FaceGateError } from '../errors.ts';
import { sortedCopy, countAtMost, requireNonEmpty } from './sorted.ts';

export interface ThresholdChoice {
  threshold: number;
  /** False accepts among the impostors at this threshold (<= floor(targetFar * n)). */
  falseAccepts: number;
  impostorCount: number;
}

/**
 * The most permissive threshold whose empirical FAR on `impostor` is <= targetFar. It lies
 * halfway between the last impostor distance allowed through and the first one refused, so it
 * does not sit on a measured value; below the smallest impostor it sits just under it.
 */
export function thresholdForFar(impostor: ArrayLike<number>, targetFar: number): ThresholdChoice {
  if (!(targetFar > 0 && targetFar < 1)) {
    throw new FaceGateError('FG_CALIBRATION', `target FAR must be in (0, 1), got ${targetFar}`);
  }
  const s = sortedCopy(impostor, 'impostor');
  requireNonEmpty(s.length, 'impostor');
  const n = s.length;
  const allowed = Math.floor(targetFar * n + 1e-9);
  if (allowed >= n) return { threshold: s[n - 1], falseAccepts: n, impostorCount: n };
  const refused = s[allowed]; // the first impostor the threshold must keep out
  // Ties with `refused` below index `allowed` must be kept out too.
  let lowerIdx = allowed - 1;
  while (lowerIdx >= 0 && s[lowerIdx] === refused) lowerIdx--;
  const threshold = lowerIdx >= 0
    ? (s[lowerIdx] + refused) / 2
    : refused - Math.max(1e-9, Math.abs(refused) * 1e-9);
  return { threshold, falseAccepts: lowerIdx + 1, impostorCount: n };
}

export interface RatesAtThreshold {
  threshold: number;
  far: number;
  frr: number;
  falseAccepts: number;
  falseRejects: number;
  impostorCount: number;
  genuineCount: number;
}

export function ratesAtThreshold(genuine: ArrayLike<number>, impostor: ArrayLike<number>, threshold: number): RatesAtThreshold {
  const g = sortedCopy(genuine, 'genuine');
  const m = sortedCopy(impostor, 'impostor');
  const falseAccepts = countAtMost(m, threshold);
  const falseRejects = g.length - countAtMost(g, threshold);
  return {
    threshold,
    far: m.length ? falseAccepts / m.length : NaN,
    frr: g.length ? falseRejects / g.length : NaN,
    falseAccepts,
    falseRejects,
    impostorCount: m.length,
    genuineCount: g.length,
  };
}
