/**
 * Figures of the open-set protocol at one operating point: single probes, pseudo-tracks under
 * several track rules, and the same figures modelled for larger galleries from the impostor tail.
 *
 * Track rules (3 photos of one person stand in for a track's frames):
 *   vote           the device's N-of-M rule: `votes` frames each granted to the same identity
 *   mean_embedding one decision on the unit mean of the frames' embeddings
 *   min_distance   per identity the smallest distance over the frames, then one decision
 *   mean_distance  per identity the mean distance over the frames, then one decision
 * Modelled gallery sizes assume the lfw-dev impostor distribution stands for other people and
 * comparisons are independent: FPIR(N) = 1 - (1 - F(t))^N; a mated probe at genuine distance g is
 * identified when g <= t and no impostor template is nearer: (1 - F(g))^(N-1); misidentified when
 * an impostor is under min(g, t). Margin is not modelled.
 */
import { openSetSummary, type ProbeOutcome } from '../sdk/match/open-set.ts';
import { thresholdForFpir, impostorRateAt, impliedFpir, fpirFromRate, type ImpostorTail } from '../sdk/match/operating-point.ts';
import { clopperPearson } from '../sdk/metrics/interval.ts';
import { ExactIdentitySearch, nearestTwo, grantedIdentity, meanEmbedding, type LabeledRows, type Protocol } from './open-set-protocol.ts';

export interface OperatingOptions {
  /** Target FPIR per decision (used unless `threshold` is given). */
  fpir: number;
  threshold?: number;
  margin: number;
  /** Frames a track needs granted to one identity (device decision.votes). */
  votes: number;
  /** Gallery sizes (identities) to model. */
  modelSizes: readonly number[];
}

export interface RateJson { rate: number; count: number; of: number; ci95: [number, number] }
export interface TrackRuleJson { granted_as_self: RateJson; misidentified: RateJson; strangers_granted: RateJson }

