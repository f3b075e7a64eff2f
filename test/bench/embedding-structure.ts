/**
 * How real face embeddings are laid out, against the isotropic synthetic vectors the gallery
 * benchmark started from. Embeds every lfw-dev image (one face each, the most central), caches the
 * vectors, then reports: impostor and genuine distance distributions, the PCA spectrum of the
 * identity means and of the within-identity scatter (participation ratio = effective dimension),
 * and writes both covariances so test/bench/gallery.ts can draw synthetic identities with the
 * same second-order structure (`--structure lfw`). Also: what the gallery's projection does to
 * real pair distances (fitted on half of the people, checked on the other half), and the singular
 * values of the linear layers that end the embedder.
 *
 *   node --import tsx test/bench/embedding-structure.ts [--embedder mobilefacenet-192]
 *        [--cache .cache/lfw-embeddings.json] [--out .cache/lfw-structure.json]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { mostCentralFace } from '../../sdk/detect/face-choice.ts';
import type { EmbedderId } from '../../sdk/embed/onnx-embedder.ts';
import { readCsvRows } from '../../calibration/csv-rows.ts';
import { covariance, symmetricEigen, participationRatio } from '../helpers/spectrum.ts';
import { euclidean as dist, structuredPeople, syntheticPeople, type SyntheticPeople } from '../unit/gallery/synthetic.ts';
import { quantile } from './stats.ts';
import onnx from 'onnx-proto';
import { PACK_DIR } from '../../models/paths.ts';
import { fitProjection, project, upperDistance } from '../../sdk/gallery/projection.ts';

const LFW = fileURLToPath(new URL('../../../shared/data/lfw-dev/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

if (!existsSync(LFW)) {
  console.error(`needs ${LFW}`);
  process.exit(0);
}

interface Cached { model: string; dim: number; rows: { image: string; identity: string; v: number[] }[] }

async function embedAll(cacheFile: string, embedder: string): Promise<Cached> {
  if (existsSync(cacheFile)) {
    const c = JSON.parse(readFileSync(cacheFile, 'utf8')) as Cached;
    if (c.model.startsWith(embedder)) return c;
  }
  const pipeline = await createPipeline({ embedder: embedder as EmbedderId });
  const rows: Cached['rows'] = [];
  const list: { image: string; identity: string }[] = [];
  for await (const row of readCsvRows(join(LFW, 'identities.csv'), { required: ['image', 'identity'], describe: 'image,identity' })) list.push({ image: row.values.image, identity: row.values.identity });
  const t0 = performance.now();
  for (const [i, e] of list.entries()) {
    const r = await pipeline.analyze(join(LFW, 'images', e.image));
    const f = mostCentralFace(r.faces, r.width, r.height);
    if (f >= 0) rows.push({ image: e.image, identity: e.identity, v: Array.from(r.faces[f].embedding, (x) => +x.toFixed(6)) });
    if ((i + 1) % 250 === 0) console.error(`embedded ${i + 1}/${list.length} (${Math.round((performance.now() - t0) / (i + 1))} ms/image)`);
  }
  const c: Cached = { model: pipeline.modelId, dim: pipeline.embedder.dim, rows };
  await pipeline.release();
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(c));
  return c;
}

function summary(xs: number[]): Record<string, number> {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length);
  const q = (p: number) => +quantile(s, p).toFixed(4);
  return { n: s.length, mean: +mean.toFixed(4), sd: +sd.toFixed(4), p01: q(0.01), p50: q(0.5), p99: q(0.99) };
}

const cacheFile = resolve(ROOT, arg('cache', '.cache/lfw-embeddings.json'));
const outFile = resolve(ROOT, arg('out', '.cache/lfw-structure.json'));
const data = await embedAll(cacheFile, arg('embedder', 'mobilefacenet-192'));
const dim = data.dim;
const byId = new Map<string, number[][]>();
for (const r of data.rows) byId.set(r.identity, [...(byId.get(r.identity) ?? []), r.v]);

// identity means (renormalised: what a gallery centre is) and within-identity residuals
const means: number[][] = [];
const rawMeans: number[][] = [];
const residuals: number[][] = [];
const genuine: number[] = [];
let invCount = 0;
for (const vs of byId.values()) {
  const m = new Array<number>(dim).fill(0);
  for (const v of vs) for (let i = 0; i < dim; i++) m[i] += v[i] / vs.length;
  const norm = Math.hypot(...m);
  rawMeans.push(m);
  means.push(m.map((x) => x / norm));
  invCount += 1 / vs.length / byId.size;
  if (vs.length < 2) continue;
  for (const v of vs) residuals.push(v.map((x, i) => x - m[i]));
  for (let a = 0; a < vs.length; a++) for (let b = a + 1; b < vs.length; b++) genuine.push(dist(vs[a], vs[b]));
}
const impostor: number[] = [];
for (let a = 0; a < means.length; a++) for (let b = a + 1; b < means.length; b += 7) impostor.push(dist(means[a], means[b]));
// what isotropic random unit vectors of this dimension give, for comparison
const isoCos = 1 / Math.sqrt(dim);

// A person's mean over n_i images carries 1/n_i of the within-person scatter: take it out, so
// the between-identity covariance is that of the people themselves (Cov(m) - E[1/n] Sw).
// Residuals about a mean of n_i images shrink by (n_i - 1)/n_i; the sample covariance's n - 1
// divisor does not see that, so scale by the mean inflation over the residual set.
const within = covariance(residuals);
let shrink = 0;
for (const vs of byId.values()) if (vs.length > 1) shrink += vs.length * (vs.length / (vs.length - 1)) / residuals.length;
for (let i = 0; i < within.cov.length; i++) within.cov[i] *= shrink;
const between = covariance(rawMeans);
for (let i = 0; i < between.cov.length; i++) between.cov[i] -= invCount * within.cov[i];
const eb = symmetricEigen(between.cov, dim);
const ew = symmetricEigen(within.cov, dim);
const frac = (vals: Float64Array, k: number) => +(vals.slice(0, k).reduce((a, b) => a + b, 0) / vals.reduce((a, b) => a + b, 0)).toFixed(4);
const report = {
  model: data.model,
  images: data.rows.length,
  identities: byId.size,
  identities_with_2plus: [...byId.values()].filter((v) => v.length > 1).length,
  genuine_distance: summary(genuine),
  impostor_distance_between_identity_means: summary(impostor),
  isotropic_reference: { cos_sd: +isoCos.toFixed(4), distance_mean: +Math.SQRT2.toFixed(4), effective_dim: dim },
  mean_of_identity_means_norm: +Math.hypot(...between.mean).toFixed(4),
  between_identity: { effective_dim: +participationRatio(eb.values).toFixed(1), variance_top10: frac(eb.values, 10), variance_top32: frac(eb.values, 32), variance_top64: frac(eb.values, 64) },
  within_identity: { effective_dim: +participationRatio(ew.values).toFixed(1), variance_top10: frac(ew.values, 10), variance_top32: frac(ew.values, 32), variance_top64: frac(ew.values, 64) },
};
const structure = { dim, mean: Array.from(between.mean), between_cov: Array.from(between.cov), within_cov: Array.from(within.cov) };

// Does the fitted generator reproduce the real distributions? Same statistics on 2,000 drawn
// people (2 images each), beside the isotropic generator at the real genuine distance.
function describe(p: SyntheticPeople): Record<string, unknown> {
  const imgs = p.centres.map((_, i) => [p.sample(i), p.sample(i)]);
  const gen = imgs.map(([a, b]) => dist(a, b));
  const imp: number[] = [];
  for (let a = 0; a < imgs.length; a++) for (let b = a + 1; b < imgs.length; b += 7) imp.push(dist(imgs[a][0], imgs[b][0]));
  const e = symmetricEigen(covariance(imgs.map((x) => x[0])).cov, dim).values;
  return { genuine_distance: summary(gen), impostor_distance: summary(imp), images_effective_dim: +participationRatio(e).toFixed(1) };
}
const realImages = symmetricEigen(covariance(data.rows.map((r) => r.v)).cov, dim).values;
const check = {
  real: { images_effective_dim: +participationRatio(realImages).toFixed(1), variance_beyond_64: +(realImages.slice(64).reduce((a, b) => a + b, 0) / realImages.reduce((a, b) => a + b, 0)).toExponential(2) },
  fitted: describe(structuredPeople(2000, structure, 11, report.genuine_distance.mean)),
  isotropic: describe(syntheticPeople(2000, dim, 11, report.genuine_distance.mean)),
};
// What the gallery's projection (default share) does to real distances: fitted on every other
// person, checked on pairs of the remaining people's images.
function projectionCheck(): Record<string, unknown> {
  const people = [...byId.keys()];
  const fitSet = new Set(people.filter((_, i) => i % 2 === 0));
  const fit = data.rows.filter((r) => fitSet.has(r.identity)).map((r) => Float32Array.from(r.v));
  const held = data.rows.filter((r) => !fitSet.has(r.identity)).map((r) => Float32Array.from(r.v));
  const flat = new Float32Array(fit.length * dim);
  fit.forEach((v, i) => flat.set(v, i * dim));
  const p = fitProjection(flat, fit.length, dim);
  if (!p) return { rank: null };
  const points = held.map((v) => {
    const o = new Float32Array(p.rank);
    return { o, r: project(p, v, o) };
  });
  const excess: number[] = [];
  for (let a = 0; a < held.length; a += 3) {
    for (let b = a + 1; b < held.length; b += 37) excess.push(upperDistance(dist(points[a].o, points[b].o), points[a].r, points[b].r) - dist(held[a], held[b]));
  }
  excess.sort((x, y) => x - y);
  return { rank: p.rank, pairs: excess.length, bound_excess_p50: +quantile(excess, 0.5).toExponential(2), bound_excess_p99: +quantile(excess, 0.99).toExponential(2),
    bound_excess_max: +excess[excess.length - 1].toExponential(2), below_exact: excess.filter((x) => x < -1e-6).length };
}

/**
 * Singular values of the linear map that ends the embedder: the trailing chain of 1x1 Convs
 * before the output (MobileFaceNet: 512 -> 512 -> 192), composed. Shows whether a low rank of
 * the embeddings comes from the weights themselves.
 */
