/**
 * Consumer side of decision sequence numbers (docs/mqtt.md, "Gaps and replay"): feed it each
 * decision's `stream` and `seq`; it reports a gap when a seq skips ahead, and says from where to
 * ask the device for a replay. Modelled on Sparkplug's seq checks, with a persistent per-device
 * counter instead of a wrapping 0-255 one. A new `stream` (the device's history was recreated)
 * starts over. Pure bookkeeping: no I/O.
 */
export interface DecisionGap {
  /** Ask the device to replay decisions with seq > since. */
  since: number;
  /** The seqs found missing by this observation. */
  from: number;
  to: number;
}

export class DecisionGapTracker {
  #stream: string | null = null;
  #high = 0;
  readonly #missing = new Set<number>();
  /** Largest gap tracked seq by seq; a bigger jump is still reported, its middle is not listed. */
  readonly #maxTracked: number;

  constructor(opts: { maxTracked?: number } = {}) {
    this.#maxTracked = opts.maxTracked ?? 100_000;
  }

  /** Records one received decision; returns the gap it revealed, or null. Duplicates are fine. */
  observe(stream: string, seq: number): DecisionGap | null {
    if (!Number.isSafeInteger(seq) || seq < 1) return null;
    if (stream !== this.#stream) {
      // First message, or a device whose history restarted: seqs before this one may be missing too.
      const first = this.#stream === null;
      this.#stream = stream;
      this.#high = 0;
      this.#missing.clear();
      if (!first && seq > 1) return this.#gap(1, seq - 1);
      if (first) {
        this.#high = seq;
        return null;
      }
    }
    this.#missing.delete(seq);
    if (seq <= this.#high + 1) {
      this.#high = Math.max(this.#high, seq);
      return null;
    }
    const gap = this.#gap(this.#high + 1, seq - 1);
    this.#high = seq;
    return gap;
  }

  #gap(from: number, to: number): DecisionGap {
    for (let s = from; s <= to && this.#missing.size < this.#maxTracked; s++) this.#missing.add(s);
    return { since: from - 1, from, to };
  }

  /** Seqs known to be missing, ascending. */
  missing(): number[] {
    return [...this.#missing].sort((a, b) => a - b);
  }

  /** `since` for a replay request on (re)connect: before the oldest missing seq, else the newest held; null before any decision. */
  replaySince(): number | null {
    if (this.#stream === null) return null;
    const m = this.missing();
    return m.length ? m[0] - 1 : this.#high;
  }

  get stream(): string | null {
    return this.#stream;
  }

  get newest(): number {
    return this.#high;
  }
}
