/**
 * `facegate train-head`: parses flags, runs calibration/train, prints per-epoch progress on stderr and a
 * summary (text, or one JSON object with --json) on stdout.
 */
import { FaceGateError } from '../../../sdk/errors.ts';
import { DETECTOR_KINDS, EMBEDDER_IDS } from '../../../sdk/registry.ts';
import { runTrainHead, type TrainHeadSummary } from '../../../calibration/train/run-train-head.ts';
import { LOSS_NAMES, type LossName } from '../../../calibration/train/trainer.ts';
import type { TrainDetector, TrainEmbedder } from '../../../calibration/train/embedding-cache.ts';
import type { HeadActivation, HeadInit } from '../../../calibration/train/head.ts';
import type { OptimizerName } from '../../../calibration/train/optimizer.ts';
import type { NegativeFallback } from '../../../calibration/train/losses/triplet.ts';
import { num, oneOf } from '../flag-values.ts';

export interface TrainHeadFlags {
  json?: boolean;
  labeledCsv?: string;
  images?: string;
  loss?: string;
  out?: string;
  epochs?: string;
  lr?: string;
  alpha?: string;
  lambda?: string;
  scale?: string;
  dim?: string;
  hidden?: string;
  activation?: string;
  init?: string;
  optimizer?: string;
  momentum?: string;
  weightDecay?: string;
  fallback?: string;
  peoplePerBatch?: string;
  imagesPerPerson?: string;
  patience?: string;
  seed?: string;
  valFraction?: string;
  embedder?: string;
  detector?: string;
  flip?: boolean;
  fuse?: boolean;
  modelId?: string;
  packDir?: string;
  cacheDir?: string;
  report?: string;
  progress?: boolean;
}


function required(flag: string, v: string | undefined): string {
  if (!v) throw new FaceGateError('FG_CLI_USAGE', `${flag} is required`);
  return v;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function printText(s: TrainHeadSummary): void {
  const out = process.stdout;
  out.write(`${s.loss} head ${s.head} on ${s.detector} + ${s.base_model}: ${s.split.train_people} people / ${s.split.train_images} images trained, `
    + `${s.split.val_people} people / ${s.split.val_pairs} pairs validated\n`);
  out.write(`validation accuracy ${pct(s.val_with_head.accuracy)} with the head (epoch ${s.best_epoch} of ${s.epochs_run}, ${s.stop_reason}), `
    + `${pct(s.val_without_head.accuracy)} without; d' ${s.val_with_head.dPrime.toFixed(2)} vs ${s.val_without_head.dPrime.toFixed(2)}\n`);
  out.write(`wrote ${s.out} (sha256 ${s.head_sha256.slice(0, 16)}…, ONNX Runtime vs TS max abs err ${s.onnx_max_abs_err.toExponential(1)})\n`);
  if (s.fused) out.write(`registered ${s.fused.model_id} in the pack: ${s.fused.path}\n`);
  for (const p of s.report ?? []) out.write(`picture ${p}\n`);
}

export default async function trainHead(f: TrainHeadFlags): Promise<number> {
  const loss = oneOf<LossName>('--loss', required('--loss', f.loss), LOSS_NAMES)!;
  const alpha = num('--alpha', f.alpha);
  const summary = await runTrainHead({
    labeledCsv: required('--labeled-csv', f.labeledCsv),
    images: required('--images', f.images),
    out: required('--out', f.out),
    loss,
    epochs: num('--epochs', f.epochs, { integer: true }) ?? 50,
    lr: num('--lr', f.lr),
    // --alpha is each paper's alpha: the triplet margin (FaceNet), the centre update rate (Wen et al.).
    margin: loss === 'triplet' ? alpha : undefined,
    centerAlpha: loss === 'center' ? alpha : undefined,
    lambda: num('--lambda', f.lambda),
    softmaxScale: num('--scale', f.scale),
    dim: num('--dim', f.dim, { integer: true }),
    hidden: num('--hidden', f.hidden, { integer: true }),
    activation: oneOf<HeadActivation>('--activation', f.activation, ['relu', 'prelu']),
    init: oneOf<HeadInit>('--init', f.init, ['identity', 'orthogonal', 'he']),
    optimizer: oneOf<OptimizerName>('--optimizer', f.optimizer, ['adam', 'sgd']),
    momentum: num('--momentum', f.momentum),
    weightDecay: num('--weight-decay', f.weightDecay),
    fallback: oneOf<NegativeFallback>('--fallback', f.fallback, ['hardest', 'none']),
    peoplePerBatch: num('--people-per-batch', f.peoplePerBatch, { integer: true }),
    imagesPerPerson: num('--images-per-person', f.imagesPerPerson, { integer: true }),
    patience: num('--patience', f.patience, { integer: true }),
    seed: num('--seed', f.seed, { integer: true }),
    valFraction: num('--val-fraction', f.valFraction),
    detector: oneOf<TrainDetector>('--detector', f.detector, DETECTOR_KINDS),
    embedder: oneOf<TrainEmbedder>('--embedder', f.embedder, EMBEDDER_IDS),
    flip: Boolean(f.flip),
    fuse: Boolean(f.fuse),
    modelId: f.modelId,
    packDir: f.packDir,
    cacheDir: f.cacheDir,
    reportDir: f.report,
    onLine: f.progress === false ? undefined : (line) => process.stderr.write(line + '\n'),
  });
  if (f.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else printText(summary);
  return 0;
}
