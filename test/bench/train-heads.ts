/**
 * Evaluation of trained projection heads on lfw-dev (MTCNN + MobileFaceNet-192 embeddings, cached
 * in .cache/embeddings after the first run).
 *
 * Protocol: LFW View 2 sets 1-3 are people-disjoint. For each test set f, heads are trained on the
 * people of the other two sets (20% of those people held out for early stopping) and tested on
 *   - the official pairs of fold f (300 same + 300 different): accuracy over 10 blocks of 30 + 30
 *     with the threshold chosen on the other 9 blocks, and TAR at FAR 1e-3 (with 300 impostor
 *     pairs this is TAR at zero false accepts);
 *   - dense pairs among all images of set f: every different-person pair (~0.8 M) and up to 45
 *     same-person pairs per person, for TAR at FAR 1e-3 and 1e-4 measured, not extrapolated.
 * Domains: hi = images/ (deep-funneled 250 px), lo = images_orig150/ (150 px frames, face ~70 px),
 * grey = images_orig150 made grey, 56 px, JPEG q40 (face ~26 px; see degraded-lfw.ts), and
 * mixed = enrolment photo from images/, probe from grey (the head trained on both).
 * Then a convergence comparison (triplet vs center, bottleneck head from a random start, 3 seeds),
 * and the pictures.
 *
 * Run: npx tsx test/bench/train-heads.ts [--out docs/training] [--folds 1,2,3] [--part main|convergence] [--quick]
 * Writes <out>/results.json (main), <out>/convergence.json and SVG pictures; prints Markdown tables.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../../models/paths.ts';
import { readCsvRows } from '../../calibration/csv-rows.ts';
import { loadPairsCsv } from '../../calibration/pairs.ts';
import { kFoldAccuracy, blockFolds, rocCurve, tarAtFar, equalErrorRate, dPrime } from '../../sdk/metrics/index.ts';
import { embedLabeledImages } from '../../calibration/train/embedding-cache.ts';
import { embeddingSet, type EmbeddingSet } from '../../calibration/train/dataset.ts';
import { trainHead, epochsToReach, type TrainOptions, type TrainResult } from '../../calibration/train/trainer.ts';
import type { ProjectionHead } from '../../calibration/train/head.ts';
import { createRng } from '../../calibration/train/rng.ts';
import { curveChart, pcaScatter, topPeople } from '../../calibration/train/charts.ts';
import { ensureDegradedLfw, DEGRADE } from './degraded-lfw.ts';

const LFW = resolve(REPO_ROOT, '..', 'shared', 'data', 'lfw-dev');
const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const OUT = resolve(flag('--out') ?? join(REPO_ROOT, 'docs', 'training'));
const FOLDS = (flag('--folds') ?? '1,2,3').split(',').map(Number);
/** --quick: 2 epochs everywhere, one seed: checks the script end to end, numbers meaningless. */
const QUICK = args.includes('--quick');
/** --part main | convergence (default both): the test table, or the triplet-vs-center convergence runs. */
const PART = flag('--part') ?? 'all';
if (!['all', 'main', 'convergence'].includes(PART)) {
  console.error('--part must be main, convergence or all');
  process.exit(2);
}
if (!existsSync(LFW)) {
  console.error(`needs ${LFW}`);
  process.exit(1);
}

// ---------- data ----------
interface ImageMeta { key: string; identity: string; set: number }
interface Domain { name: 'hi' | 'lo' | 'grey'; vectors: Float32Array; dim: number; row: Map<string, number>; failed: Set<number>; fallback: Record<string, number> }

const meta: ImageMeta[] = [];
for await (const { values } of readCsvRows(join(LFW, 'identities.csv'), { required: ['image', 'identity', 'lfw_set'], describe: 'image,identity,lfw_set' })) {
  meta.push({ key: values.image, identity: values.identity, set: Number(values.lfw_set) });
}
const setOfPerson = new Map(meta.map((m) => [m.identity, m.set]));

