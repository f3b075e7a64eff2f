/**
 * Speed of the calibration metrics on a large synthetic score set (100k genuine, 1M impostor
 * distances): ROC, AUC, EER, threshold at FAR, Clopper-Pearson, and 10-fold accuracy on 200k
 * pairs. All are one sort plus linear sweeps; this shows they stay well under a second.
 * Run: `npx tsx test/bench/calibration-metrics.ts [--runs N]`.
 */
import { rocCurve, auc, equalErrorRate, tarAtFar, thresholdForFar, clopperPearson, kFoldAccuracy, blockFolds } from '../../sdk/metrics/index.ts';
import { seededRandom } from '../../calibration/random.ts';
import { timeIt, round } from './stats.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const rand = seededRandom(1);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const genuine = Float64Array.from({ length: 100_000 }, () => 0.85 + 0.15 * normal());
const impostor = Float64Array.from({ length: 1_000_000 }, () => 1.38 + 0.09 * normal());
const roc = rocCurve(genuine, impostor);
const kd = Float64Array.from({ length: 200_000 }, (_, i) => (i % 2 ? genuine[i % 100_000] : impostor[i]));
const ks = Uint8Array.from({ length: 200_000 }, (_, i) => i % 2);
const folds = blockFolds(ks, 10);

const rows: [string, () => unknown][] = [
  ['rocCurve 100k + 1M', () => rocCurve(genuine, impostor)],
  ['auc + eer + tarAtFar', () => [auc(roc), equalErrorRate(roc), tarAtFar(roc, 1e-4)]],
  ['thresholdForFar 1M impostors', () => thresholdForFar(impostor, 1e-4)],
  ['clopperPearson(100, 1M)', () => clopperPearson(100, 1_000_000)],
  ['kFoldAccuracy 200k pairs, 10 folds', () => kFoldAccuracy(kd, ks, folds)],
];
for (const [name, fn] of rows) {
  const t = await timeIt(fn, { warmup: 1, runs: RUNS });
  console.log(`${name.padEnd(38)} median ${round(t.median, 1)} ms  p95 ${round(t.p95, 1)} ms`);
}
