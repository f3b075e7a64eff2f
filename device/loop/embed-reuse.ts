/**
 * Which faces of a frame need a fresh embedding. Embedding is about half the CPU of a frame, and a
 * track that has made its decision (granted, refused, unknown, attack; in cooldown or not) uses
 * its embeddings for one thing only: noticing that a different person took its place, which the
 * tracker's `same` veto does by comparing embeddings. Such a track's face reuses the track's last
 * embedding while that embedding is recent (fewer than `every` frames old) and the face is still
 * where it was embedded (IoU with that box >= `minEmbeddedIou`).
 *
 * Bound: a person who replaces a decided one at the same spot is embedded at most `every - 1`
 * frames after the change (at once if the box moves away from the embedded one); from then on the
 * veto gives them a new track and their own decision, `every - 1` frames later than with an
 * embedding on every frame. Undecided tracks are embedded on every frame: votes and liveness only
 * ever come from fresh embeddings, so a reused one can delay a decision but never make one.
 *
 * When a decided track's face is embedded again, only the veto needs it: with a fused embedder
 * that is the cheaper tracking embedding (its first part, `EMBED_CHECK`), not the full one.
 */
import type { Box } from '../../sdk/types.ts';
import { iou } from './tracker.ts';

/** Where and on which loop frame a track's last fresh embedding was made. */
export interface EmbeddedAt {
  box: Box;
  frame: number;
}

export interface ReuseCandidate {
  /** The track's latest box (what the tracker matches against). */
  box: Box;
  decided: boolean;
  embedded: EmbeddedAt;
}

export interface ReuseOptions {
  /** Re-embed a decided track's face at least every this many frames (1 = every frame). */
  every: number;
  /** The tracker's IoU for continuing a track. */
  trackMinIou: number;
  /** Smallest IoU of the face with the box last embedded for the reuse to stand. */
  minEmbeddedIou: number;
}

export const DEFAULT_REEMBED_EVERY = 5;
export const MIN_EMBEDDED_IOU = 0.5;
/**
 * What a face of the frame gets: a full embedding (it may vote: no decided track stands for it),
 * its decided track's last embedding (`reuse`), or a fresh one for the veto only (`check`: the
 * tracking embedding is enough).
 */
export type EmbeddingPlan = { kind: 'full' } | { kind: 'reuse'; track: number } | { kind: 'check'; track: number };

const FULL: EmbeddingPlan = { kind: 'full' };

/**
 * The plan of each box (`track`: an index in `tracks`). A box is a track's only when it and the
 * track are each other's sole IoU candidates, so the tracker's greedy match (whose `same` check
 * passes for an identical embedding) pairs exactly them.
 */
export function planEmbeddingReuse(tracks: readonly ReuseCandidate[], boxes: readonly Box[], frame: number, opts: ReuseOptions): EmbeddingPlan[] {
  const out = new Array<EmbeddingPlan>(boxes.length).fill(FULL);
  const boxesNear = new Array<number>(tracks.length).fill(0);
  const nearest = new Array<number>(boxes.length).fill(-1);
  const tracksNear = new Array<number>(boxes.length).fill(0);
  for (let t = 0; t < tracks.length; t++) {
    for (let i = 0; i < boxes.length; i++) {
      if (iou(tracks[t].box, boxes[i]) < opts.trackMinIou) continue;
      boxesNear[t]++;
      tracksNear[i]++;
      nearest[i] = t;
    }
  }
  for (let i = 0; i < boxes.length; i++) {
    const t = nearest[i];
    if (tracksNear[i] !== 1 || boxesNear[t] !== 1) continue;
    const c = tracks[t];
    if (!c.decided) continue;
    out[i] = { kind: frame - c.embedded.frame < opts.every && iou(c.embedded.box, boxes[i]) >= opts.minEmbeddedIou ? 'reuse' : 'check', track: t };
  }
  return out;
}
