/**
 * Open-set 1:N protocol from a labelled image set (identity per image), searched exactly:
 *  - people with 2+ photos are enrolled from their first `shots` photos (fewer when they have
 *    too few: one photo always stays a probe) and probed with the next photo (mated search);
 *  - single-photo people fill the gallery up to `gallerySize` (distractors, never probed); the
 *    rest are strangers (non-mated searches against the whole gallery);
 *  - each enrolled person's probe photo is also searched with that person left out of the gallery
 *    (leave-one-identity-out: a stranger against gallery size - 1). One photo per person, not all
 *    of them: measured on lfw-dev, one person with 14 photos and a mislabelled look-alike in the
 *    gallery gave 13 of 19 stranger accepts when every photo counted;
 *  - people with `shots` + 3 photos give a pseudo-track of the 3 photos after the enrolled ones
 *    (mated); people with 3+ photos give a stranger track of their first 3 photos, left out.
 * Pure given the rows: the listing order and the seed fix every choice.
 */
import { FaceGateError } from '../sdk/errors.ts';
import { seededRandom } from './random.ts';

export interface LabeledRows {
  /** Identity of each row. */
  identity: readonly string[];
  /** rows x dim, unit vectors; rows where no face was found are flagged in `ok`. */
  vectors: Float32Array;
  dim: number;
  ok: readonly boolean[];
}

export interface ProtocolOptions {
  gallerySize: number;
  shots: 1 | 2;
  seed: number;
}

export interface Protocol {
  /** Gallery identities (index = identity number) and their template rows. */
  identities: string[];
  templates: number[][];
  /** Mated single probes: row and the gallery identity number. */
  mated: { row: number; truth: number }[];
  /** Non-mated single probes: row and the identity left out of the gallery (-1: none). */
  strangers: { row: number; leftOut: number }[];
  matedTracks: { rows: number[]; truth: number }[];
  strangerTracks: { rows: number[]; leftOut: number }[];
  counts: { people: number; multi_photo: number; single_photo: number; distractors: number; strangers_single_photo: number; leave_one_out_probes: number };
}

export function buildOpenSetProtocol(rows: LabeledRows, o: ProtocolOptions): Protocol {
  const byId = new Map<string, number[]>();
  rows.identity.forEach((id, r) => {
    if (!rows.ok[r]) return;
    const list = byId.get(id) ?? [];
    list.push(r);
    byId.set(id, list);
  });
  const multi = [...byId].filter(([, l]) => l.length >= 2);
  const singles = [...byId].filter(([, l]) => l.length === 1);
  if (multi.length < 2) throw new FaceGateError('FG_CALIBRATION', `open-set needs at least 2 people with 2+ photos (enrolled and probed); the data have ${multi.length}`);
  if (o.gallerySize < multi.length) throw new FaceGateError('FG_CALIBRATION', `gallery size ${o.gallerySize} is below the ${multi.length} people with 2+ photos (all are enrolled); ask for at least ${multi.length}`);
  const rand = seededRandom(o.seed);
  const shuffled = singles.map((s) => s);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const fill = Math.min(o.gallerySize - multi.length, shuffled.length);
  const identities: string[] = [];
  const templates: number[][] = [];
  const p: Protocol = { identities, templates, mated: [], strangers: [], matedTracks: [], strangerTracks: [], counts: {
    people: byId.size, multi_photo: multi.length, single_photo: singles.length, distractors: fill, strangers_single_photo: shuffled.length - fill, leave_one_out_probes: 0,
  } };
  for (const [id, list] of multi) {
    const k = identities.length;
    const enrolled = Math.min(o.shots, list.length - 1);
    identities.push(id);
    templates.push(list.slice(0, enrolled));
    p.mated.push({ row: list[enrolled], truth: k });
    p.strangers.push({ row: list[enrolled], leftOut: k });
    p.counts.leave_one_out_probes++;
    if (list.length >= enrolled + 3) p.matedTracks.push({ rows: list.slice(enrolled, enrolled + 3), truth: k });
    if (list.length >= 3) p.strangerTracks.push({ rows: list.slice(0, 3), leftOut: k });
  }
  for (const [id, list] of shuffled.slice(0, fill)) {
    identities.push(id);
    templates.push(list);
  }
  for (const [, list] of shuffled.slice(fill)) p.strangers.push({ row: list[0], leftOut: -1 });
  return p;
}

