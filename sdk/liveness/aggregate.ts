/**
 * Temporal evidence for liveness: a track is judged on several frames, never on one. Pure maths,
 * called by the device loop with the per-frame scores of a track (oldest first).
 */
import { FaceGateError } from '../errors.ts';

export type LivenessAggregateMode = 'k-of-n' | 'mean';
export const LIVENESS_AGGREGATE_MODES: readonly LivenessAggregateMode[] = ['k-of-n', 'mean'];

export interface LivenessAggregateOptions {
  /** Score at or above which a track (or, for k-of-n, a frame) counts as live, in [0, 1]. */
  threshold: number;
  /** Frames needed before any verdict (default 3). */
  minFrames?: number;
  /** Only the last `window` scores count (default max(5, minFrames)). */
  window?: number;
  /**
   * 'k-of-n' (default): live once `k` frames of the window reach `threshold`, as the identity vote
   *   does: an attacker must fool k frames, not one.
   * 'mean': the plain mean of the window's scores; one frame moves it by at most 1/window. (A mean
   *   of log-odds was tried and dropped: one saturated frame could carry a whole track.)
   */
  mode?: LivenessAggregateMode;
  /** For 'k-of-n' (default: a strict majority of the window). */
  k?: number;
}

export type LivenessVerdict = 'pending' | 'live' | 'attack';

export interface LivenessAggregate {
  verdict: LivenessVerdict;
  /** Plain mean of the window's scores (the value 'mean' compares); NaN with no frames. */
  score: number;
  /** Frames considered (the window, or fewer). */
  frames: number;
  /** Frames at or above the threshold. */
  liveFrames: number;
}

interface CheckedOptions {
  threshold: number;
  minFrames: number;
  window: number;
  mode: LivenessAggregateMode;
  k: number;
}

/** Validates aggregation options (as a config loader would) and fills the defaults. */
export function checkLivenessAggregateOptions(o: LivenessAggregateOptions): CheckedOptions {
  const minFrames = o.minFrames ?? 3;
  const window = o.window ?? Math.max(5, minFrames);
  const mode = o.mode ?? 'k-of-n';
  const problems: string[] = [];
  if (!(o.threshold >= 0 && o.threshold <= 1)) problems.push(`threshold must be in [0, 1], got ${o.threshold}`);
  if (!Number.isInteger(minFrames) || minFrames < 1) problems.push(`minFrames must be an integer >= 1, got ${minFrames}`);
  if (!Number.isInteger(window) || window < minFrames) problems.push(`window must be an integer >= minFrames (${minFrames}), got ${window}`);
  if (!LIVENESS_AGGREGATE_MODES.includes(mode)) problems.push(`mode must be one of ${LIVENESS_AGGREGATE_MODES.join(', ')}, got "${String(mode)}"`);
  const k = o.k ?? Math.floor(window / 2) + 1;
  if (mode === 'k-of-n' && (!Number.isInteger(k) || k < 1 || k > window)) problems.push(`k must be an integer in [1, window], got ${k}`);
  if (problems.length) throw new FaceGateError('FG_CONFIG_INVALID', `liveness aggregation: ${problems.join('; ')}`);
  return { threshold: o.threshold, minFrames, window, mode, k };
}

/**
 * Verdict over a track's per-frame liveness scores (oldest first; non-finite scores are ignored).
 * 'pending' until `minFrames` scores exist; then 'live' or 'attack' from the last `window`.
 * With 'k-of-n', a track is 'live' as soon as k frames reach the threshold, and 'attack' only
 * once the window is full without them: a slow start stays pending rather than being refused.
 */
export function aggregateLiveness(scores: readonly number[], opts: LivenessAggregateOptions): LivenessAggregate {
  const o = checkLivenessAggregateOptions(opts);
  const recent = scores.filter(Number.isFinite).slice(-o.window);
  const n = recent.length;
  let sum = 0;
  let liveFrames = 0;
  for (const s of recent) {
    sum += s;
    if (s >= o.threshold) liveFrames++;
  }
  const score = n === 0 ? NaN : sum / n;
  if (n < o.minFrames) return { verdict: 'pending', score, frames: n, liveFrames };
  let verdict: LivenessVerdict;
  if (o.mode === 'k-of-n') {
    if (liveFrames >= o.k) verdict = 'live';
    else verdict = n >= o.window ? 'attack' : 'pending';
  } else {
    verdict = score >= o.threshold ? 'live' : 'attack';
  }
  return { verdict, score, frames: n, liveFrames };
}
