/**
 * Token bucket for published events: a flood (a malformed-message storm, a flapping camera) costs
 * at most `burst` messages at once and `perSecond` after that. What it drops is counted, so the
 * next event that goes out can be preceded by one summary.
 */
export interface EventRateOptions {
  perSecond?: number;
  burst?: number;
}

export class EventRateLimit {
  readonly perSecond: number;
  readonly burst: number;
  #tokens: number;
  #lastRefill: number;
  #suppressed = 0;

  constructor(o: EventRateOptions = {}, nowMs = Date.now()) {
    this.perSecond = o.perSecond ?? 20;
    this.burst = o.burst ?? 100;
    this.#tokens = this.burst;
    this.#lastRefill = nowMs;
  }

  /**
   * Takes a token. `ok` false: the event is dropped (and counted). `ok` true with `suppressed` > 0:
   * that many were dropped since the last admitted one; the counter restarts.
   */
  admit(nowMs = Date.now()): { ok: boolean; suppressed: number } {
    this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#lastRefill) / 1000) * this.perSecond);
    this.#lastRefill = nowMs;
    if (this.#tokens < 1) {
      this.#suppressed++;
      return { ok: false, suppressed: 0 };
    }
    this.#tokens -= 1;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return { ok: true, suppressed };
  }
}
