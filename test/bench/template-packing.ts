/**
 * Distance error introduced by packing enrolled templates as float16 or int8+scale, on real
 * embeddings: LFW-dev pairs through the real pipeline (MTCNN + MobileFaceNet-192 / fr_feature-512).
 * The first image of a pair plays the enrolled template (packed, decoded, re-normalised as the
 * gallery does), the second the live probe (float32).
 *
 *   node --import tsx test/bench/template-packing.ts [--folds 1] [--embedders mobilefacenet-192,fr-feature-512]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { createPipeline } from '../../sdk/pipeline/index.ts';
import { encodeRecord, decodeRecords, type TemplateEncoding } from '../../sdk/mqtt/template-codec.ts';

const LFW = join(import.meta.dirname, '../../../shared/data/lfw-dev');
function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
if (!existsSync(LFW)) {
  console.error('bench/template-packing: needs ../shared/data/lfw-dev');
  process.exit(1);
}
const folds = new Set(arg('folds', '1').split(','));
const embedders = arg('embedders', 'mobilefacenet-192,fr-feature-512').split(',');
const rows = (parse(readFileSync(join(LFW, 'pairs.csv')), { columns: true, skip_empty_lines: true }) as { fold: string; image_a: string; image_b: string; same: string }[])
  .filter((r) => folds.has(r.fold.trim()));
const images = [...new Set(rows.flatMap((r) => [r.image_a, r.image_b]))];

function unit(v: Float32Array): Float32Array {
  let q = 0;
  for (const x of v) q += x * x;
  const inv = 1 / Math.sqrt(q);
  return v.map((x) => x * inv);
}
function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
function pack(v: Float32Array, enc: TemplateEncoding): Float32Array {
  return unit(decodeRecords(encodeRecord({ identity: 'x', templates: [v] }, enc, v.length), enc, v.length)[0].templates[0]);
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
/**
 * Equal error rate and its threshold from genuine/impostor distances. The threshold is placed
 * halfway between two observed distances, so no pair sits exactly on it.
 */
function eer(gen: number[], imp: number[]): { eer: number; t: number } {
  const ts = [...gen, ...imp].sort((a, b) => a - b);
  let best = { eer: 1, t: 0, gap: Infinity };
  for (let i = 0; i + 1 < ts.length; i++) {
    const t = (ts[i] + ts[i + 1]) / 2;
    const frr = gen.filter((d) => d > t).length / gen.length;
    const far = imp.filter((d) => d <= t).length / imp.length;
    if (Math.abs(frr - far) < best.gap) best = { eer: (frr + far) / 2, t, gap: Math.abs(frr - far) };
  }
  return { eer: best.eer, t: best.t };
}

for (const embedder of embedders) {
  const p = await createPipeline({ embedder: embedder as 'mobilefacenet-192' });
  const emb = new Map<string, Float32Array>();
  const t0 = performance.now();
  for (const img of images) {
    const r = await p.analyze(join(LFW, 'images', img), { fallback: true, maxFaces: 1 });
    if (r.faces[0]) emb.set(img, unit(r.faces[0].embedding));
  }
  await p.release();
  const pairs = rows.filter((r) => emb.has(r.image_a) && emb.has(r.image_b));
  const base = pairs.map((r) => dist(emb.get(r.image_a)!, emb.get(r.image_b)!));
  const same = pairs.map((r) => r.same.trim() === '1');
  const ref = eer(base.filter((_, i) => same[i]), base.filter((_, i) => !same[i]));
  const dim = emb.values().next().value!.length;
  const margin = Math.min(...base.map((d) => Math.abs(d - ref.t)));
  const out: Record<string, unknown> = { embedder, dim, images: emb.size, pairs: pairs.length, embedSeconds: Math.round((performance.now() - t0) / 1000),
    fp32: { eer: ref.eer, threshold: Number(ref.t.toFixed(4)), nearestPairToThreshold: Number(margin.toExponential(2)) } };
  for (const enc of ['f16', 'i8'] as const) {
    const d = pairs.map((r) => dist(pack(emb.get(r.image_a)!, enc), emb.get(r.image_b)!));
    const err = d.map((x, i) => Math.abs(x - base[i]));
    const self = [...emb.values()].map((v) => dist(pack(v, enc), v));
    const flips = d.filter((x, i) => (x <= ref.t) !== (base[i] <= ref.t)).length;
    const e = eer(d.filter((_, i) => same[i]), d.filter((_, i) => !same[i]));
    out[enc] = {
      bytesPerTemplate: enc === 'f16' ? 2 * dim : dim + 4,
      pairDistanceErr: { mean: Number((err.reduce((a, b) => a + b, 0) / err.length).toExponential(2)), p99: Number(q(err, 0.99).toExponential(2)), max: Number(Math.max(...err).toExponential(2)) },
      templateShift: { mean: Number((self.reduce((a, b) => a + b, 0) / self.length).toExponential(2)), max: Number(Math.max(...self).toExponential(2)) },
      decisionFlipsAtFp32EerThreshold: flips,
      eer: e.eer,
    };
  }
  console.log(JSON.stringify(out));
}
