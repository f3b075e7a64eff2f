/**
 * The deterministic operation sequence of the SIGKILL test: the child runs it, the parent replays
 * the acknowledged prefix to know what the store must hold. Every identity always has exactly
 * three templates, derived from (name, variant), so any half-applied change is visible.
 */
import { gaussian, jitter, mulberry32, randomUnit, sigmaFor } from './synthetic.ts';

export const CRASH_DIM = 64;
export const CRASH_MODEL = 'crash-model-64';

export type CrashOp =
  | { kind: 'enroll'; name: string }
  | { kind: 'apply'; remove: string | null; upsert: { name: string; variant: number }[] };

export type CrashMode = 'enrol' | 'flush' | 'build' | 'bulk' | 'bulk-async';

/**
 * `bulk` mode: every op enrols 40 new identities (120 templates) in one transaction; `bulk-async`
 * the same through applyChangesAsync, committed by the bulk worker.
 */
export function opAt(round: number, i: number, mode: CrashMode): CrashOp {
  if (mode === 'bulk' || mode === 'bulk-async') return { kind: 'apply', remove: null, upsert: Array.from({ length: 40 }, (_, j) => ({ name: `r${round}-${i}-${j}`, variant: 0 })) };
  if (i % 5 === 4) {
    return { kind: 'apply', remove: `r${round}-${i - 3}`, upsert: [{ name: `r${round}-${i - 2}`, variant: i }, { name: `r${round}-${i}`, variant: 0 }] };
  }
  return { kind: 'enroll', name: `r${round}-${i}` };
}

function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function centreFor(name: string): Float32Array {
  return randomUnit(CRASH_DIM, gaussian(mulberry32(seedOf(name))));
}

export function templatesFor(name: string, variant: number): Float32Array[] {
  const c = centreFor(name);
  const g = gaussian(mulberry32(seedOf(`${name}#${variant}`)));
  const sigma = sigmaFor(0.6, CRASH_DIM);
  return [0, 1, 2].map(() => jitter(c, sigma, g));
}

/** name -> variant after applying an op. */
export function applyOp(state: Map<string, number>, op: CrashOp): void {
  if (op.kind === 'enroll') state.set(op.name, 0);
  else {
    if (op.remove !== null) state.delete(op.remove);
    for (const u of op.upsert) state.set(u.name, u.variant);
  }
}
