/** Small timing helpers shared by the benchmarks: warm up, repeat, report median and p95. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

export interface Timing { median: number; p95: number; p99: number; n: number }

export async function timeIt(fn: () => Promise<unknown> | unknown, opts: { warmup?: number; runs?: number } = {}): Promise<Timing> {
  for (let i = 0; i < (opts.warmup ?? 3); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < (opts.runs ?? 20); i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99), n: times.length };
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