function finalLinearMap(): Record<string, unknown> {
  const file = join(PACK_DIR, `${data.model.split(':')[0]}.onnx`);
  // a fused embedder (sdk/embed/fusion.ts) has no single network of its own
  if (!existsSync(file)) return { skipped: `no ${file}` };
  const model = onnx.onnx.ModelProto.decode(readFileSync(file));
  const g = model.graph!;
  const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
  const producer = new Map<string, onnx.onnx.INodeProto>();
  for (const n of g.node!) for (const o of n.output!) producer.set(o, n);
  let at = producer.get(g.output![0].name!);
  while (at && (at.opType === 'Reshape' || at.opType === 'Flatten')) at = producer.get(at.input![0]);
  let composed: { rows: number; cols: number; w: Float64Array } | null = null;
  const convs: string[] = [];
  for (; at && at.opType === 'Conv'; at = producer.get(at.input![0])) {
    const t = inits.get(at.input![1]);
    const dims = (t?.dims ?? []).map(Number);
    if (!t?.rawData || dims.length !== 4 || dims[2] !== 1 || dims[3] !== 1) break;
    const [o, i] = dims;
    const raw = t.rawData;
    const w = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    convs.push(`${i}->${o}`);
    if (!composed) composed = { rows: o, cols: i, w: Float64Array.from(w) };
    else {
      // composed (rows x o) . w (o x i)
      const next: Float64Array = new Float64Array(composed.rows * i);
      for (let r = 0; r < composed.rows; r++) for (let k = 0; k < o; k++) {
        const c = composed.w[r * o + k];
        if (c !== 0) for (let j = 0; j < i; j++) next[r * i + j] += c * w[k * i + j];
      }
      composed = { rows: composed.rows, cols: i, w: next };
    }
  }
  if (!composed) return { convs: [] };
  const { rows, cols, w } = composed;
  const gram = new Float64Array(rows * rows);
  for (let a = 0; a < rows; a++) for (let b = a; b < rows; b++) {
    let sum = 0;
    for (let k = 0; k < cols; k++) sum += w[a * cols + k] * w[b * cols + k];
    gram[a * rows + b] = gram[b * rows + a] = sum;
  }
  const sv = Array.from(symmetricEigen(gram, rows).values, (x) => Math.sqrt(Math.max(0, x)));
  return { convs: convs.reverse(), singular_values_at_least_0_5: sv.filter((x) => x >= 0.5).length, largest_below_0_5: +(sv.find((x) => x < 0.5) ?? 0).toFixed(3),
    singular_values: Object.fromEntries([0, 32, 56, 57, 58, 64, 128, 191].filter((k) => k < sv.length).map((k) => [`#${k + 1}`, +sv[k].toExponential(2)])) };
}

const full = { ...report, generator_check: check, projection_check: projectionCheck(), final_linear_map: finalLinearMap() };
console.log(JSON.stringify(full, null, 1));
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ ...full, ...structure }));
console.error(`structure written to ${outFile}`);