async function loadDomain(name: Domain['name'], dir: string): Promise<Domain> {
  const t0 = performance.now();
  const emb = await embedLabeledImages(meta.map((m) => ({ key: m.key, path: join(dir, m.key) })), {
    detector: 'mtcnn', embedder: 'mobilefacenet-192', imagesDir: dir,
    onProgress: (d, t) => { if (d % 200 === 0 || d === t) process.stderr.write(`${name}: embedded ${d}/${t}\n`); },
  });
  const failed = new Set<number>();
  const fallback: Record<string, number> = {};
  emb.index.fallback.forEach((f, i) => { fallback[f] = (fallback[f] ?? 0) + 1; if (f === 'failed') failed.add(i); });
  process.stderr.write(`${name}: ${meta.length} images (${emb.extracted} embedded now, ${((performance.now() - t0) / 1000).toFixed(1)} s), ${JSON.stringify(fallback)}\n`);
  return { name, vectors: emb.vectors, dim: emb.index.dim, row: new Map(meta.map((m, i) => [m.key, i])), failed, fallback };
}

const hi = await loadDomain('hi', join(LFW, 'images'));
const lo = await loadDomain('lo', join(LFW, 'images_orig150'));
const GREY_DIR = join(REPO_ROOT, '.cache', 'lfw-dev-degraded', `images_grey${DEGRADE.size}`);
await ensureDegradedLfw(join(LFW, 'images_orig150'), GREY_DIR, meta.map((m) => m.key));
const grey = await loadDomain('grey', GREY_DIR);
const officialAll = (await loadPairsCsv(join(LFW, 'pairs.csv'), join(LFW, 'images'))).pairs
  .map((p) => ({ a: relative(join(LFW, 'images'), p.a), b: relative(join(LFW, 'images'), p.b), same: p.same, fold: p.fold }));

type Condition = 'hi' | 'lo' | 'grey' | 'mixed';
const CONDITIONS: Condition[] = ['hi', 'lo', 'grey', 'mixed'];
/** Domain of the first and second image of a pair, and the domains a head trains on. */
const SIDES: Record<Condition, { a: Domain; b: Domain; train: Domain[] }> = {
  hi: { a: hi, b: hi, train: [hi] },
  lo: { a: lo, b: lo, train: [lo] },
  grey: { a: grey, b: grey, train: [grey] },
  mixed: { a: hi, b: grey, train: [hi, grey] },
};

function trainingSet(domains: Domain[], sets: Set<number>): EmbeddingSet {
  const rows: { identity: string; vector: Float32Array; image: string }[] = [];
  for (const d of domains) {
    meta.forEach((m, i) => {
      if (!sets.has(m.set) || d.failed.has(i)) return;
      rows.push({ identity: m.identity, vector: d.vectors.subarray(i * d.dim, (i + 1) * d.dim), image: `${d.name}:${m.key}` });
    });
  }
  return embeddingSet(rows);
}

// ---------- test metrics ----------
function projected(d: Domain, head: ProjectionHead | null): { v: ArrayLike<number>; dim: number } {
  return head ? { v: head.forward(d.vectors, meta.length).y, dim: head.outDim } : { v: d.vectors, dim: d.dim };
}

function dist(va: ArrayLike<number>, ia: number, vb: ArrayLike<number>, ib: number, dim: number, failed: boolean): number {
  if (failed) return 2; // an image without a face: the farthest possible distance
  let s = 0;
  for (let j = 0; j < dim; j++) { const t = va[ia * dim + j] - vb[ib * dim + j]; s += t * t; }
  return Math.sqrt(s);
}

interface TestResult {
  acc: number; accStd: number; tarOfficial1e3: number; dPrimeOfficial: number;
  denseTar1e3: number; denseTar1e4: number; denseEer: number; denseGenuine: number; denseImpostor: number;
  meanImpostor: number;
}

/** Dense pair index lists for a fold (seeded, reused by every head of that fold). */
function densePairs(fold: number, cond: Condition): { ga: Int32Array; gb: Int32Array; rows: number[] } {
  const { a, b } = SIDES[cond];
  const rows = meta.map((m, i) => i).filter((i) => meta[i].set === fold && !a.failed.has(i) && !b.failed.has(i));
  const rng = createRng(100 + fold);
  const byPerson = new Map<string, number[]>();
  for (const r of rows) { const l = byPerson.get(meta[r].identity) ?? []; l.push(r); byPerson.set(meta[r].identity, l); }
  const ga: number[] = [];
  const gb: number[] = [];
  for (const list of byPerson.values()) {
    const all: [number, number][] = [];
    for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) all.push([list[x], list[y]]);
    if (all.length > 45) rng.shuffle(all);
    for (const [x, y] of all.slice(0, 45)) { ga.push(x); gb.push(y); }
  }
  return { ga: Int32Array.from(ga), gb: Int32Array.from(gb), rows };
}

