/**
 * Training loop for a projection head on frozen embeddings: P x K batches, one of three losses,
 * SGD/Adam, validation on people-disjoint pairs after every epoch, early stopping that keeps the
 * best epoch's weights (epoch 0, the initial head, included: a head that never beats its start is
 * returned unchanged and the history says so).
 */
import { FaceGateError } from '../../sdk/errors.ts';
import { pkBatches, checkPk } from './batches.ts';
import { rowCount, rowsByLabel, splitPeople, type EmbeddingSet } from './dataset.ts';
import { ProjectionHead, type HeadActivation, type HeadInit } from './head.ts';
import { SoftmaxCenterLoss } from './losses/center.ts';
import { naiveLoss } from './losses/naive.ts';
import { addTripletCounts, emptyTripletCounts, tripletLoss, type NegativeFallback, type TripletCounts } from './losses/triplet.ts';
import { createOptimizer, type OptimizerName } from './optimizer.ts';
import { createRng, type Rng } from './rng.ts';
import { pairDistances, pairMetrics, validationPairs, type PairList, type PairMetrics } from './validation.ts';

export type LossName = 'triplet' | 'center' | 'naive';
export const LOSS_NAMES: readonly LossName[] = ['triplet', 'center', 'naive'];

export interface TrainOptions {
  loss: LossName;
  epochs: number;
  /** Output dimension k (default: the input dimension). */
  dim?: number;
  hidden?: number;
  activation?: HeadActivation;
  init?: HeadInit;
  optimizer?: OptimizerName;
  /** Default 1e-3 for Adam, 0.05 for SGD. */
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Triplet margin alpha on squared distances (default 0.2, FaceNet's). */
  margin?: number;
  fallback?: NegativeFallback;
  /** Center-loss weight lambda (default 0.1). */
  lambda?: number;
  /** Center update rate alpha (default 0.5, Wen et al.'s). */
  centerAlpha?: number;
  /** Softmax logit scale (default 16). */
  softmaxScale?: number;
  /** Start the softmax classifier from the class-centre directions (default true). */
  imprint?: boolean;
  peoplePerBatch?: number;
  imagesPerPerson?: number;
  /** Stop after this many epochs without a validation improvement (default 8; 0 = never stop early). */
  patience?: number;
  /** Keep the best epoch's weights (default true); false returns the last epoch's. */
  restoreBest?: boolean;
  seed?: number;
  /** Same-person validation pairs kept per person (default 20). */
  valPairsPerPerson?: number;
  onEpoch?: (r: EpochRecord) => void;
}

export interface EpochRecord {
  epoch: number;
  /** Mean batch loss over the epoch (null for epoch 0, before any step). */
  trainLoss: number | null;
  val: PairMetrics;
  improved: boolean;
  /** Triplet loss: anchor-positive pairs by kind of negative found. */
  triplets?: TripletCounts;
  /** Center loss: its two terms and the classifier's top-1 training accuracy. */
  center?: { crossEntropy: number; centerTerm: number; trainAccuracy: number };
  ms: number;
}

export interface TrainSplitInfo {
  trainPeople: number;
  trainImages: number;
  valPeople: number;
  valImages: number;
  valPairs: number;
  /** People dropped for having a single image. */
  singles: number;
}

export interface TrainResult {
  head: ProjectionHead;
  history: EpochRecord[];
  bestEpoch: number;
  stopReason: 'epochs' | 'early-stop';
  /** Validation metrics of the raw embeddings (no head), on the same pairs. */
  baseline: PairMetrics;
  split: TrainSplitInfo;
  options: ResolvedTrainOptions;
}

export type ResolvedTrainOptions = Required<Omit<TrainOptions, 'onEpoch'>>;

export function resolveTrainOptions(o: TrainOptions, inDim: number): ResolvedTrainOptions {
  if (!LOSS_NAMES.includes(o.loss)) throw new FaceGateError('FG_CONFIG_INVALID', `loss must be one of ${LOSS_NAMES.join(', ')}, got "${String(o.loss)}"`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new FaceGateError('FG_CONFIG_INVALID', `epochs must be a positive integer, got ${o.epochs}`);
  const optimizer = o.optimizer ?? 'adam';
  const r: ResolvedTrainOptions = {
    loss: o.loss,
    epochs: o.epochs,
    dim: o.dim ?? inDim,
    hidden: o.hidden ?? 0,
    activation: o.activation ?? 'relu',
    init: o.init ?? 'identity',
    optimizer,
    lr: o.lr ?? (optimizer === 'adam' ? 1e-3 : 0.05),
    momentum: o.momentum ?? 0.9,
    weightDecay: o.weightDecay ?? 0,
    margin: o.margin ?? 0.2,
    fallback: o.fallback ?? 'none',
    lambda: o.lambda ?? 0.1,
    centerAlpha: o.centerAlpha ?? 0.5,
    softmaxScale: o.softmaxScale ?? 16,
    imprint: o.imprint ?? true,
    peoplePerBatch: o.peoplePerBatch ?? 16,
    imagesPerPerson: o.imagesPerPerson ?? 4,
    patience: o.patience ?? 8,
    restoreBest: o.restoreBest ?? true,
    seed: o.seed ?? 1,
    valPairsPerPerson: o.valPairsPerPerson ?? 20,
  };
  if (!(r.margin > 0)) throw new FaceGateError('FG_CONFIG_INVALID', `triplet margin must be > 0, got ${r.margin}`);
  if (r.fallback !== 'hardest' && r.fallback !== 'none') throw new FaceGateError('FG_CONFIG_INVALID', `negative fallback must be hardest or none, got "${String(r.fallback)}"`);
  if (!Number.isInteger(r.patience) || r.patience < 0) throw new FaceGateError('FG_CONFIG_INVALID', `patience must be an integer >= 0, got ${r.patience}`);
  checkPk(r);
  return r;
}

/** Better = higher accuracy; at equal accuracy, higher d' (accuracy saturates on easy data). */
function better(a: PairMetrics, b: PairMetrics): boolean {
  if (a.accuracy !== b.accuracy) return a.accuracy > b.accuracy;
  return a.dPrime > b.dPrime + 1e-9;
}

function gather(set: EmbeddingSet, rows: readonly number[]): { x: Float32Array; labels: Int32Array } {
  const d = set.dim;
  const x = new Float32Array(rows.length * d);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(set.vectors.subarray(r * d, (r + 1) * d), i * d);
    labels[i] = set.labels[r];
  });
  return { x, labels };
}

