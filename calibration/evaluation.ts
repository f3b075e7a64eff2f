/**
 * Verification figures from pair distances: the `facegate calibrate --pairs` JSON keys, threshold
 * choice at a target FAR with its statistical limits, and the check on held-out folds.
 */
import { FaceGateError } from '../sdk/errors.ts';
import {
  rocCurve, auc, equalErrorRate, tarAtFar, dPrime, kFoldAccuracy, blockFolds, thresholdForFar,
  ratesAtThreshold, clopperPearson, wilsonInterval, ruleOfThree, pairsNeededForFar, predictionInterval,
  euclideanDistance, type RocCurve, type RateInterval, type PredictionInterval,
} from '../sdk/metrics/index.ts';
import type { Pair } from './pairs.ts';

/** Distance given to a pair when one image could not be embedded: the largest L2 distance of unit vectors. */
export const FAILED_PAIR_DISTANCE = 2;

export function pairDistances(pairs: readonly Pair[], embeddings: ReadonlyMap<string, Float32Array | null>): Float64Array {
  const d = new Float64Array(pairs.length);
  pairs.forEach((p, i) => {
    const a = embeddings.get(p.a);
    const b = embeddings.get(p.b);
    d[i] = a && b ? euclideanDistance(a, b) : FAILED_PAIR_DISTANCE;
  });
  return d;
}

export interface ScoredPairs {
  distances: Float64Array;
  same: Uint8Array;
  /** Fold per pair (0 when the CSV has none). */
  folds: Int32Array;
}

export function scorePairs(pairs: readonly Pair[], embeddings: ReadonlyMap<string, Float32Array | null>): ScoredPairs {
  return {
    distances: pairDistances(pairs, embeddings),
    same: Uint8Array.from(pairs, (p) => (p.same ? 1 : 0)),
    folds: Int32Array.from(pairs, (p) => p.fold),
  };
}

export function splitScores(s: ScoredPairs, keep?: (i: number) => boolean): { genuine: Float64Array; impostor: Float64Array } {
  const g: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < s.distances.length; i++) {
    if (keep && !keep(i)) continue;
    (s.same[i] ? g : m).push(s.distances[i]);
  }
  return { genuine: Float64Array.from(g), impostor: Float64Array.from(m) };
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

export interface VerificationSummary {
  pairs: number;
  genuine_pairs: number;
  impostor_pairs: number;
  /** k-fold mean over the CSV's folds when it has 2+ folds, else the 10-block figure. */
  accuracy: number;
  accuracy_std: number;
  accuracy_protocol: string;
  accuracy_folds: { fold: number; accuracy: number; threshold: number; pairs: number }[];
  /** LFW-style 10 balanced blocks in file order (null when there are fewer than 10 of each label). */
  accuracy_10fold: number | null;
  accuracy_10fold_std: number | null;
  auc: number;
  eer: number;
  threshold_eer: number;
  tar_at_far: Record<string, number>;
  tar_at_far_threshold: Record<string, number>;
  /** Smallest FAR these impostor pairs can show (rule of three, 3/n); TAR at a lower FAR is really TAR at zero false accepts. */
  far_floor: number;
  d_prime: number;
  genuine_distance_mean: number;
  impostor_distance_mean: number;
}

export const REPORTED_FARS = ['0.01', '0.001'] as const;

