/**
 * Open-set 1:N figures over a labelled probe set (pure).
 *
 * rank1                 known probes whose nearest identity is the right one (no threshold)
 * true_accept_rate      known probes granted as the right identity at the operating point
 * misidentification_rate known probes granted as someone else at the operating point
 * false_accept_rate     unknown probes granted at the operating point
 * dir_at_fpir[f]        detection-and-identification rate at the threshold where a fraction f of
 *                       unknown probes would be accepted: known probes with the right nearest
 *                       identity at d1 < t_f, t_f = the (floor(f*U)+1)-th smallest unknown d1.
 *                       With margin 0 this is NIST FRVT's top-1 rule; with a margin, a probe is
 *                       accepted only if also d2 - d1 >= margin (the decision rule of decide()).
 * threshold_at_fpir[f]  that t_f (exclusive bound), null when every unknown probe fits under f
 *
 * A probe with no face has d1 = null: never accepted, a miss when known.
 */
import type { DecisionKind } from './decide.ts';

export interface ProbeOutcome {
  /** Enrolled identity of the person, or null for someone not enrolled. */
  truth: string | null;
  /** Nearest identity in the gallery (null: no face or empty gallery). */
  nearest: string | null;
  d1: number | null;
  /** Distance to the nearest other identity (null: none). */
  d2?: number | null;
  decision: DecisionKind;
  /** Identity the decision names (grant/deny), else null. */
  identity: string | null;
}

export interface OpenSetSummary {
  known: number;
  unknown: number;
  rank1: number | null;
  true_accept_rate: number | null;
  misidentification_rate: number | null;
  false_accept_rate: number | null;
  dir_at_fpir: Record<string, number>;
  threshold_at_fpir: Record<string, number | null>;
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

export function openSetSummary(outcomes: readonly ProbeOutcome[], fpirs: readonly number[] = [0.01], margin = 0): OpenSetSummary {
  const known = outcomes.filter((o) => o.truth !== null);
  const unknown = outcomes.filter((o) => o.truth === null);
  const correct = known.filter((o) => o.nearest !== null && o.nearest === o.truth);
  const granted = (o: ProbeOutcome) => o.decision === 'grant';
  // probes failing the margin are never accepted, whatever the threshold
  const clear = (o: ProbeOutcome) => o.d1 !== null && (o.d2 === null || o.d2 === undefined || o.d2 - o.d1 >= margin);
  const u = unknown.map((o) => (clear(o) ? o.d1! : Infinity)).sort((a, b) => a - b);
  const dir: Record<string, number> = {};
  const thr: Record<string, number | null> = {};
  if (unknown.length > 0 && known.length > 0) {
    for (const f of fpirs) {
      const allowed = Math.floor(f * unknown.length + 1e-9);
      const bound = allowed < u.length ? u[allowed] : Infinity;
      dir[String(f)] = correct.filter((o) => clear(o) && o.d1! < bound).length / known.length;
      thr[String(f)] = Number.isFinite(bound) ? bound : null;
    }
  }
  return {
    known: known.length,
    unknown: unknown.length,
    rank1: ratio(correct.length, known.length),
    true_accept_rate: ratio(known.filter((o) => granted(o) && o.identity === o.truth).length, known.length),
    misidentification_rate: ratio(known.filter((o) => granted(o) && o.identity !== o.truth).length, known.length),
    false_accept_rate: ratio(unknown.filter(granted).length, unknown.length),
    dir_at_fpir: dir,
    threshold_at_fpir: thr,
  };
}
