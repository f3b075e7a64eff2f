/**
 * Seeded randomness for training: one stream drives initialisation, batch order and sampling, so a
 * run with the same seed and data gives bit-identical weights.
 */
import { seededRandom } from '../random.ts';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[];
}

export function createRng(seed: number): Rng {
  const u = seededRandom(seed);
  let spare: number | null = null;
  const rng: Rng = {
    next: u,
    int: (n) => Math.floor(u() * n),
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let a = u();
      while (a <= Number.MIN_VALUE) a = u(); // log(0) guard
      const b = u();
      const r = Math.sqrt(-2 * Math.log(a));
      spare = r * Math.sin(2 * Math.PI * b);
      return r * Math.cos(2 * Math.PI * b);
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        const t = items[i];
        items[i] = items[j];
        items[j] = t;
      }
      return items;
    },
  };
  return rng;
}
