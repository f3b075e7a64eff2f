/**
 * Embeddings of a labelled set as protocol rows, from the embedding cache (one detection pass
 * fills every part; reruns read disk). A fused model is built from its parts' cached rows.
 */
import { relative } from 'node:path';
import { warmEmbeddingCaches, embedLabeledImages, type EmbeddedRows, type TrainDetector, type TrainEmbedder } from './train/embedding-cache.ts';
import { fuseEmbeddings } from '../sdk/embed/fusion.ts';
import type { LabeledImage } from './labeled.ts';
import type { LabeledRows } from './open-set-protocol.ts';

export interface RowsModel {
  /** One embedder, or two fused with `weightA` on the first. */
  parts: readonly TrainEmbedder[];
  weightA?: number;
  flip: boolean;
  /** Embedder build (default fp32). */
  precision?: 'fp32' | 'int8' | 'fp16';
}

export async function labeledRows(items: readonly LabeledImage[], imagesDir: string, detector: TrainDetector, m: RowsModel,
  opts: { cacheDir?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<LabeledRows> {
  const keyed = items.map((i) => ({ key: relative(imagesDir, i.path), path: i.path }));
  await warmEmbeddingCaches(keyed, { detector, variants: m.parts.map((e) => ({ embedder: e, flip: m.flip })), imagesDir, cacheDir: opts.cacheDir, precision: m.precision, onProgress: opts.onProgress });
  const parts: EmbeddedRows[] = [];
  for (const e of m.parts) parts.push(await embedLabeledImages(keyed, { detector, embedder: e, flip: m.flip, imagesDir, cacheDir: opts.cacheDir, precision: m.precision }));
  const ok = items.map((_, i) => parts.every((p) => p.index.fallback[i] !== 'failed'));
  const identity = items.map((i) => i.identity);
  if (parts.length === 1) return { identity, vectors: parts[0].vectors, dim: parts[0].index.dim, ok };
  const [a, b] = parts;
  const da = a.index.dim;
  const db = b.index.dim;
  const dim = da + db;
  const vectors = new Float32Array(items.length * dim);
  for (let i = 0; i < items.length; i++) {
    fuseEmbeddings(a.vectors.subarray(i * da, (i + 1) * da), b.vectors.subarray(i * db, (i + 1) * db), m.weightA ?? 0.5, vectors.subarray(i * dim, (i + 1) * dim));
  }
  return { identity, vectors, dim, ok };
}
