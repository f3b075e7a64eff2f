import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  euclideanDistance, cosineDistance, rocCurve, auc, equalErrorRate, tarAtFar, thresholdForFar,
  ratesAtThreshold, clopperPearson, wilsonInterval, ruleOfThree, pairsNeededForFar, dPrime, median,
  kFoldAccuracy, bestAccuracyThreshold, blockFolds, openSetScores, openSetRatesAt, openSetCurve,
  dirAtFpir, normalQuantile, incompleteBeta,
} from '../../../sdk/metrics/index.ts';
import { logGamma } from '../../../sdk/metrics/special.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const close = (a: number, b: number, eps = 1e-9, msg?: string) =>
  assert.ok(Math.abs(a - b) <= eps, msg ?? `${a} is not within ${eps} of ${b}`);

test('euclidean and cosine distances on known vectors', () => {
  close(euclideanDistance(new Float32Array([1, 0]), new Float32Array([0, 1])), Math.SQRT2);
  close(cosineDistance(new Float32Array([1, 0]), new Float32Array([0, 1])), 1);
  close(cosineDistance(new Float32Array([1, 2]), new Float32Array([2, 4])), 0, 1e-7);
  close(cosineDistance(new Float32Array([1, 0]), new Float32Array([-1, 0])), 2);
  // On unit vectors: L2 = sqrt(2 - 2 cos).
  const a = new Float32Array([0.6, 0.8]);
  const b = new Float32Array([1, 0]);
  close(euclideanDistance(a, b), Math.sqrt(2 - 2 * 0.6), 1e-6);
  assert.throws(() => euclideanDistance(new Float32Array(3), new Float32Array(4)), FaceGateError);
});

// genuine 0.1 0.2 0.3 0.6 ; impostor 0.4 0.5 0.7 0.8 (worked by hand)
const G = [0.6, 0.1, 0.3, 0.2];
const I = [0.8, 0.4, 0.7, 0.5];

