/**
 * `facegate train-head` end to end: labelled CSV -> cached embeddings -> people-disjoint split ->
 * training -> head ONNX (checked in ONNX Runtime against the TS forward pass) -> optionally the
 * embedder fused with the head, registered in the pack under its own model id.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FaceGateError } from '../../sdk/errors.ts';
import { DEFAULT_DETECTOR, DEFAULT_EMBEDDER } from '../../sdk/registry.ts';
import { loadLabeledCsv } from '../labeled.ts';
import { checkImagesExist } from '../embed-images.ts';
import { PACK_DIR } from '../../models/paths.ts';
import { curveChart, pcaScatter, topPeople } from './charts.ts';
import { embeddingSet, rowCount, splitPeople } from './dataset.ts';
import { embedLabeledImages, type TrainDetector, type TrainEmbedder } from './embedding-cache.ts';
import { headToOnnx } from './onnx-export.ts';
import { registerFusedHead } from './register-head.ts';
import { createRng } from './rng.ts';
import { trainHeadOnSplit, type EpochRecord, type TrainOptions } from './trainer.ts';
import type { PairMetrics } from './validation.ts';

export interface TrainHeadRequest extends Omit<TrainOptions, 'onEpoch'> {
  labeledCsv: string;
  images: string;
  out: string;
  detector?: TrainDetector;
  embedder?: TrainEmbedder;
  flip?: boolean;
  valFraction?: number;
  /** Also fuse the head after the embedder and register it in the pack. */
  fuse?: boolean;
  modelId?: string;
  packDir?: string;
  cacheDir?: string;
  /** Folder for SVG pictures: loss/accuracy curves and PCA maps before/after. */
  reportDir?: string;
  /** Progress lines (stderr in the CLI). */
  onLine?: (line: string) => void;
}

export interface EpochSummary {
  epoch: number;
  loss: number | null;
  val_accuracy: number;
  val_d_prime: number;
  val_mean_genuine: number;
  val_mean_impostor: number;
  semi_hard?: number;
  hard?: number;
  hard_skipped?: number;
  easy?: number;
  train_accuracy?: number;
}

export interface TrainHeadSummary {
  base_model: string;
  detector: TrainDetector;
  embedder: TrainEmbedder;
  loss: string;
  head: string;
  out: string;
  head_sha256: string;
  /** Largest |ONNX Runtime - TS| over the validation embeddings. */
  onnx_max_abs_err: number;
  images: { listed: number; embedded_now: number; failed: number };
  split: { train_people: number; train_images: number; val_people: number; val_images: number; val_pairs: number; single_image_people: number };
  val_without_head: PairMetrics;
  val_with_head: PairMetrics;
  best_epoch: number;
  epochs_run: number;
  stop_reason: string;
  history: EpochSummary[];
  options: Record<string, unknown>;
  fused?: { model_id: string; path: string; sha256: string };
  report?: string[];
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function epochLine(r: EpochRecord, total: number): string {
  const parts = [`epoch ${r.epoch}/${total}`, `loss ${r.trainLoss === null ? '-' : r.trainLoss.toFixed(4)}`,
    `val acc ${pct(r.val.accuracy)}`, `d' ${r.val.dPrime.toFixed(2)}`, `impostor dist ${r.val.meanImpostor.toFixed(3)}`];
  if (r.triplets) parts.push(`semi-hard ${r.triplets.semiHard} hard ${r.triplets.hard} easy ${r.triplets.easy}${r.triplets.hardSkipped ? ` hard-skipped ${r.triplets.hardSkipped}` : ''}`);
  if (r.center) parts.push(`train top-1 ${pct(r.center.trainAccuracy)}`);
  if (r.improved && r.epoch > 0) parts.push('*');
  return parts.join('  ');
}

export function summariseEpoch(r: EpochRecord): EpochSummary {
  const s: EpochSummary = {
    epoch: r.epoch, loss: r.trainLoss, val_accuracy: r.val.accuracy, val_d_prime: r.val.dPrime,
    val_mean_genuine: r.val.meanGenuine, val_mean_impostor: r.val.meanImpostor,
  };
  if (r.triplets) Object.assign(s, { semi_hard: r.triplets.semiHard, hard: r.triplets.hard, hard_skipped: r.triplets.hardSkipped, easy: r.triplets.easy });
  if (r.center) s.train_accuracy = r.center.trainAccuracy;
  return s;
}

async function checkOnnx(bytes: Uint8Array, x: Float32Array, n: number, d: number, expected: Float64Array): Promise<number> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'extended', intraOpNumThreads: 1 });
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, [n, d]) });
    const y = out[s.outputNames[0]].data as Float32Array;
    let m = 0;
    for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i] - expected[i]));
    return m;
  } finally {
    await s.release();
  }
}

