/**
 * Stored impostor-distance tails per embedder (and flip), the basis of the default operating
 * point. Written by test/bench/impostor-tails.ts from lfw-dev (all different-person pairs, with the
 * names in docs/data/lfw-dev-same-person.csv merged); a derived statistic, not data.
 */
import type { ImpostorTail } from './operating-point.ts';
import { IMPOSTOR_TAILS } from './impostor-tails-data.ts';

export function tailKey(modelId: string, flip: boolean): string {
  return `${modelId}${flip ? '+flip' : ''}`;
}

/** The stored tail for a model (undefined when none was measured). */
export function impostorTail(modelId: string, flip: boolean): ImpostorTail | undefined {
  return IMPOSTOR_TAILS[tailKey(modelId, flip)];
}