function testHead(head: ProjectionHead | null, fold: number, cond: Condition, dense: ReturnType<typeof densePairs>): TestResult {
  const { a, b } = SIDES[cond];
  const pa = projected(a, head);
  const pb = a === b ? pa : projected(b, head);
  const dim = pa.dim;
  const pairs = officialAll.filter((p) => p.fold === fold);
  const d = Float64Array.from(pairs, (p) => {
    const ia = a.row.get(p.a)!;
    const ib = b.row.get(p.b)!;
    return dist(pa.v, ia, pb.v, ib, dim, a.failed.has(ia) || b.failed.has(ib));
  });
  const same = Uint8Array.from(pairs, (p) => (p.same ? 1 : 0));
  const k = kFoldAccuracy(d, same, blockFolds(same, 10));
  const g = [...d].filter((_, i) => same[i]);
  const m = [...d].filter((_, i) => !same[i]);
  const rocO = rocCurve(g, m);
  // Dense: all different-person pairs among the fold's images (a-side image i, b-side image j).
  const gd = new Float64Array(dense.ga.length);
  for (let i = 0; i < gd.length; i++) gd[i] = dist(pa.v, dense.ga[i], pb.v, dense.gb[i], dim, false);
  const rows = dense.rows;
  const imp: number[] = [];
  for (let x = 0; x < rows.length; x++) {
    for (let y = x + 1; y < rows.length; y++) {
      if (meta[rows[x]].identity === meta[rows[y]].identity) continue;
      imp.push(dist(pa.v, rows[x], pb.v, rows[y], dim, false));
    }
  }
  const roc = rocCurve(gd, imp);
  return {
    acc: k.mean, accStd: k.std, tarOfficial1e3: tarAtFar(rocO, 1e-3).tar, dPrimeOfficial: dPrime(g, m),
    denseTar1e3: tarAtFar(roc, 1e-3).tar, denseTar1e4: tarAtFar(roc, 1e-4).tar, denseEer: equalErrorRate(roc).eer,
    denseGenuine: gd.length, denseImpostor: imp.length, meanImpostor: imp.reduce((s, v) => s + v, 0) / imp.length,
  };
}

// ---------- training settings (chosen on the validation people of fold 1, never on test pairs) ----------
const COMMON: Partial<TrainOptions> = { epochs: QUICK ? 2 : 60, patience: 10, seed: 1, peoplePerBatch: 16, imagesPerPerson: 4 };
const SETTINGS: Record<'triplet' | 'center' | 'naive', TrainOptions> = {
  triplet: { ...COMMON, loss: 'triplet', lr: 1e-3, margin: 0.2, fallback: 'none' } as TrainOptions,
  center: { ...COMMON, loss: 'center', lr: 1e-3, lambda: 0.1, centerAlpha: 0.5, softmaxScale: 16 } as TrainOptions,
  // The naive baseline is shown as trained (no early stopping), to show where it goes.
  naive: { ...COMMON, loss: 'naive', lr: 1e-3, epochs: QUICK ? 2 : 30, patience: 0, restoreBest: false } as TrainOptions,
};
const LOSSES = ['triplet', 'center', 'naive'] as const;
const started = performance.now();
const pct = (v: number, dp = 2) => (v * 100).toFixed(dp);
const avg = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
await mkdir(OUT, { recursive: true });
const pictures: string[] = [];
async function picture(name: string, svg: string) {
  await writeFile(join(OUT, name), svg);
  pictures.push(name);
}

