/**
 * What a track's evidence so far allows: wait, announce an unknown person, refuse a known one,
 * deny a presentation attack, or grant. Pure: the frame loop calls it on every frame for every
 * undecided track, with the track's identity votes and its liveness scores (oldest first).
 */
import { aggregateLiveness, type LivenessAggregate, type LivenessAggregateOptions } from '../../sdk/liveness/aggregate.ts';
import { voteTrack, type FrameVote } from './vote.ts';

export interface GateVote extends FrameVote {
  /** The matcher refused this known identity on this frame (disabled, outside validity...). */
  refused?: boolean;
}

export interface TrackGateOptions {
  votes: number;
  window: number;
  /** Absent: the liveness gate is off (by config) and an identity vote grants at once. */
  liveness?: LivenessAggregateOptions;
}

export type TrackAction =
  | { kind: 'wait'; for: 'vote' | 'liveness'; liveness?: LivenessAggregate }
  | { kind: 'unknown'; frames: number }
  /** A known identity the matcher refuses: no door opens, so no liveness evidence is awaited. */
  | { kind: 'refuse'; identity: string; distance: number; frames: number }
  | { kind: 'attack'; identity: string; distance: number; frames: number; liveness: LivenessAggregate }
  | { kind: 'grant'; identity: string; distance: number; frames: number; liveness: LivenessAggregate | null };

export function judgeTrack(votes: readonly GateVote[], livenessScores: readonly number[], opts: TrackGateOptions): TrackAction {
  const v = voteTrack(votes, opts);
  if (v.kind === 'pending') return { kind: 'wait', for: 'vote' };
  if (v.kind === 'unknown') return { kind: 'unknown', frames: v.frames };
  const { identity, distance, frames } = v;
  let last: GateVote | undefined;
  for (let i = votes.length - 1; i >= 0 && !last; i--) if (votes[i].identity === identity) last = votes[i];
  if (last?.refused) return { kind: 'refuse', identity, distance, frames };
  if (!opts.liveness) return { kind: 'grant', identity, distance, frames, liveness: null };
  const l = aggregateLiveness(livenessScores, opts.liveness);
  if (l.verdict === 'pending') return { kind: 'wait', for: 'liveness', liveness: l };
  if (l.verdict === 'attack') return { kind: 'attack', identity, distance, frames, liveness: l };
  return { kind: 'grant', identity, distance, frames, liveness: l };
}
