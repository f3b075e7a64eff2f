/**
 * Open-set 1:N identification rates (NIST FRVT style). A search returns candidates with distances;
 * at threshold t:
 *  - FPIR(t): fraction of non-mated searches (probe not enrolled) whose best candidate is <= t;
 *  - FNIR(t): fraction of mated searches where the rank-1 candidate is not the mate or its
 *    distance is > t;  DIR(t) = 1 - FNIR(t).
 */
import { FaceGateError } from '../errors.ts';
import { sortedCopy, countAtMost } from './sorted.ts';
import { thresholdForFar } from './threshold.ts';

export interface Candidate {
  identity: string;
  distance: number;
}

export interface Search {
  /** The probe's identity, or null for a person who is not enrolled. */
  trueIdentity: string | null;
  /** Distances from the probe to gallery identities (any order; one or more per identity). */
  candidates: readonly Candidate[];
}

export interface OpenSetScores {
  /** Per mated search: the mate's distance when the mate is rank 1, else +Infinity (a miss at any t). */
  mated: Float64Array;
  /** Per non-mated search: the best (smallest) candidate distance. */
  nonMated: Float64Array;
}

export function openSetScores(searches: readonly Search[]): OpenSetScores {
  const mated: number[] = [];
  const nonMated: number[] = [];
  for (const [i, s] of searches.entries()) {
    if (s.candidates.length === 0) throw new FaceGateError('FG_CALIBRATION', `search #${i} has no candidates (empty gallery?)`);
    let best = s.candidates[0];
    for (const c of s.candidates) if (c.distance < best.distance) best = c;
    if (s.trueIdentity === null) nonMated.push(best.distance);
    else mated.push(best.identity === s.trueIdentity ? best.distance : Infinity);
  }
  return { mated: Float64Array.from(mated), nonMated: Float64Array.from(nonMated) };
}

export interface OpenSetRates {
  threshold: number;
  fpir: number;
  fnir: number;
  dir: number;
}

export function openSetRatesAt(scores: OpenSetScores, threshold: number): OpenSetRates {
  const m = sortedCopy(scores.mated, 'mated');
  const n = sortedCopy(scores.nonMated, 'non-mated');
  const fpir = n.length ? countAtMost(n, threshold) / n.length : NaN;
  const hit = m.length ? countAtMost(m, threshold) / m.length : NaN;
  return { threshold, fpir, fnir: 1 - hit, dir: hit };
}

/** The FNIR-vs-FPIR curve: one point per distinct finite score, thresholds ascending. */
export function openSetCurve(scores: OpenSetScores): OpenSetRates[] {
  if (scores.mated.length === 0 || scores.nonMated.length === 0) {
    throw new FaceGateError('FG_CALIBRATION', 'open-set rates need both mated and non-mated searches');
  }
  const m = sortedCopy(scores.mated, 'mated');
  const n = sortedCopy(scores.nonMated, 'non-mated');
  const out: OpenSetRates[] = [];
  let i = 0;
  let j = 0;
  while (i < m.length || j < n.length) {
    const v = Math.min(i < m.length ? m[i] : Infinity, j < n.length ? n[j] : Infinity);
    if (!Number.isFinite(v)) break;
    while (i < m.length && m[i] === v) i++;
    while (j < n.length && n[j] === v) j++;
    out.push({ threshold: v, fpir: j / n.length, fnir: 1 - i / m.length, dir: i / m.length });
  }
  return out;
}

/** Threshold keeping FPIR <= target on these non-mated searches, and the DIR it gives. */
export function dirAtFpir(scores: OpenSetScores, targetFpir: number): OpenSetRates {
  const { threshold } = thresholdForFar(scores.nonMated, targetFpir);
  return openSetRatesAt(scores, threshold);
}
