/**
 * Open-set 1:N decision from gallery candidates (pure: same input, same answer).
 *
 * grant   — nearest identity within `threshold`, every other identity at least `margin` farther,
 *           and that identity enabled and inside its validity window.
 * deny    — the match itself is confident (threshold and margin pass) but the identity is
 *           disabled or outside valid_from/valid_until: an enrolled person without access now.
 * unknown — nobody close enough (above_threshold), two identities too close to call (ambiguous),
 *           or an empty gallery (no_candidates).
 *
 * Distances are plain Euclidean between unit embeddings.
 */
import { FaceGateError } from '../errors.ts';

export interface MatchCandidate {
  identityId: string;
  /** Euclidean distance of the identity's nearest template. */
  distance: number;
  templateId?: number;
  enabled?: boolean;
  /** Epoch ms; null/undefined = unbounded. */
  validFromMs?: number | null;
  validUntilMs?: number | null;
}

export interface DecideOptions {
  /** Maximum Euclidean distance for a match. */
  threshold: number;
  /** Minimum gap between the nearest and the nearest other identity (default 0). */
  margin?: number;
  /** Epoch ms for the validity window (passed in so the function stays pure). */
  now: number;
}

export type DecisionKind = 'grant' | 'deny' | 'unknown';
export type DecisionReason = 'match' | 'no_candidates' | 'above_threshold' | 'ambiguous' | 'disabled' | 'not_yet_valid' | 'expired';

export interface Decision {
  decision: DecisionKind;
  reason: DecisionReason;
  /** Set for grant and deny (the matched identity); null for unknown. */
  identity: string | null;
  templateId: number | null;
  /** Distance to the nearest identity; null when there were no candidates. */
  d1: number | null;
  /** Distance to the nearest other identity; null when there is none. */
  d2: number | null;
}

export function decide(candidates: readonly MatchCandidate[], opts: DecideOptions): Decision {
  const { threshold, now } = opts;
  const margin = opts.margin ?? 0;
  if (!Number.isFinite(threshold) || threshold <= 0) throw new FaceGateError('FG_INPUT_INVALID', `threshold must be a positive number, got ${threshold}`);
  if (!Number.isFinite(margin) || margin < 0) throw new FaceGateError('FG_INPUT_INVALID', `margin must be a number >= 0, got ${margin}`);
  if (!Number.isFinite(now)) throw new FaceGateError('FG_INPUT_INVALID', `now must be epoch milliseconds, got ${now}`);

  // Candidates need not be sorted or aggregated: find the best, then the best other identity.
  let best: MatchCandidate | null = null;
  for (const c of candidates) {
    if (!Number.isFinite(c.distance)) continue;
    if (best === null || c.distance < best.distance) best = c;
  }
  if (best === null) return { decision: 'unknown', reason: 'no_candidates', identity: null, templateId: null, d1: null, d2: null };
  let d2: number | null = null;
  for (const c of candidates) {
    if (c.identityId !== best.identityId && Number.isFinite(c.distance) && (d2 === null || c.distance < d2)) d2 = c.distance;
  }
  const d1 = best.distance;
  const unknown = (reason: DecisionReason): Decision => ({ decision: 'unknown', reason, identity: null, templateId: null, d1, d2 });
  if (d1 > threshold) return unknown('above_threshold');
  if (d2 !== null && d2 - d1 < margin) return unknown('ambiguous');

  const matched = (decision: DecisionKind, reason: DecisionReason): Decision =>
    ({ decision, reason, identity: best.identityId, templateId: best.templateId ?? null, d1, d2 });
  if (best.enabled === false) return matched('deny', 'disabled');
  if (best.validFromMs != null && now < best.validFromMs) return matched('deny', 'not_yet_valid');
  if (best.validUntilMs != null && now > best.validUntilMs) return matched('deny', 'expired');
  return matched('grant', 'match');
}
