/**
 * Face tracks across frames by greedy IoU matching, so a decision is made per person-in-view
 * rather than per frame. Pure and synchronous: the frame loop calls `update` once per frame.
 */
import type { Box } from '../../sdk/types.ts';

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x), y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w), y2 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

export interface Track<O> {
  id: number;
  box: Box;
  lastFrame: number;
  last: O;
  observations: O[];
  /** Set once the track produced its decision (grant/unknown/deny). */
  decided: boolean;
}

export class Tracker<O> {
  private tracks: Track<O>[] = [];
  private nextId = 1;
  private frame = 0;
  /**
   * `same(last, next)` can veto an IoU match: at a door one person often replaces another at the
   * same spot, and a decided track must not carry over to the next person.
   */
  constructor(private readonly opts: { minIou: number; maxMissedFrames: number; window: number; same?: (last: O, next: O) => boolean }) {}

  /** Assigns each box to a track (new or existing); returns tracks in the order of `boxes`. */
  update(items: { box: Box; observation: O }[]): Track<O>[] {
    this.frame++;
    const free = new Set(this.tracks);
    const pairs: { t: Track<O>; i: number; v: number }[] = [];
    for (const t of this.tracks) items.forEach((it, i) => {
      const v = iou(t.box, it.box);
      if (v >= this.opts.minIou && (!this.opts.same || this.opts.same(t.last, it.observation))) pairs.push({ t, i, v });
    });
    pairs.sort((a, b) => b.v - a.v);
    const assigned = new Array<Track<O> | undefined>(items.length);
    for (const p of pairs) {
      if (assigned[p.i] || !free.has(p.t)) continue;
      assigned[p.i] = p.t;
      free.delete(p.t);
    }
    const out = items.map((it, i) => {
      const t = assigned[i] ?? this.start(it.box, it.observation);
      t.box = it.box;
      t.last = it.observation;
      t.lastFrame = this.frame;
      t.observations.push(it.observation);
      if (t.observations.length > this.opts.window) t.observations.shift();
      return t;
    });
    this.tracks = this.tracks.filter((t) => this.frame - t.lastFrame <= this.opts.maxMissedFrames);
    return out;
  }

  get active(): readonly Track<O>[] {
    return this.tracks;
  }

  private start(box: Box, last: O): Track<O> {
    const t: Track<O> = { id: this.nextId++, box, last, lastFrame: this.frame, observations: [], decided: false };
    this.tracks.push(t);
    return t;
  }
}
