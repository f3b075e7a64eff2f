/**
 * Synthetic embeddings for training tests: unit vectors around per-person centres, plus strong
 * "camera" nuisance along a few shared directions that a linear head can learn to suppress (a
 * stand-in for a site's domain shift, with a known right answer).
 */
import { createRng } from '../../../calibration/train/rng.ts';
import { embeddingSet, type EmbeddingSet } from '../../../calibration/train/dataset.ts';

export interface SyntheticOptions {
  people: number;
  imagesPerPerson: number;
  dim: number;
  /** Within-person noise (std per coordinate, before normalisation). */
  noise: number;
  /** Number of shared nuisance directions and their std. */
  nuisanceDirs: number;
  nuisance: number;
  seed: number;
}

export function syntheticSet(o: SyntheticOptions): EmbeddingSet {
  const rng = createRng(o.seed);
  const d = o.dim;
  const dirs: Float64Array[] = [];
  for (let k = 0; k < o.nuisanceDirs; k++) {
    const u = new Float64Array(d);
    u[k % d] = 1; // axis-aligned: the head has to learn to zero these coordinates
    dirs.push(u);
  }
  const rows: { identity: string; vector: Float32Array }[] = [];
  for (let p = 0; p < o.people; p++) {
    const mu = new Float64Array(d);
    for (let j = 0; j < d; j++) mu[j] = rng.normal() / Math.sqrt(d);
    for (let i = 0; i < o.imagesPerPerson; i++) {
      const v = new Float32Array(d);
      for (let j = 0; j < d; j++) v[j] = mu[j] + (rng.normal() * o.noise) / Math.sqrt(d);
      for (const u of dirs) {
        const a = rng.normal() * o.nuisance;
        for (let j = 0; j < d; j++) v[j] += a * u[j];
      }
      let s = 0;
      for (let j = 0; j < d; j++) s += v[j] * v[j];
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < d; j++) v[j] *= inv;
      rows.push({ identity: `p${p}`, vector: v });
    }
  }
  return embeddingSet(rows);
}
