/**
 * Presentation-attack detection figures in the ISO/IEC 30107-3 sense, on liveness scores in
 * [0, 1] (1 = live). A presentation is accepted as live when score >= threshold.
 *   APCER: share of attack presentations accepted as live.
 *   BPCER: share of bona fide (live) presentations rejected as attacks.
 * Pure functions: one sort per list.
 */
import { FaceGateError } from '../errors.ts';

function sortedFinite(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new FaceGateError('FG_INPUT_INVALID', `${what} score ${i} is not a finite number (${out[i]})`);
  }
  return out.sort();
}

/** Number of sorted values strictly below t (binary search). */
function countBelow(sorted: Float64Array, t: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PadRates {
  threshold: number;
  /** Live presentations rejected / live presentations (NaN when there are none). */
  bpcer: number;
  /** Attack presentations accepted / attack presentations (NaN when there are none). */
  apcer: number;
  liveRejected: number;
  attacksAccepted: number;
  liveCount: number;
  attackCount: number;
}

export function padRates(live: ArrayLike<number>, attack: ArrayLike<number>, threshold: number): PadRates {
  const l = sortedFinite(live, 'live');
  const a = sortedFinite(attack, 'attack');
  const liveRejected = countBelow(l, threshold);
  const attacksAccepted = a.length - countBelow(a, threshold);
  return {
    threshold,
    bpcer: l.length ? liveRejected / l.length : NaN,
    apcer: a.length ? attacksAccepted / a.length : NaN,
    liveRejected,
    attacksAccepted,
    liveCount: l.length,
    attackCount: a.length,
  };
}

/**
 * The strictest threshold whose BPCER on `live` is <= targetBpcer: it keeps out at most
 * floor(target * n) live scores. It sits halfway between the highest live score it rejects and the
 * lowest one it must keep, so it does not lie on a measured value.
 */
export function thresholdForBpcer(live: ArrayLike<number>, targetBpcer: number): number {
  if (!(targetBpcer >= 0 && targetBpcer < 1)) {
    throw new FaceGateError('FG_INPUT_INVALID', `target BPCER must be in [0, 1), got ${targetBpcer}`);
  }
  const s = sortedFinite(live, 'live');
  if (!s.length) throw new FaceGateError('FG_INPUT_INVALID', 'cannot choose a threshold without live presentations');
  const allowed = Math.floor(targetBpcer * s.length + 1e-9);
  const keep = s[allowed]; // the lowest live score the threshold must let through
  let below = allowed - 1;
  while (below >= 0 && s[below] === keep) below--;
  return below >= 0 ? (s[below] + keep) / 2 : keep - Math.max(1e-9, Math.abs(keep) * 1e-9);
}

/**
 * Area under the ROC of live vs attack scores: P(live > attack) + P(equal) / 2, from a merged
 * sweep of the two sorted lists. 1 = perfect separation, 0.5 = chance.
 */
export function padAuc(live: ArrayLike<number>, attack: ArrayLike<number>): number {
  const l = sortedFinite(live, 'live');
  const a = sortedFinite(attack, 'attack');
  if (!l.length || !a.length) return NaN;
  let wins = 0;
  let j = 0; // attacks strictly below the current live value
  let i = 0;
  while (i < l.length) {
    const v = l[i];
    let ties = 0;
    while (j < a.length && a[j] < v) j++;
    while (j + ties < a.length && a[j + ties] === v) ties++;
    let same = 0;
    while (i + same < l.length && l[i + same] === v) same++;
    wins += same * (j + ties / 2);
    i += same;
  }
  return wins / (l.length * a.length);
}

export interface EqualErrorPoint {
  threshold: number;
  /** Mean of APCER and BPCER where they are closest. */
  eer: number;
  apcer: number;
  bpcer: number;
}

/** The threshold among the measured scores where APCER and BPCER are closest. */
export function padEqualError(live: ArrayLike<number>, attack: ArrayLike<number>): EqualErrorPoint {
  const l = sortedFinite(live, 'live');
  const a = sortedFinite(attack, 'attack');
  if (!l.length || !a.length) throw new FaceGateError('FG_INPUT_INVALID', 'EER needs live and attack scores');
  const candidates = Float64Array.from([...l, ...a, Infinity]).sort();
  let best: EqualErrorPoint | null = null;
  for (const t of candidates) {
    const bpcer = countBelow(l, t) / l.length;
    const apcer = (a.length - countBelow(a, t)) / a.length;
    if (!best || Math.abs(apcer - bpcer) < Math.abs(best.apcer - best.bpcer)) best = { threshold: t, eer: (apcer + bpcer) / 2, apcer, bpcer };
  }
  return best!;
}
