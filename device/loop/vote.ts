/**
 * N-of-M voting over a track's recent frames. A single frame never opens the door: the same
 * identity must win `votes` of the last `window` usable frames, weighted by face size (a larger
 * face gives a more reliable embedding), and hold the weighted majority.
 */
export interface FrameVote {
  /** Identity granted by the matcher on this frame, or null for unknown. */
  identity: string | null;
  distance: number;
  /** Relative reliability, e.g. inter-eye distance in px. */
  weight: number;
}

export type VoteOutcome =
  | { kind: 'pending' }
  | { kind: 'identity'; identity: string; frames: number; share: number; distance: number }
  | { kind: 'unknown'; frames: number };

export function voteTrack(frames: readonly FrameVote[], opts: { votes: number; window: number }): VoteOutcome {
  const recent = frames.slice(-opts.window);
  const byKey = new Map<string, { n: number; w: number; best: number }>();
  let total = 0;
  for (const f of recent) {
    const key = f.identity ?? '\u0000unknown';
    const s = byKey.get(key) ?? { n: 0, w: 0, best: Infinity };
    s.n++;
    s.w += f.weight;
    s.best = Math.min(s.best, f.distance);
    byKey.set(key, s);
    total += f.weight;
  }
  let winner: [string, { n: number; w: number; best: number }] | undefined;
  for (const e of byKey) if (!winner || e[1].w > winner[1].w) winner = e;
  if (!winner || winner[1].n < opts.votes || winner[1].w <= total / 2) return { kind: 'pending' };
  const [key, s] = winner;
  if (key === '\u0000unknown') return { kind: 'unknown', frames: s.n };
  return { kind: 'identity', identity: key, frames: s.n, share: s.w / total, distance: s.best };
}

/** Per-identity cooldown so one person standing at the door is granted once per period. */
export class Cooldown {
  private readonly last = new Map<string, number>();
  constructor(private readonly periodMs: number) {}
  /** True if `key` may fire now; records the firing. */
  take(key: string, nowMs: number): boolean {
    const prev = this.last.get(key);
    if (prev !== undefined && nowMs - prev < this.periodMs) return false;
    this.last.set(key, nowMs);
    if (this.last.size > 10_000) for (const [k, t] of this.last) if (nowMs - t >= this.periodMs) this.last.delete(k);
    return true;
  }
}
