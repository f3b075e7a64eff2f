/**
 * How loose a threshold is for a model: quantiles of the Euclidean distance between embeddings of
 * two different people (unit embeddings, MTCNN, no flip), measured on lfw-dev: 500 evenly spaced
 * images of identities.csv, every pair of different people (124,408 pairs), by
 *   nice node --import tsx test/bench/impostor-distances.ts --lfw /work/shared/data/lfw-dev/
 * A threshold above `p01` accepts more than 1% of impostor pairs 1:1, and 1:N is looser still
 * (a probe meets every enrolled identity), so a device config with one is refused unless forced.
 * Models without these quantiles (the fused embedder) are judged by their stored impostor tail.
 */
import { impostorTail } from './impostor-tails.ts';
import { impostorRateAt } from './operating-point.ts';

export interface ImpostorQuantiles {
  /** Distance under which 0.1%, 1%, 5% and 50% of impostor pairs fall. */
  p001: number;
  p01: number;
  p05: number;
  p50: number;
}

export const IMPOSTOR_QUANTILES: Readonly<Record<string, ImpostorQuantiles>> = {
  'mobilefacenet-192': { p001: 1.045, p01: 1.141, p05: 1.22, p50: 1.403 },
  'fr-feature-512': { p001: 1.154, p01: 1.227, p05: 1.288, p50: 1.409 },
};

/** Share of impostor pairs a threshold accepts, as the bracket the stored quantiles give ("1-5%"). */
export function impostorAcceptBracket(q: ImpostorQuantiles, threshold: number): string {
  if (threshold > q.p50) return 'more than half';
  if (threshold > q.p05) return '5-50%';
  if (threshold > q.p01) return '1-5%';
  if (threshold > q.p001) return '0.1-1%';
  return 'under 0.1%';
}

/** Above this share of impostor pairs accepted 1:1, a threshold is refused unless forced. */
const LOOSE_RATE = 0.01;

/**
 * Why `threshold` is too loose for `modelId` (accepts over 1% of impostor pairs on lfw-dev), or
 * null when it is not, or the model was never measured.
 */
export function looseThresholdProblem(modelId: string, threshold: number): string | null {
  const q = IMPOSTOR_QUANTILES[modelId];
  if (q) {
    if (threshold <= q.p01) return null;
    return `${threshold} accepts ${impostorAcceptBracket(q, threshold)} of impostor pairs for ${modelId} (lfw-dev: 1% of impostors lie under ${q.p01}, half under ${q.p50}), and more in 1:N`;
  }
  const tail = impostorTail(modelId, false);
  if (!tail) return null;
  const rate = impostorRateAt(tail, threshold);
  if (rate <= LOOSE_RATE) return null;
  // Past the stored table the tail only bounds the rate from below.
  const beyond = threshold > tail.table[tail.table.length - 1][0];
  const share = `${beyond ? 'at least ' : ''}${(rate * 100).toFixed(1)}%`;
  return `${threshold} accepts ${share} of impostor pairs for ${modelId} (lfw-dev impostor tail, ${tail.pairs} pairs), and more in 1:N`;
}
