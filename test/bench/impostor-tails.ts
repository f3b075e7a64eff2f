/**
 * Fits the impostor-distance tail of each embedder variant on a labelled set and checks it:
 *  1. half split: fit on the pairs of half the people, compare the predicted P(d < t) with the
 *     empirical rate among the other half's pairs at the thresholds of rates 1e-3 .. 1e-6;
 *  2. gallery size: strangers (half of the single-photo people) against random galleries of
 *     180..1,100 other people's first photos, predicted FPIR 1 - (1 - p)^N vs measured, at
 *     several target FPIRs (5 random galleries per size, counts pooled).
 * --write: writes sdk/match/impostor-tails-data.ts (tails fitted on all people).
 *   node --import tsx test/bench/impostor-tails.ts --labeled-csv <csv> --images <dir> [--same-person docs/data/lfw-dev-same-person.csv] [--write]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { loadLabelFixes, applyLabelFixes } from '../../calibration/label-fixes.ts';
import { labeledRows, type RowsModel } from '../../calibration/open-set-rows.ts';
import { impostorDistances, type LabeledRows } from '../../calibration/open-set-protocol.ts';
import { seededRandom } from '../../calibration/random.ts';
import { fitImpostorTail, impostorQuantile, impostorRateAt, thresholdForFpir, type ImpostorTail } from '../../sdk/match/operating-point.ts';
import { tailKey } from '../../sdk/match/impostor-tails.ts';
import { FUSIONS } from '../../sdk/embed/fusion.ts';
import type { TrainEmbedder } from '../../calibration/train/embedding-cache.ts';

const { values } = parseArgs({ options: {
  'labeled-csv': { type: 'string' }, images: { type: 'string' }, 'same-person': { type: 'string' }, variants: { type: 'string' }, write: { type: 'boolean' },
} });
const images = values.images!;
let items = await loadLabeledCsv(values['labeled-csv']!, images);
if (values['same-person']) items = applyLabelFixes(items, await loadLabelFixes(values['same-person'], values.images!));
const variants = (values.variants ?? 'mobilefacenet-192,mobilefacenet-192+flip,fr-feature-512,fr-feature-512+flip,fusion-mfn192-fr512,fusion-mfn192-fr512+flip').split(',');
const model = (id: string, flip: boolean): RowsModel => {
  const f = FUSIONS[id];
  return f ? { parts: f.parts as readonly TrainEmbedder[], weightA: f.weightA, flip } : { parts: [id as TrainEmbedder], flip };
};
const r = (x: number, d = 4) => Number(x.toPrecision(d));

function empiricalRate(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m] < t) lo = m + 1; else hi = m; }
  return lo / sorted.length;
}

function galleryCheck(rows: LabeledRows, tail: ImpostorTail) {
  const byId = new Map<string, number[]>();
  rows.identity.forEach((id, i) => { if (rows.ok[i]) byId.set(id, [...(byId.get(id) ?? []), i]); });
  const ids = [...byId.keys()];
  const singles = ids.filter((id) => byId.get(id)!.length === 1);
  const strangers = singles.filter((_, i) => i % 2 === 0).map((id) => byId.get(id)![0]);
  const strangerSet = new Set(singles.filter((_, i) => i % 2 === 0));
  const pool = ids.filter((id) => !strangerSet.has(id)).map((id) => byId.get(id)![0]);
  const out = [];
  for (const size of [180, 300, 600, 900, Math.min(1100, pool.length)]) {
    const targets = [0.05, 0.02, 0.01, 0.005, 0.002, 0.001];
    const hits = targets.map(() => 0);
    let searches = 0;
    for (let s = 1; s <= 5; s++) {
      const rand = seededRandom(s * 7919 + size);
      const g = [...pool];
      for (let i = g.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [g[i], g[j]] = [g[j], g[i]]; }
      const gallery = g.slice(0, size);
      const th = targets.map((f) => thresholdForFpir(tail, f, size).threshold);
      for (const q of strangers) {
        let best = Infinity;
        for (const t of gallery) {
          let dot = 0;
          for (let j = 0; j < rows.dim; j++) dot += rows.vectors[q * rows.dim + j] * rows.vectors[t * rows.dim + j];
          best = Math.min(best, Math.sqrt(Math.max(0, 2 - 2 * dot)));
        }
        th.forEach((t, k) => { if (best < t) hits[k]++; });
        searches++;
      }
    }
    out.push({ gallery: size, searches, predicted_vs_measured: targets.map((f, k) => `${f}: ${r(hits[k] / searches, 3)} (${hits[k]})`) });
  }
  return out;
}

const tails: Record<string, ImpostorTail> = {};
for (const v of variants) {
  const [id, flipTag] = v.split('+');
  const flip = flipTag === 'flip';
  const rows = await labeledRows(items, images, 'mtcnn', model(id, flip));
  const key = tailKey(id, flip);
  // 1. half split by identity (alternate names in sorted order)
  const names = [...new Set(rows.identity)].sort();
  const half = new Set(names.filter((_, i) => i % 2 === 0));
  const fitA = fitImpostorTail(impostorDistances(rows, (n) => half.has(n)), key);
  const testB = impostorDistances(rows, (n) => !half.has(n)).sort();
  const split = [1e-3, 1e-4, 1e-5, 1e-6].map((p) => {
    const t = impostorQuantile(fitA, p);
    const emp = empiricalRate(testB, t);
    return { rate_predicted: p, threshold: r(t), rate_measured: r(emp, 3), count: Math.round(emp * testB.length), of: testB.length };
  });
  // all people: the stored tail
  const all = fitImpostorTail(impostorDistances(rows), key, 1e-3, 'test/bench/impostor-tails.ts on lfw-dev identities.csv (same-person names merged)');
  tails[key] = all;
  console.log(JSON.stringify({ variant: key, pairs: all.pairs, split: all.table[0].map((x) => r(x)), gpd: { xi: r(all.gpd.xi), sigma: r(all.gpd.sigma) }, half_split: split, gallery_check: galleryCheck(rows, all),
    thresholds_at_fpir_1e3: Object.fromEntries([1000, 10000, 50000].map((n) => [n, r(thresholdForFpir(all, 1e-3, n).threshold)])) }));
  void impostorRateAt;
}
if (values.write) {
  const body = Object.entries(tails).map(([k, t]) => `  '${k}': ${JSON.stringify({ ...t, table: t.table.map(([d, p]) => [r(d, 6), r(p, 6)]) })},`).join('\n');
  await writeFile(new URL('../../sdk/match/impostor-tails-data.ts', import.meta.url), `/** Generated by test/bench/impostor-tails.ts --write; do not edit by hand. */\nimport type { ImpostorTail } from './operating-point.ts';\n\nexport const IMPOSTOR_TAILS: Readonly<Record<string, ImpostorTail>> = {\n${body}\n};\n`);
  console.error('wrote sdk/match/impostor-tails-data.ts');
}