export interface OpenSetEvaluation {
  gallery: { identities: number; templates: number };
  threshold: number;
  threshold_source: 'fpir' | 'given';
  target_fpir: number | null;
  /** FPIR the threshold implies for this gallery (tail model). */
  implied_fpir: number;
  single: {
    mated: number;
    strangers: number;
    strangers_single_photo: number;
    rank1: number;
    granted_as_self: RateJson;
    misidentified: RateJson;
    strangers_granted: RateJson;
    /** Of the strangers: single-photo people / enrolled people left out. */
    strangers_granted_split: { single_photo: RateJson; left_out: RateJson };
    dir_at_fpir: Record<string, number>;
    threshold_at_fpir: Record<string, number | null>;
  };
  tracks: { mated: number; strangers: number; rules: Record<'vote' | 'mean_embedding' | 'min_distance' | 'mean_distance', TrackRuleJson> };
  modelled: { gallery_size: number; templates: number; threshold: number; fpir: number; dir: number; misidentified: number }[];
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
function rate(count: number, of: number): RateJson {
  if (of === 0) return { rate: 0, count, of, ci95: [0, 1] };
  const c = clopperPearson(count, of);
  return { rate: r6(count / of), count, of, ci95: [r6(c.lower), r6(c.upper)] };
}
const row = (rows: LabeledRows, r: number) => rows.vectors.subarray(r * rows.dim, (r + 1) * rows.dim);

export function evaluateOpenSet(rows: LabeledRows, p: Protocol, tail: ImpostorTail, o: OperatingOptions, onProgress?: (done: number, total: number) => void): OpenSetEvaluation {
  const search = new ExactIdentitySearch(rows, p);
  const perTemplate = search.templates / search.identities;
  const threshold = o.threshold ?? thresholdForFpir(tail, o.fpir, search.templates).threshold;
  const total = p.mated.length + p.strangers.length + 3 * (p.matedTracks.length + p.strangerTracks.length);
  let done = 0;
  const tick = () => { done++; if (done % 200 === 0 || done === total) onProgress?.(done, total); };

  // single probes
  const outcomes: ProbeOutcome[] = [];
  const genuine: number[] = [];
  let self = 0;
  let misid = 0;
  for (const m of p.mated) {
    const d = search.distances(row(rows, m.row));
    genuine.push(d[m.truth]);
    const n = nearestTwo(d);
    const g = grantedIdentity(n, threshold, o.margin);
    if (g === m.truth) self++; else if (g >= 0) misid++;
    outcomes.push({ truth: String(m.truth), nearest: String(n.nearest), d1: n.d1, d2: n.d2, decision: g >= 0 ? 'grant' : 'unknown', identity: g >= 0 ? String(g) : null });
    tick();
  }
  let sGranted = 0;
  let sSingle = 0;
  let sSingleGranted = 0;
  for (const s of p.strangers) {
    const n = nearestTwo(search.distances(row(rows, s.row), s.leftOut));
    const g = grantedIdentity(n, threshold, o.margin);
    if (s.leftOut < 0) sSingle++;
    if (g >= 0) { sGranted++; if (s.leftOut < 0) sSingleGranted++; }
    outcomes.push({ truth: null, nearest: String(n.nearest), d1: n.d1, d2: n.d2, decision: g >= 0 ? 'grant' : 'unknown', identity: g >= 0 ? String(g) : null });
    tick();
  }
  const summary = openSetSummary(outcomes, [0.01, 0.001], o.margin);

  // tracks: every rule from the same per-frame distances
  type Counts = { self: number; misid: number; strangers: number };
  const rules = ['vote', 'mean_embedding', 'min_distance', 'mean_distance'] as const;
  const counts = Object.fromEntries(rules.map((r) => [r, { self: 0, misid: 0, strangers: 0 }])) as Record<(typeof rules)[number], Counts>;
  const judge = (frames: number[], leftOut: number): Record<(typeof rules)[number], number> => {
    const per = frames.map((r) => { const d = search.distances(row(rows, r), leftOut); tick(); return d; });
    const votes = new Map<number, number>();
    for (const d of per) {
      const g = grantedIdentity(nearestTwo(d), threshold, o.margin);
      if (g >= 0) votes.set(g, (votes.get(g) ?? 0) + 1);
    }
    let vote = -1;
    for (const [k, v] of votes) if (v >= Math.min(o.votes, frames.length)) vote = k;
    const min = new Float64Array(search.identities).fill(Infinity);
    const mean = new Float64Array(search.identities);
    for (const d of per) for (let k = 0; k < d.length; k++) { min[k] = Math.min(min[k], d[k]); mean[k] += d[k] / per.length; }
    return {
      vote,
      mean_embedding: grantedIdentity(nearestTwo(search.distances(meanEmbedding(rows, frames), leftOut)), threshold, o.margin),
      min_distance: grantedIdentity(nearestTwo(min), threshold, o.margin),
      mean_distance: grantedIdentity(nearestTwo(mean), threshold, o.margin),
    };
  };
  for (const t of p.matedTracks) {
    const j = judge(t.rows, -1);
    for (const r of rules) { if (j[r] === t.truth) counts[r].self++; else if (j[r] >= 0) counts[r].misid++; }
  }
  for (const t of p.strangerTracks) {
    const j = judge(t.rows, t.leftOut);
    for (const r of rules) if (j[r] >= 0) counts[r].strangers++;
  }
  const trackRules = Object.fromEntries(rules.map((r) => [r, {
    granted_as_self: rate(counts[r].self, p.matedTracks.length),
    misidentified: rate(counts[r].misid, p.matedTracks.length),
    strangers_granted: rate(counts[r].strangers, p.strangerTracks.length),
  }])) as OpenSetEvaluation['tracks']['rules'];

  // larger galleries, modelled from the tail and the measured genuine distances
  const modelled = o.modelSizes.map((size) => {
    const templates = Math.max(1, Math.round(size * perTemplate));
    const t = o.threshold ?? thresholdForFpir(tail, o.fpir, templates).threshold;
    let dir = 0;
    let mis = 0;
    for (const g of genuine) {
      const others = Math.max(1, templates - Math.round(perTemplate));
      if (g <= t) dir += 1 - fpirFromRate(impostorRateAt(tail, g), others);
      mis += fpirFromRate(impostorRateAt(tail, Math.min(g, t)), others);
    }
    return { gallery_size: size, templates, threshold: r6(t), fpir: r6(impliedFpir(tail, t, templates)), dir: r6(dir / genuine.length), misidentified: r6(mis / genuine.length) };
  });

  return {
    gallery: { identities: search.identities, templates: search.templates },
    threshold: r6(threshold),
    threshold_source: o.threshold === undefined ? 'fpir' : 'given',
    target_fpir: o.threshold === undefined ? o.fpir : null,
    implied_fpir: r6(impliedFpir(tail, threshold, search.templates)),
    single: {
      mated: p.mated.length,
      strangers: p.strangers.length,
      strangers_single_photo: sSingle,
      rank1: r6(summary.rank1 ?? 0),
      granted_as_self: rate(self, p.mated.length),
      misidentified: rate(misid, p.mated.length),
      strangers_granted: rate(sGranted, p.strangers.length),
      strangers_granted_split: { single_photo: rate(sSingleGranted, sSingle), left_out: rate(sGranted - sSingleGranted, p.strangers.length - sSingle) },
      dir_at_fpir: summary.dir_at_fpir,
      threshold_at_fpir: summary.threshold_at_fpir,
    },
    tracks: { mated: p.matedTracks.length, strangers: p.strangerTracks.length, rules: trackRules },
    modelled,
  };
}