export function summarizeVerification(s: ScoredPairs): { summary: VerificationSummary; roc: RocCurve } {
  const { genuine, impostor } = splitScores(s);
  if (impostor.length === 0) throw new FaceGateError('FG_CALIBRATION', 'no impostor pairs (same = 0): a threshold cannot be calibrated from one person');
  if (genuine.length === 0) throw new FaceGateError('FG_CALIBRATION', 'no genuine pairs (same = 1)');
  const roc = rocCurve(genuine, impostor);
  const eer = equalErrorRate(roc);
  const foldIds = new Set(s.folds);
  let tenFold: { mean: number; std: number } | null = null;
  if (genuine.length >= 10 && impostor.length >= 10) tenFold = kFoldAccuracy(s.distances, s.same, blockFolds(s.same, 10));
  let acc: { mean: number; std: number; folds: VerificationSummary['accuracy_folds'] };
  let protocol: string;
  if (foldIds.size >= 2 && !foldIds.has(0)) {
    const k = kFoldAccuracy(s.distances, s.same, s.folds);
    acc = { mean: k.mean, std: k.std, folds: k.folds.map((f) => ({ ...f, accuracy: r6(f.accuracy), threshold: r6(f.threshold) })) };
    protocol = `${k.folds.length}-fold over the CSV folds (threshold chosen on the other folds)`;
  } else if (tenFold) {
    acc = { mean: tenFold.mean, std: tenFold.std, folds: [] };
    protocol = '10 balanced blocks in file order (CSV has no folds)';
  } else {
    throw new FaceGateError('FG_CALIBRATION', `accuracy needs folds in the CSV or at least 10 genuine and 10 impostor pairs (have ${genuine.length}, ${impostor.length})`);
  }
  const tar: Record<string, number> = {};
  const tarT: Record<string, number> = {};
  for (const f of REPORTED_FARS) {
    const p = tarAtFar(roc, Number(f));
    tar[f] = r6(p.tar);
    tarT[f] = r6(p.threshold);
  }
  let gm = 0;
  for (const v of genuine) gm += v;
  let im = 0;
  for (const v of impostor) im += v;
  const summary: VerificationSummary = {
    pairs: s.distances.length,
    genuine_pairs: genuine.length,
    impostor_pairs: impostor.length,
    accuracy: r6(acc.mean),
    accuracy_std: r6(acc.std),
    accuracy_protocol: protocol,
    accuracy_folds: acc.folds,
    accuracy_10fold: tenFold ? r6(tenFold.mean) : null,
    accuracy_10fold_std: tenFold ? r6(tenFold.std) : null,
    auc: r6(auc(roc)),
    eer: r6(eer.eer),
    threshold_eer: r6(eer.threshold),
    tar_at_far: tar,
    tar_at_far_threshold: tarT,
    far_floor: r6(ruleOfThree(impostor.length)),
    d_prime: r6(dPrime(genuine, impostor)),
    genuine_distance_mean: r6(gm / genuine.length),
    impostor_distance_mean: r6(im / impostor.length),
  };
  return { summary, roc };
}

export interface IntervalJson {
  lower: number;
  upper: number;
  confidence: number;
  method: string;
}

const ij = (r: RateInterval | PredictionInterval): IntervalJson => ({ lower: r6(r.lower), upper: r6(r.upper), confidence: r.confidence, method: r.method });

export interface ThresholdReport {
  threshold: number;
  /** How it was obtained: chosen for a target FAR, or given with --threshold. */
  source: 'target-far' | 'given';
  target_far?: number;
  far_at_threshold: number;
  frr_at_threshold: number;
  false_accepts: number;
  false_rejects: number;
  impostor_pairs: number;
  genuine_pairs: number;
  /** 95% interval of the true FAR at this threshold (exact binomial). */
  far_ci: IntervalJson;
  far_ci_wilson: IntervalJson;
  frr_ci: IntervalJson;
  /** Smallest FAR these impostor pairs can demonstrate (rule of three). */
  far_limit: number;
  statement: string;
}

function describe(t: number, far: number, x: number, n: number, ci: RateInterval): string {
  return `at threshold ${t.toFixed(4)}: ${x} false accepts in ${n} impostor pairs (FAR ${far.toExponential(2)}); `
    + `95% interval of the true FAR ${ci.lower.toExponential(2)}..${ci.upper.toExponential(2)} (Clopper-Pearson); `
    + `with ${n} impostor pairs no FAR below ${(3 / n).toExponential(2)} can be shown (rule of three)`;
}