// ---------- main: heads vs no head on unseen people ----------
if (PART !== 'convergence') {
  interface Row { cond: Condition; fold: number; head: string; bestEpoch?: number; epochs?: number; valAcc?: number; valAccRaw?: number; test: TestResult }
  const rows: Row[] = [];
  const runs: Record<string, TrainResult> = {};
  for (const cond of CONDITIONS) {
    for (const fold of FOLDS) {
      const trainSets = new Set([1, 2, 3].filter((s) => s !== fold));
      const set = trainingSet(SIDES[cond].train, trainSets);
      const dense = densePairs(fold, cond);
      rows.push({ cond, fold, head: 'none', test: testHead(null, fold, cond, dense) });
      for (const loss of LOSSES) {
        const t0 = performance.now();
        const r = trainHead(set, { ...SETTINGS[loss], valFraction: 0.2 });
        runs[`${cond}-${fold}-${loss}`] = r;
        const best = r.history[r.bestEpoch].val;
        rows.push({ cond, fold, head: loss, bestEpoch: r.bestEpoch, epochs: r.history.length - 1, valAcc: best.accuracy, valAccRaw: r.baseline.accuracy, test: testHead(r.head, fold, cond, dense) });
        process.stderr.write(`${cond} fold ${fold} ${loss}: best epoch ${r.bestEpoch}/${r.history.length - 1}, val ${pct(best.accuracy)}% (raw ${pct(r.baseline.accuracy)}%), ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    }
  }
  const PIC_FOLD = FOLDS[0];
  // Validation accuracy and mean different-person distance per epoch, identity start.
  for (const cond of CONDITIONS) {
    const series = LOSSES.map((loss) => { const r = runs[`${cond}-${PIC_FOLD}-${loss}`]; return { name: loss, epochs: r.history.map((h) => h.epoch), values: r.history.map((h) => h.val.accuracy) }; });
    await picture(`val-${cond}.svg`, curveChart({ title: `validation accuracy per epoch, identity start (${cond})`, yLabel: 'accuracy, unseen people', kind: `val-${cond}`, series }));
    const imp = LOSSES.map((loss) => { const r = runs[`${cond}-${PIC_FOLD}-${loss}`]; return { name: loss, epochs: r.history.map((h) => h.epoch), values: r.history.map((h) => h.val.meanImpostor) }; });
    await picture(`impostor-distance-${cond}.svg`, curveChart({ title: `mean different-person distance (${cond})`, yLabel: 'L2 distance, unit vectors', kind: `imp-${cond}`, yMin: 0, series: imp }));
    for (const loss of ['triplet', 'center'] as const) {
      const h = runs[`${cond}-${PIC_FOLD}-${loss}`].history.filter((e) => e.trainLoss !== null);
      await picture(`loss-${cond}-${loss}.svg`, curveChart({ title: `${loss} loss per epoch (${cond}, identity start)`, yLabel: 'mean batch loss', kind: `loss-${cond}-${loss}`, series: [{ name: loss, epochs: h.map((e) => e.epoch), values: h.map((e) => e.trainLoss!) }] }));
    }
  }
  // Embedding space of unseen people (test set PIC_FOLD), before and after.
  for (const cond of ['grey', 'hi'] as Condition[]) {
    const d = SIDES[cond].a;
    const testRows = meta.map((m, i) => i).filter((i) => meta[i].set === PIC_FOLD && !d.failed.has(i));
    const mk = (v: ArrayLike<number>, dim: number) => embeddingSet(testRows.map((r) => ({ identity: meta[r].identity, vector: Float32Array.from({ length: dim }, (_, j) => v[r * dim + j]) })));
    const raw = mk(d.vectors, d.dim);
    const people = topPeople(raw, 10);
    await picture(`pca-${cond}-raw.svg`, pcaScatter({ title: `unseen people (${cond}): embedder alone`, set: raw, vectors: raw.vectors, dim: raw.dim, people, kind: `pca-${cond}-raw` }));
    for (const loss of LOSSES) {
      const p = projected(d, runs[`${cond}-${PIC_FOLD}-${loss}`].head);
      const s2 = mk(p.v, p.dim);
      await picture(`pca-${cond}-${loss}.svg`, pcaScatter({ title: `unseen people (${cond}): + ${loss} head`, set: s2, vectors: s2.vectors, dim: s2.dim, people, kind: `pca-${cond}-${loss}` }));
    }
  }
  await writeFile(join(OUT, 'results.json'), JSON.stringify({
    generatedAt: new Date().toISOString(),
    command: `npx tsx test/bench/train-heads.ts --part main --folds ${FOLDS.join(',')}`,
    pipeline: 'mtcnn + mobilefacenet-192, face nearest the centre, pipeline fallback on',
    fallback: { hi: hi.fallback, lo: lo.fallback, grey: grey.fallback },
    degrade: DEGRADE,
    settings: SETTINGS,
    rows,
    trainSplits: Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, r.split])),
    seconds: (performance.now() - started) / 1000,
  }, null, 1));
  console.log(`| domain | head | acc % (10-block, mean of ${FOLDS.length} folds) | TAR@FAR1e-3 official (0 FA) | dense TAR@1e-3 | dense TAR@1e-4 | dense EER % | best epoch per fold |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const cond of CONDITIONS) {
    for (const head of ['none', ...LOSSES]) {
      const rs = rows.filter((r) => r.cond === cond && r.head === head);
      const t = (f: (x: TestResult) => number) => avg(rs.map((r) => f(r.test)));
      console.log(`| ${cond} | ${head} | ${pct(t((x) => x.acc))} ± ${pct(avg(rs.map((r) => r.test.accStd)))} | ${pct(t((x) => x.tarOfficial1e3), 1)} | ${pct(t((x) => x.denseTar1e3), 1)} | ${pct(t((x) => x.denseTar1e4), 1)} | ${pct(t((x) => x.denseEer))} | ${head === 'naive' ? `${rs[0].epochs} (fixed)` : rs.map((r) => r.bestEpoch ?? '-').join('/')} |`);
    }
  }
}

// ---------- convergence: triplet vs center, bottleneck head from a random start ----------
// A linear head from a random start keeps ~99% of the accuracy (random projections preserve
// distances), leaving nothing to converge to; a 192 -> 128 (ReLU) -> 32 head from a He start
// begins several points lower and has to learn. Same validation people for every run
// (splitSeed 1); the seed changes the initial weights and the batch order.
if (PART !== 'main') {
  interface Convergence { cond: Condition; fold: number; loss: string; seed: number; history: { epoch: number; loss: number | null; valAcc: number; valDPrime: number }[]; rawValAcc: number; rawValDPrime: number; msPerEpoch: number }
  const convergence: Convergence[] = [];
  const CONV_FOLD = FOLDS[0];
  const CONV_SEEDS = QUICK ? [1] : [1, 2, 3, 4, 5];
  const CONV_EPOCHS = QUICK ? 2 : 25;
  const CONV_HEAD: Partial<TrainOptions> = { init: 'he', hidden: 128, activation: 'relu', dim: 32, epochs: CONV_EPOCHS, patience: 0 };
  const CONV_DOMAINS: Condition[] = ['hi', 'grey'];
  for (const cond of CONV_DOMAINS) {
    const set = trainingSet(SIDES[cond].train, new Set([1, 2, 3].filter((s) => s !== CONV_FOLD)));
    for (const loss of ['triplet', 'center'] as const) {
      for (const seed of CONV_SEEDS) {
        const r = trainHead(set, { ...SETTINGS[loss], ...CONV_HEAD, seed, splitSeed: 1, valFraction: 0.2 } as TrainOptions);
        const ms = r.history.slice(1).reduce((s, h) => s + h.ms, 0) / (r.history.length - 1);
        convergence.push({ cond, fold: CONV_FOLD, loss, seed, rawValAcc: r.baseline.accuracy, rawValDPrime: r.baseline.dPrime, msPerEpoch: ms, history: r.history.map((h) => ({ epoch: h.epoch, loss: h.trainLoss, valAcc: h.val.accuracy, valDPrime: h.val.dPrime })) });
        process.stderr.write(`convergence ${cond} ${loss} seed ${seed}: ${r.history.map((h) => pct(h.val.accuracy, 1)).join(' ')}\n`);
      }
    }
  }
  /**
   * Epochs each run needs to reach start + f x (best - start) of validation accuracy and of d',
   * start = mean epoch-0 value, best = the highest value any run of that domain reached.
   */
  type Metric = 'valAcc' | 'valDPrime';
  const targets: { cond: Condition; metric: Metric; fraction: number; target: number; triplet: (number | null)[]; center: (number | null)[] }[] = [];
  for (const cond of CONV_DOMAINS) {
    const c = convergence.filter((x) => x.cond === cond);
    for (const metric of ['valAcc', 'valDPrime'] as Metric[]) {
      const start = avg(c.map((x) => x.history[0][metric]));
      const best = Math.max(...c.flatMap((x) => x.history.map((h) => h[metric])));
      for (const fraction of [0.5, 0.8, 0.9]) {
        const target = start + fraction * (best - start);
        const ep = (loss: string) => c.filter((x) => x.loss === loss).map((x) => x.history.find((h) => h[metric] >= target - 1e-12)?.epoch ?? null);
        targets.push({ cond, metric, fraction, target, triplet: ep('triplet'), center: ep('center') });
      }
    }
  }
  for (const cond of CONV_DOMAINS) {
    const c = convergence.filter((x) => x.cond === cond);
    const mean = (loss: string, f: (h: Convergence['history'][number]) => number) => {
      const runsOf = c.filter((x) => x.loss === loss);
      return runsOf[0].history.map((_, e) => avg(runsOf.map((x) => f(x.history[e]))));
    };
    const epochs = c[0].history.map((h) => h.epoch);
    await picture(`convergence-${cond}.svg`, curveChart({
      title: `192-128-32 head from a random start (${cond}), mean of ${CONV_SEEDS.length} seeds`, yLabel: 'validation accuracy, unseen people', kind: `conv-${cond}`,
      series: [
        { name: 'triplet', epochs, values: mean('triplet', (h) => h.valAcc) },
        { name: 'center', epochs, values: mean('center', (h) => h.valAcc) },
        { name: 'embedder alone', epochs: [0, CONV_EPOCHS], values: [c[0].rawValAcc, c[0].rawValAcc], dashed: true },
      ],
    }));
    for (const loss of ['triplet', 'center']) {
      await picture(`convergence-loss-${cond}-${loss}.svg`, curveChart({ title: `${loss} loss per epoch (${cond}, random start), mean of ${CONV_SEEDS.length} seeds`, yLabel: 'mean batch loss', kind: `closs-${cond}-${loss}`, series: [{ name: loss, epochs: epochs.slice(1), values: mean(loss, (h) => h.loss ?? NaN).slice(1) }] }));
    }
  }
  await writeFile(join(OUT, 'convergence.json'), JSON.stringify({
    generatedAt: new Date().toISOString(),
    command: `npx tsx test/bench/train-heads.ts --part convergence --folds ${FOLDS.join(',')}`,
    head: CONV_HEAD, settings: { triplet: SETTINGS.triplet, center: SETTINGS.center }, seeds: CONV_SEEDS, targets, convergence,
  }, null, 1));
  console.log(`\nconvergence, 192-128-32 head from a He start, fold ${CONV_FOLD}: epochs to reach start + f x (best - start); seeds ${CONV_SEEDS.join(',')}; '>${CONV_EPOCHS}' = never`);
  console.log('| domain | metric | f | target | triplet epochs | center epochs | median triplet / center |');
  console.log('|---|---|---|---|---|---|---|');
  const med = (xs: (number | null)[]) => { const v = xs.map((x) => x ?? Infinity).sort((a, b) => a - b); const m = v[(v.length - 1) >> 1]; return Number.isFinite(m) ? String(m) : `>${CONV_EPOCHS}`; };
  for (const t of targets) {
    console.log(`| ${t.cond} | ${t.metric === 'valAcc' ? 'val acc' : "val d'"} | ${t.fraction} | ${t.metric === 'valAcc' ? pct(t.target) + '%' : t.target.toFixed(2)} | ${t.triplet.map((e) => e ?? `>${CONV_EPOCHS}`).join(', ')} | ${t.center.map((e) => e ?? `>${CONV_EPOCHS}`).join(', ')} | ${med(t.triplet)} / ${med(t.center)} |`);
  }
  for (const cond of CONV_DOMAINS) for (const loss of ['triplet', 'center']) {
    const c = convergence.filter((x) => x.cond === cond && x.loss === loss);
    const last = c.map((x) => x.history[x.history.length - 1]);
    const best = c.map((x) => Math.max(...x.history.map((h) => h.valAcc)));
    console.log(`${cond} ${loss}: ${avg(c.map((x) => x.msPerEpoch)).toFixed(0)} ms/epoch; val acc at epoch ${CONV_EPOCHS} ${pct(avg(last.map((h) => h.valAcc)))}% (best ${pct(avg(best))}%), d' ${avg(last.map((h) => h.valDPrime)).toFixed(2)}; embedder alone ${pct(c[0].rawValAcc)}%, d' ${c[0].rawValDPrime.toFixed(2)}`);
  }
}
console.log(`\nwrote ${pictures.length} pictures and JSON to ${OUT}; ${((performance.now() - started) / 1000).toFixed(0)} s`);
