/**
 * 1:N identification of one embedding: the gallery's nearest identities, then the access
 * decision (grant / deny / unknown) at the threshold, the embedder's default when none is given.
 */
import { decide, type Decision } from '../match/decide.ts';
import { defaultThreshold } from '../match/default-thresholds.ts';
import type { Gallery } from './gallery.ts';

export interface IdentifyEmbeddingOptions {
  /** Maximum Euclidean distance for a match (default: the gallery model's default threshold). */
  threshold?: number;
  /** Minimum gap to the nearest other identity (default 0). */
  margin?: number;
  /** Nearest templates to consider (default 5). */
  k?: number;
  /** Epoch ms for validity windows (default now). */
  now?: number;
}

/** Searches `gallery` for `embedding` and decides; `decision.identity` is the match, if any. */
export function identifyEmbedding(gallery: Gallery, embedding: Float32Array, opts: IdentifyEmbeddingOptions = {}): Decision {
  const threshold = opts.threshold ?? defaultThreshold(gallery.modelId);
  const candidates = gallery.search(embedding, opts.k ?? 5, { threshold });
  return decide(candidates, { threshold, margin: opts.margin ?? 0, now: opts.now ?? Date.now() });
}
