/** Probe lists for open-set 1:N: CSV `image,identity` (or `true_identity`); unknown people marked. */
import { squaredL2At } from '../sdk/metrics/distance.ts';
import { FaceGateError } from '../sdk/errors.ts';
import { readCsvRows } from './csv-rows.ts';
import { resolveConfined } from './image-path.ts';
import type { GalleryTemplates } from './gallery-templates.ts';
import type { Search, Candidate } from '../sdk/metrics/index.ts';

export interface Probe {
  path: string;
  /** null = a person who is not enrolled. */
  identity: string | null;
}

const UNKNOWN = new Set(['', 'unknown', '-', 'none', 'null']);

export async function loadProbesCsv(csvPath: string, imagesDir: string): Promise<Probe[]> {
  const out: Probe[] = [];
  for await (const { line, values } of readCsvRows(csvPath, { required: ['image'], describe: 'image,identity (or true_identity; UNKNOWN or empty for people not enrolled)' })) {
    const where = `${csvPath}: line ${line}`;
    const id = values.identity ?? values.true_identity;
    if (id === undefined) throw new FaceGateError('FG_CSV_INVALID', `${csvPath}: needs an identity or true_identity column`);
    out.push({ path: resolveConfined(imagesDir, values.image, where), identity: UNKNOWN.has(id.toLowerCase()) ? null : id });
  }
  if (out.length === 0) throw new FaceGateError('FG_CSV_INVALID', `${csvPath}: no probes after the header`);
  return out;
}

/** Exact search: each identity at the distance of its nearest template (or centre), nearest first. */
export function searchGallery(g: GalleryTemplates, probe: Float32Array, k = 2): Candidate[] {
  const dim = g.dim;
  if (probe.length !== dim) throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `probe has ${probe.length} values, the gallery ${dim}`);
  const best = new Float64Array(g.identities.length).fill(Infinity);
  const d2 = (v: Float32Array, off: number) => squaredL2At(probe, 0, v, off, dim);
  for (let t = 0; t < g.owner.length; t++) {
    const s = d2(g.vectors, t * dim);
    if (s < best[g.owner[t]]) best[g.owner[t]] = s;
  }
  g.centres?.forEach((c, i) => {
    if (!c) return;
    const s = d2(c, 0);
    if (s < best[i]) best[i] = s;
  });
  const order = Array.from(best.keys()).sort((a, b) => best[a] - best[b]).slice(0, k);
  return order.map((i) => ({ identity: g.identities[i], distance: Math.sqrt(best[i]) }));
}

export function probeSearches(g: GalleryTemplates, probes: readonly Probe[], embeddings: ReadonlyMap<string, Float32Array | null>): Search[] {
  const known = new Set(g.identities);
  return probes.map((p) => {
    const e = embeddings.get(p.path);
    // A probe whose identity is not in this gallery is, for this gallery, a stranger.
    const trueIdentity = p.identity !== null && known.has(p.identity) ? p.identity : null;
    // No embedding: a search that finds nothing near (never accepted).
    const candidates = e ? searchGallery(g, e) : [{ identity: '', distance: Infinity }];
    return { trueIdentity, candidates };
  });
}
