/**
 * The few live figures the status message carries for dashboards (Home Assistant's diagnostic
 * sensors): frame rate and median latency over recent frames, and the presentation attacks seen
 * since start. Prometheus (metrics.ts) keeps the full histograms; these are plain numbers read
 * synchronously whenever the status is published.
 */
import { median } from '../../sdk/metrics/stats.ts';

const WINDOW_MS = 10_000;
const MAX_LATENCIES = 100;

export class LiveFigures {
  #frameTimes: number[] = [];
  #latencies: number[] = [];
  #attacks = 0;

  /** One processed frame, done at `nowMs`, `latencyMs` after capture. */
  frame(nowMs: number, latencyMs: number): void {
    this.#frameTimes.push(nowMs);
    while (this.#frameTimes.length > 0 && nowMs - this.#frameTimes[0] > WINDOW_MS) this.#frameTimes.shift();
    this.#latencies.push(latencyMs);
    if (this.#latencies.length > MAX_LATENCIES) this.#latencies.shift();
  }

  attack(): void {
    this.#attacks++;
  }

  get attacks(): number {
    return this.#attacks;
  }

  /** Frames per second over the last 10 s (0 with fewer than 2 frames or none in the window). */
  fps(nowMs: number): number {
    const t = this.#frameTimes.filter((x) => nowMs - x <= WINDOW_MS);
    if (t.length < 2) return 0;
    const span = (t[t.length - 1] - t[0]) / 1000;
    return span > 0 ? Math.round(((t.length - 1) / span) * 100) / 100 : 0;
  }

  /** Median latency of the last 100 frames, ms; undefined before the first. */
  latencyP50(): number | undefined {
    return this.#latencies.length ? Math.round(median(this.#latencies)) : undefined;
  }

  /** Slowest but one of the last 100 frames (their p99), ms; undefined before the first. */
  latencyP99(): number | undefined {
    if (!this.#latencies.length) return undefined;
    const s = [...this.#latencies].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]);
  }
}
