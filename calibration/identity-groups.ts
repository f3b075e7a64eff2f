/**
 * Identities for the embedding map when the input is a pair list: images joined by genuine pairs
 * belong to one person (union-find over same = 1 pairs).
 */
import type { Pair } from './pairs.ts';

export function identitiesFromPairs(pairs: readonly Pair[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    let c = x;
    while (c !== r) {
      const next = parent.get(c)!;
      parent.set(c, r);
      c = next;
    }
    return r;
  };
  for (const p of pairs) {
    if (!parent.has(p.a)) parent.set(p.a, p.a);
    if (!parent.has(p.b)) parent.set(p.b, p.b);
    if (p.same) {
      const ra = find(p.a);
      const rb = find(p.b);
      if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
    }
  }
  const out = new Map<string, string>();
  for (const k of parent.keys()) out.set(k, find(k));
  return out;
}