export async function runTrainHead(req: TrainHeadRequest): Promise<TrainHeadSummary> {
  const say = req.onLine ?? (() => {});
  const detector = req.detector ?? DEFAULT_DETECTOR;
  const embedder = req.embedder ?? DEFAULT_EMBEDDER;
  const labeled = await loadLabeledCsv(req.labeledCsv, req.images);
  const root = resolve(req.images);
  const items = labeled.map((l) => ({ key: relative(root, l.path), path: l.path }));
  await checkImagesExist(items.map((i) => i.path)); // before any model work
  const emb = await embedLabeledImages(items, {
    detector, embedder, flip: req.flip, packDir: req.packDir, imagesDir: req.images, cacheDir: req.cacheDir,
    onProgress: (done, total) => { if (done === total || done % 100 === 0) say(`embedding ${done}/${total}`); },
  });
  if (emb.extracted === 0) say(`embeddings: all ${items.length} from the cache`);
  const dim = emb.index.dim;
  const rows: { identity: string; vector: Float32Array; image: string }[] = [];
  let failed = 0;
  labeled.forEach((l, i) => {
    if (emb.index.fallback[i] === 'failed') { failed++; return; }
    rows.push({ identity: l.identity, vector: emb.vectors.subarray(i * dim, (i + 1) * dim), image: items[i].key });
  });
  const set = embeddingSet(rows);
  const seed = req.seed ?? 1;
  const split = splitPeople(set, req.valFraction ?? 0.2, createRng(seed ^ 0x5eed));
  say(`${rows.length} faces of ${set.identities.length} people: training on ${split.train.identities.length} people (${rowCount(split.train)} images), validating on ${split.val.identities.length} others (${rowCount(split.val)})`);
  const result = trainHeadOnSplit(split.train, split.val, { ...req, onEpoch: (r) => say(epochLine(r, req.epochs)) }, split.singles);
  const { head } = result;
  const best = result.history.find((r) => r.epoch === result.bestEpoch)!;
  say(`best epoch ${result.bestEpoch}: val acc ${pct(best.val.accuracy)} (without head ${pct(result.baseline.accuracy)})${result.stopReason === 'early-stop' ? ', stopped early' : ''}`);

  const bytes = headToOnnx(head, {
    description: `${emb.index.modelId} ${req.loss} projection head ${head.describe()}`,
    extra: { 'facegate.base_model': emb.index.modelId, 'facegate.loss': req.loss },
  });
  const outPath = resolve(req.out);
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, bytes);
  const headSha = createHash('sha256').update(bytes).digest('hex');
  const nVal = rowCount(split.val);
  const onnxErr = await checkOnnx(bytes, split.val.vectors, nVal, dim, head.forward(split.val.vectors, nVal).y);
  if (!(onnxErr < 1e-4)) throw new FaceGateError('FG_MODEL_CONVERT', `exported head differs from the trained one by ${onnxErr} in ONNX Runtime`);

  const o = result.options;
  const summary: TrainHeadSummary = {
    base_model: emb.index.modelId,
    detector,
    embedder,
    loss: req.loss,
    head: head.describe(),
    out: outPath,
    head_sha256: headSha,
    onnx_max_abs_err: onnxErr,
    images: { listed: items.length, embedded_now: emb.extracted, failed },
    split: {
      train_people: result.split.trainPeople, train_images: result.split.trainImages, val_people: result.split.valPeople,
      val_images: result.split.valImages, val_pairs: result.split.valPairs, single_image_people: result.split.singles,
    },
    val_without_head: result.baseline,
    val_with_head: best.val,
    best_epoch: result.bestEpoch,
    epochs_run: result.history.length - 1,
    stop_reason: result.stopReason,
    history: result.history.map(summariseEpoch),
    options: { ...o, valFraction: req.valFraction ?? 0.2 },
  };

  if (req.fuse) {
    const modelId = req.modelId ?? `${embedder}-head-${req.loss}-${headSha.slice(0, 8)}`;
    const { entry, path } = await registerFusedHead({
      packDir: req.packDir ?? PACK_DIR,
      baseId: embedder,
      modelId,
      head,
      provenance: {
        loss: req.loss, headSha256: headSha, trainedAt: new Date().toISOString(),
        notes: { labeledCsv: resolve(req.labeledCsv), detector, valAccuracy: best.val.accuracy, valAccuracyWithoutHead: result.baseline.accuracy, options: summary.options },
      },
    });
    summary.fused = { model_id: entry.id, path, sha256: entry.sha256 };
    say(`registered ${entry.id} in the pack (${path})`);
  }

  if (req.reportDir) {
    const dir = resolve(req.reportDir);
    await mkdir(dir, { recursive: true });
    const h = result.history;
    const trained = h.filter((r) => r.trainLoss !== null);
    const files: [string, string][] = [
      ['loss.svg', curveChart({ title: `${req.loss} loss per epoch`, yLabel: 'mean batch loss', kind: 'loss', series: [{ name: 'train', epochs: trained.map((r) => r.epoch), values: trained.map((r) => r.trainLoss!) }] })],
      ['val-accuracy.svg', curveChart({ title: 'validation accuracy (unseen people)', yLabel: 'accuracy', kind: 'val-acc', series: [
        { name: 'with head', epochs: h.map((r) => r.epoch), values: h.map((r) => r.val.accuracy) },
        { name: 'without head', epochs: [0, h[h.length - 1].epoch], values: [result.baseline.accuracy, result.baseline.accuracy], dashed: true },
      ] })],
    ];
    const people = topPeople(split.val, 10);
    files.push(['pca-before.svg', pcaScatter({ title: 'validation people, embedder only', set: split.val, vectors: split.val.vectors, dim, people, kind: 'pca-before' })]);
    files.push(['pca-after.svg', pcaScatter({ title: `validation people, with the ${req.loss} head`, set: split.val, vectors: head.forward(split.val.vectors, nVal).y, dim: head.outDim, people, kind: 'pca-after' })]);
    summary.report = [];
    for (const [name, svg] of files) {
      const p = resolve(dir, name);
      await writeFile(p, svg);
      summary.report.push(p);
    }
  }
  return summary;
}