/**
 * Splits `set` by people (`valFraction` to validation, seeded by `splitSeed`, default `seed`) and
 * trains. A fixed `splitSeed` with varying `seed` compares runs on the same validation people.
 */
export function trainHead(set: EmbeddingSet, opts: TrainOptions & { valFraction?: number; splitSeed?: number }): TrainResult {
  const seed = opts.splitSeed ?? opts.seed ?? 1;
  const split = splitPeople(set, opts.valFraction ?? 0.2, createRng(seed ^ 0x5eed));
  return trainHeadOnSplit(split.train, split.val, opts, split.singles);
}

/** Trains on `train`, validates on `val` (whose people must not be in `train`). */
export function trainHeadOnSplit(train: EmbeddingSet, val: EmbeddingSet, opts: TrainOptions, singles = 0): TrainResult {
  if (train.dim !== val.dim) throw new FaceGateError('FG_INPUT_INVALID', `train and validation embeddings differ in dimension: ${train.dim} vs ${val.dim}`);
  const valNames = new Set(val.identities);
  const overlap = train.identities.filter((p) => valNames.has(p));
  if (overlap.length) throw new FaceGateError('FG_INPUT_INVALID', `validation must be people-disjoint from training; shared: ${overlap.slice(0, 3).join(', ')}`);
  const o = resolveTrainOptions(opts, train.dim);
  const rng: Rng = createRng(o.seed);
  const head = ProjectionHead.create({ inDim: train.dim, outDim: o.dim, hidden: o.hidden, activation: o.activation }, o.init, rng);
  const byLabel = rowsByLabel(train.labels, train.identities.length);
  const valRng = createRng(o.seed + 1);
  const pairs: PairList = validationPairs(val.labels, val.identities.length, valRng, o.valPairsPerPerson);
  const baseline = pairMetrics(pairDistances(val.vectors, val.dim, pairs), pairs.same);
  const valMetrics = (): PairMetrics => {
    const y = head.forward(val.vectors, rowCount(val)).y;
    return pairMetrics(pairDistances(y, head.outDim, pairs), pairs.same);
  };
  const opt = createOptimizer({ name: o.optimizer, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay });
  let center: SoftmaxCenterLoss | null = null;
  if (o.loss === 'center') {
    center = new SoftmaxCenterLoss(train.identities.length, head.outDim, { lambda: o.lambda, alpha: o.centerAlpha, scale: o.softmaxScale }, rng);
    center.initCentres(head.forward(train.vectors, rowCount(train)).y, rowCount(train), train.labels);
    if (o.imprint) center.imprintClassifier();
  }

  const t0 = performance.now();
  const first: EpochRecord = { epoch: 0, trainLoss: null, val: valMetrics(), improved: true, ms: performance.now() - t0 };
  const history: EpochRecord[] = [first];
  opts.onEpoch?.(first);
  let best = first.val;
  let bestEpoch = 0;
  let bestParams = Float64Array.from(head.params);
  let since = 0;
  let stopReason: TrainResult['stopReason'] = 'epochs';
  const grad = new Float64Array(head.params.length);

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const te = performance.now();
    const batches = pkBatches(byLabel, o, rng);
    let lossSum = 0;
    const triplets = emptyTripletCounts();
    let ce = 0;
    let ct = 0;
    let correct = 0;
    let seen = 0;
    for (const rows of batches) {
      const { x, labels } = gather(train, rows);
      const n = rows.length;
      const fw = head.forward(x, n);
      let gradY: Float64Array;
      if (o.loss === 'triplet') {
        const r = tripletLoss(fw.y, n, head.outDim, labels, { margin: o.margin, fallback: o.fallback });
        addTripletCounts(triplets, r.counts);
        lossSum += r.loss;
        gradY = r.gradY;
      } else if (o.loss === 'naive') {
        const r = naiveLoss(fw.y, n, head.outDim, labels);
        lossSum += r.loss;
        gradY = r.gradY;
      } else {
        const r = center!.compute(fw.y, n, labels);
        lossSum += r.loss;
        ce += r.crossEntropy * n;
        ct += r.centerTerm * n;
        correct += r.correct;
        gradY = r.gradY;
        opt.step(center!.classifier, r.gradClassifier);
      }
      seen += n;
      grad.fill(0);
      head.backward(fw, x, gradY, grad);
      opt.step(head.params, grad);
      center?.updateCentres(fw.y, n, labels);
    }
    const val = valMetrics();
    const improved = better(val, best);
    const rec: EpochRecord = { epoch, trainLoss: lossSum / batches.length, val, improved, ms: performance.now() - te };
    if (o.loss === 'triplet') rec.triplets = triplets;
    if (center) rec.center = { crossEntropy: ce / seen, centerTerm: ct / seen, trainAccuracy: correct / seen };
    history.push(rec);
    opts.onEpoch?.(rec);
    if (improved) {
      best = val;
      bestEpoch = epoch;
      bestParams = Float64Array.from(head.params);
      since = 0;
    } else if (o.patience > 0 && ++since >= o.patience) {
      stopReason = 'early-stop';
      break;
    }
  }
  if (o.restoreBest) head.params.set(bestParams);
  return {
    head,
    history,
    bestEpoch,
    stopReason,
    baseline,
    split: {
      trainPeople: train.identities.length,
      trainImages: rowCount(train),
      valPeople: val.identities.length,
      valImages: rowCount(val),
      valPairs: pairs.same.length,
      singles,
    },
    options: o,
  };
}

/** First epoch whose validation accuracy reaches `target` (null if none did). */
export function epochsToReach(history: readonly EpochRecord[], target: number): number | null {
  for (const r of history) if (r.val.accuracy >= target) return r.epoch;
  return null;
}