export function evaluateThreshold(genuine: Float64Array, impostor: Float64Array, threshold: number, source: ThresholdReport['source'] = 'given', confidence = 0.95): ThresholdReport {
  if (impostor.length === 0) throw new FaceGateError('FG_CALIBRATION', 'no impostor pairs to measure the FAR on');
  if (genuine.length === 0) throw new FaceGateError('FG_CALIBRATION', 'no genuine pairs to measure the FRR on');
  const r = ratesAtThreshold(genuine, impostor, threshold);
  const ci = clopperPearson(r.falseAccepts, r.impostorCount, confidence);
  return {
    threshold: r6(threshold),
    source,
    far_at_threshold: r6(r.far),
    frr_at_threshold: r6(r.frr),
    false_accepts: r.falseAccepts,
    false_rejects: r.falseRejects,
    impostor_pairs: r.impostorCount,
    genuine_pairs: r.genuineCount,
    far_ci: ij(ci),
    far_ci_wilson: ij(wilsonInterval(r.falseAccepts, r.impostorCount, confidence)),
    frr_ci: ij(clopperPearson(r.falseRejects, r.genuineCount, confidence)),
    far_limit: r6(ruleOfThree(r.impostorCount)),
    statement: describe(threshold, r.far, r.falseAccepts, r.impostorCount, ci),
  };
}

/** Refuses a target FAR the data cannot demonstrate (fewer than 3 / target impostor pairs). */
export function chooseThreshold(genuine: Float64Array, impostor: Float64Array, targetFar: number, confidence = 0.95): ThresholdReport {
  if (!(targetFar > 0 && targetFar < 1)) throw new FaceGateError('FG_CALIBRATION', `--target-far must be in (0, 1), got ${targetFar}`);
  const need = pairsNeededForFar(targetFar);
  if (impostor.length < need) {
    throw new FaceGateError('FG_CALIBRATION',
      `target FAR ${targetFar} needs at least ${need} impostor pairs (rule of three: the smallest FAR n pairs can show is 3/n); these data have ${impostor.length}. Add impostor pairs or raise --target-far to at least ${(3 / impostor.length).toPrecision(2)}`);
  }
  const c = thresholdForFar(impostor, targetFar);
  return { ...evaluateThreshold(genuine, impostor, c.threshold, 'target-far', confidence), target_far: targetFar };
}

export interface HoldoutCheck {
  fit_folds: number[];
  test_folds: number[];
  test: ThresholdReport;
  /** Where the FAR measured on the held-out impostor pairs should fall (calibration uncertainty + new-sample noise). */
  far_prediction_interval: IntervalJson;
  inside_far_ci: boolean;
  inside_prediction_interval: boolean;
}

/** Chooses the threshold on `fitFolds` and measures it on the remaining folds. */
export function holdoutCheck(s: ScoredPairs, fitFolds: readonly number[], targetFar: number): { fit: ThresholdReport; check: HoldoutCheck } {
  const present = [...new Set(s.folds)].sort((a, b) => a - b);
  const missing = fitFolds.filter((f) => !present.includes(f));
  if (missing.length) throw new FaceGateError('FG_CALIBRATION', `--fit-folds ${missing.join(',')} not in the CSV (folds present: ${present.join(',') || 'none'})`);
  const testFolds = present.filter((f) => !fitFolds.includes(f));
  if (testFolds.length === 0) throw new FaceGateError('FG_CALIBRATION', '--fit-folds leaves no fold to test on');
  const fitSet = new Set(fitFolds);
  const fitScores = splitScores(s, (i) => fitSet.has(s.folds[i]));
  const testScores = splitScores(s, (i) => !fitSet.has(s.folds[i]));
  const fit = chooseThreshold(fitScores.genuine, fitScores.impostor, targetFar);
  const test = evaluateThreshold(testScores.genuine, testScores.impostor, fit.threshold);
  const pred = predictionInterval(fit.false_accepts, fit.impostor_pairs, test.impostor_pairs);
  const far = test.far_at_threshold;
  return {
    fit,
    check: {
      fit_folds: [...fitFolds],
      test_folds: testFolds,
      test,
      far_prediction_interval: ij(pred),
      inside_far_ci: far >= fit.far_ci.lower && far <= fit.far_ci.upper,
      inside_prediction_interval: far >= pred.lower && far <= pred.upper,
    },
  };
}
