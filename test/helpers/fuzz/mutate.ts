/** Seeded byte mutations for the fuzzers: every case is reproducible from (seed, index). */
import { seededRandom } from '../../../calibration/random.ts';

export class FuzzRng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** One case's generator seed: the run seed and the case index mixed, so cases are independent. */
export const caseSeed = (seed: number, i: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;

export function flipBits(b: Uint8Array, r: FuzzRng, count: number, from = 0): Buffer {
  const out = Buffer.from(b);
  for (let k = 0; k < count; k++) {
    const pos = from + r.int(Math.max(1, out.length - from));
    out[pos] ^= 1 << r.int(8);
  }
  return out;
}

export function truncateAt(b: Uint8Array, r: FuzzRng): Buffer {
  return Buffer.from(b.subarray(0, r.int(b.length)));
}

export function overwrite(b: Uint8Array, r: FuzzRng, maxLen: number): Buffer {
  const out = Buffer.from(b);
  const at = r.int(out.length);
  r.bytes(1 + r.int(maxLen)).copy(out, at);
  return out;
}

export function splice(b: Uint8Array, r: FuzzRng, insert: Uint8Array): Buffer {
  const at = r.int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), insert, b.subarray(at)]);
}

/** Per-case outcome. `ok`: accepted as valid; `clear`: refused with a FaceGateError of the expected family. */
export type Outcome = 'ok' | 'clear' | 'unclear' | 'crash' | 'hang';

export interface TargetSummary {
  cases: number;
  ok: number;
  clear: number;
  unclear: number;
  crash: number;
  hang: number;
  /** clear / (cases that were refused) */
  clearErrorRate: number;
  maxMs: number;
  p99Ms: number;
  /** Mutation kind -> count, to show what was generated. */
  kinds: Record<string, number>;
  /** First few unclear/crash/hang cases, with their index, to reproduce. */
  examples: { index: number; kind: string; outcome: Outcome; message: string }[];
}

export class Tally {
  #s: TargetSummary = { cases: 0, ok: 0, clear: 0, unclear: 0, crash: 0, hang: 0, clearErrorRate: 1, maxMs: 0, p99Ms: 0, kinds: {}, examples: [] };
  #ms: number[] = [];
  add(index: number, kind: string, outcome: Outcome, ms: number, message = ''): void {
    const s = this.#s;
    s.cases++;
    s[outcome]++;
    s.kinds[kind] = (s.kinds[kind] ?? 0) + 1;
    this.#ms.push(ms);
    if (outcome !== 'ok' && outcome !== 'clear' && s.examples.length < 8) s.examples.push({ index, kind, outcome, message: message.slice(0, 300) });
  }
  summary(): TargetSummary {
    const s = this.#s;
    const sorted = [...this.#ms].sort((a, b) => a - b);
    const refused = s.cases - s.ok;
    return {
      ...s,
      clearErrorRate: refused ? s.clear / refused : 1,
      maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
      p99Ms: Math.round((sorted[Math.floor(sorted.length * 0.99)] ?? 0) * 10) / 10,
    };
  }
}

/** Runs `fn` with a deadline; 'hang' when it does not settle in time (the work may continue). */
export async function withDeadline<T>(fn: () => Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; hang?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ hang: true }>((resolve) => { timer = setTimeout(() => resolve({ hang: true }), ms); });
  try {
    return await Promise.race([fn().then((value) => ({ value }), (error: unknown) => ({ error })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