test('ROC points of a hand-worked set', () => {
  const roc = rocCurve(G, I);
  assert.deepEqual(Array.from(roc.thresholds), [-Infinity, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
  assert.deepEqual(Array.from(roc.far), [0, 0, 0, 0, 0.25, 0.5, 0.5, 0.75, 1]);
  assert.deepEqual(Array.from(roc.tar), [0, 0.25, 0.5, 0.75, 0.75, 0.75, 1, 1, 1]);
});

test('AUC = P(genuine < impostor), ties count half', () => {
  close(auc(rocCurve(G, I)), 14 / 16);
  close(auc(rocCurve([0.5], [0.5])), 0.5);
  close(auc(rocCurve([0.1, 0.5], [0.5, 0.9])), 3.5 / 4);
  close(auc(rocCurve([0.9], [0.1])), 0);
});

test('EER: exact crossing and interpolated crossing', () => {
  const e1 = equalErrorRate(rocCurve(G, I));
  close(e1.eer, 0.25);
  close(e1.threshold, 0.4);
  // genuine 0.1 0.2 0.5, impostor 0.3 0.4: crossing between (FAR 0, FRR 1/3) at 0.2 and (1/2, 1/3) at 0.3.
  const e2 = equalErrorRate(rocCurve([0.1, 0.2, 0.5], [0.3, 0.4]));
  close(e2.eer, 1 / 3);
  close(e2.threshold, 0.2 + (2 / 3) * 0.1);
  close(equalErrorRate(rocCurve([0.1, 0.2], [0.3, 0.4])).eer, 0);
});

test('TAR at FAR picks the best measured point under the FAR', () => {
  const roc = rocCurve(G, I);
  assert.deepEqual(tarAtFar(roc, 0), { threshold: 0.3, far: 0, tar: 0.75 });
  assert.deepEqual(tarAtFar(roc, 0.3), { threshold: 0.4, far: 0.25, tar: 0.75 });
  assert.deepEqual(tarAtFar(roc, 0.5), { threshold: 0.6, far: 0.5, tar: 1 });
});

test('threshold for a target FAR sits between allowed and refused impostors', () => {
  const imp = [1.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3];
  const c = thresholdForFar(imp, 0.2);
  close(c.threshold, 0.65);
  assert.equal(c.falseAccepts, 2);
  const r = ratesAtThreshold([0.1, 0.62, 0.66, 2], imp, c.threshold);
  close(r.far, 0.2);
  close(r.frr, 0.5);
  const z = thresholdForFar(imp, 0.05);
  assert.ok(z.threshold < 0.5 && z.threshold > 0.4999, `threshold ${z.threshold}`);
  assert.equal(z.falseAccepts, 0);
  // A tie at the boundary must be kept out whole.
  const t = thresholdForFar([0.5, 0.6, 0.6, 0.7], 0.5);
  close(t.threshold, 0.55);
  assert.equal(t.falseAccepts, 1);
  assert.throws(() => thresholdForFar(imp, 0), FaceGateError);
  assert.throws(() => thresholdForFar([], 0.1), FaceGateError);
});

test('special functions against closed forms', () => {
  close(logGamma(5), Math.log(24), 1e-12);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  close(incompleteBeta(0.5, 2, 3), 11 / 16, 1e-12);
  // I_p(a, n-a+1) = P(Binomial(n, p) >= a): compare with a direct sum.
  const n = 20;
  const p = 0.3;
  let tail = 0;
  let binom = 1;
  for (let k = 0; k <= n; k++) {
    if (k > 0) binom = binom * (n - k + 1) / k;
    if (k >= 7) tail += binom * p ** k * (1 - p) ** (n - k);
  }
  close(incompleteBeta(p, 7, n - 7 + 1), tail, 1e-12);
  close(normalQuantile(0.975), 1.959963984540054, 1e-9);
  close(normalQuantile(0.05), -1.6448536269514729, 1e-9);
  close(normalQuantile(0.5), 0, 1e-12);
});

test('Clopper-Pearson and Wilson intervals', () => {
  const cp = clopperPearson(5, 10);
  close(cp.lower, 0.18708602, 1e-7);
  close(cp.upper, 0.81291398, 1e-7);
  // Zero / all errors have closed forms: 1 - (alpha/2)^(1/n) and (alpha/2)^(1/n).
  close(clopperPearson(0, 10).upper, 1 - 0.025 ** (1 / 10), 1e-10);
  close(clopperPearson(10, 10).lower, 0.025 ** (1 / 10), 1e-10);
  assert.equal(clopperPearson(0, 10).lower, 0);
  const w = wilsonInterval(5, 10);
  close(w.lower, 0.2365931, 1e-6);
  close(w.upper, 0.7634069, 1e-6);
  close(wilsonInterval(0, 10).upper, 0.2775328, 1e-6);
  // The exact 95% upper bound with no errors approaches the rule of three for large n.
  close(clopperPearson(0, 3000).upper / ruleOfThree(3000), 1.2297, 0.01);
  assert.equal(pairsNeededForFar(0.001), 3000);
  assert.throws(() => clopperPearson(3, 2), FaceGateError);
});

test('d-prime and median', () => {
  close(dPrime([0, 2], [4, 6]), 4);
  close(dPrime([0, 2], [6, 4]), dPrime([6, 4], [0, 2]));
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('best-accuracy threshold and LFW k-fold accuracy on a hand-worked set', () => {
  //            fold 1                fold 2                fold 3
  const d = [0.2, 0.3, 0.9, 1.0, 0.25, 0.7, 0.6, 1.1, 0.1, 0.35, 0.8, 0.95];
  const same = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0];
  const folds = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
  const b = bestAccuracyThreshold(d, same, [4, 5, 6, 7, 8, 9, 10, 11]);
  close(b.threshold, 0.475);
  close(b.accuracy, 7 / 8);
  const r = kFoldAccuracy(d, same, folds);
  assert.deepEqual(r.folds.map((f) => f.fold), [1, 2, 3]);
  const thresholds = r.folds.map((f) => f.threshold);
  close(thresholds[0], 0.475);
  close(thresholds[1], 0.575);
  close(thresholds[2], 0.45);
  assert.deepEqual(r.folds.map((f) => f.accuracy), [1, 0.75, 1]);
  close(r.mean, 11 / 12);
  close(r.std, Math.sqrt(1 / 72));
  assert.throws(() => kFoldAccuracy(d, same, new Array(12).fill(1)), FaceGateError);
});

test('balanced blocks cut genuine and impostor runs separately', () => {
  assert.deepEqual(Array.from(blockFolds([1, 1, 1, 1, 0, 0, 0, 0], 2)), [1, 1, 2, 2, 1, 1, 2, 2]);
  assert.deepEqual(Array.from(blockFolds([1, 0, 1, 0, 1, 0], 3)), [1, 1, 2, 2, 3, 3]);
  assert.throws(() => blockFolds([1, 0], 10), FaceGateError);
});

test('open-set FPIR / FNIR / DIR', () => {
  const scores = openSetScores([
    { trueIdentity: 'A', candidates: [{ identity: 'A', distance: 0.3 }, { identity: 'B', distance: 0.8 }] },
    { trueIdentity: 'B', candidates: [{ identity: 'A', distance: 0.4 }, { identity: 'B', distance: 0.5 }] },
    { trueIdentity: 'C', candidates: [{ identity: 'C', distance: 0.6 }, { identity: 'A', distance: 0.9 }] },
    { trueIdentity: null, candidates: [{ identity: 'A', distance: 0.7 }] },
    { trueIdentity: null, candidates: [{ identity: 'B', distance: 0.2 }, { identity: 'C', distance: 0.5 }] },
  ]);
  assert.deepEqual(Array.from(scores.mated), [0.3, Infinity, 0.6]);
  assert.deepEqual(Array.from(scores.nonMated), [0.7, 0.2]);
  const r = openSetRatesAt(scores, 0.5);
  close(r.fpir, 0.5);
  close(r.fnir, 2 / 3);
  const curve = openSetCurve(scores);
  assert.deepEqual(curve.map((p) => p.threshold), [0.2, 0.3, 0.6, 0.7]);
  assert.deepEqual(curve.map((p) => p.fpir), [0.5, 0.5, 0.5, 1]);
  close(curve[2].dir, 2 / 3);
  const d = dirAtFpir(scores, 0.5);
  close(d.threshold, 0.45);
  close(d.dir, 1 / 3);
  close(d.fpir, 0.5);
});

test('ROC refuses NaN and one-sided data', () => {
  assert.throws(() => rocCurve([0.1, NaN], [0.2]), /NaN/);
  assert.throws(() => rocCurve([0.1], []), /impostor/);
});

test('beta-binomial predictive: uniform for Beta(1,1), mean m a/(a+b); holdout interval brackets the rate', async () => {
  const { betaBinomialPmf, predictionInterval } = await import('../../../sdk/metrics/interval.ts');
  const u = betaBinomialPmf(6, 1, 1);
  for (const p of u) close(p, 1 / 7, 1e-12);
  const pmf = betaBinomialPmf(300, 6.5, 594.5);
  close(pmf.reduce((s, p) => s + p, 0), 1, 1e-9);
  close(pmf.reduce((s, p, k) => s + k * p, 0), 300 * 6.5 / 601, 1e-9);
  const pi = predictionInterval(6, 600, 300);
  assert.ok(pi.lower <= 6 / 600 && pi.upper >= 6 / 600);
  // The predictive interval for a 300-pair holdout is wider than the CP interval on 600 pairs.
  const cp = clopperPearson(6, 600);
  assert.ok(pi.upper > cp.upper, `${pi.upper} vs ${cp.upper}`);
  assert.equal(pi.lower, 0); // ~3 expected errors among 300: zero is plausible
});