/** Exact search of one vector: distance to each gallery identity (its nearest template). */
export class ExactIdentitySearch {
  readonly #g: Float32Array;
  readonly #owner: Int32Array;
  readonly #dim: number;
  readonly identities: number;
  readonly templates: number;

  constructor(rows: LabeledRows, p: Protocol) {
    this.#dim = rows.dim;
    const all = p.templates.flatMap((t, k) => t.map((r) => [r, k] as const));
    this.#g = new Float32Array(all.length * rows.dim);
    this.#owner = new Int32Array(all.length);
    all.forEach(([r, k], i) => {
      this.#g.set(rows.vectors.subarray(r * rows.dim, (r + 1) * rows.dim), i * rows.dim);
      this.#owner[i] = k;
    });
    this.identities = p.templates.length;
    this.templates = all.length;
  }

  /** Per-identity Euclidean distance (Infinity for the left-out identity). */
  distances(q: Float32Array, leftOut = -1): Float64Array {
    const out = new Float64Array(this.identities).fill(Infinity);
    const dim = this.#dim;
    const g = this.#g;
    for (let t = 0; t < this.#owner.length; t++) {
      const k = this.#owner[t];
      if (k === leftOut) continue;
      let dot = 0;
      const o = t * dim;
      for (let j = 0; j < dim; j++) dot += q[j] * g[o + j];
      const d = Math.sqrt(Math.max(0, 2 - 2 * dot));
      if (d < out[k]) out[k] = d;
    }
    return out;
  }
}

export interface Nearest {
  nearest: number;
  d1: number;
  d2: number;
}

export function nearestTwo(d: Float64Array): Nearest {
  let nearest = -1;
  let d1 = Infinity;
  let d2 = Infinity;
  for (let k = 0; k < d.length; k++) {
    if (d[k] < d1) { d2 = d1; d1 = d[k]; nearest = k; } else if (d[k] < d2) d2 = d[k];
  }
  return { nearest, d1, d2 };
}

/** The per-frame rule of decide(): the nearest identity within the threshold and clear by the margin. */
export function grantedIdentity(n: Nearest, threshold: number, margin: number): number {
  return n.nearest >= 0 && n.d1 <= threshold && n.d2 - n.d1 >= margin ? n.nearest : -1;
}

/** Unit mean of rows (the track's mean embedding). */
export function meanEmbedding(rows: LabeledRows, list: readonly number[]): Float32Array {
  const m = new Float32Array(rows.dim);
  for (const r of list) for (let j = 0; j < rows.dim; j++) m[j] += rows.vectors[r * rows.dim + j];
  let s = 0;
  for (let j = 0; j < rows.dim; j++) s += m[j] * m[j];
  const inv = 1 / Math.sqrt(s || 1);
  for (let j = 0; j < rows.dim; j++) m[j] *= inv;
  return m;
}

/** All different-identity pair distances among the rows (rows without a face skipped). */
export function impostorDistances(rows: LabeledRows, keep?: (identity: string) => boolean): Float64Array {
  const idx: number[] = [];
  rows.identity.forEach((id, r) => { if (rows.ok[r] && (!keep || keep(id))) idx.push(r); });
  const ids = idx.map((r) => rows.identity[r]);
  const dim = rows.dim;
  const v = rows.vectors;
  const out: number[] = [];
  for (let a = 0; a < idx.length; a++) {
    const oa = idx[a] * dim;
    for (let b = a + 1; b < idx.length; b++) {
      if (ids[a] === ids[b]) continue;
      const ob = idx[b] * dim;
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += v[oa + j] * v[ob + j];
      out.push(Math.sqrt(Math.max(0, 2 - 2 * dot)));
    }
  }
  return Float64Array.from(out);
}
