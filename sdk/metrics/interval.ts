/**
 * Confidence intervals for an error rate measured as x errors in n trials (e.g. false accepts
 * among impostor pairs), and the rule of three: with 0 errors in n trials the 95% upper bound is
 * about 3/n, so a FAR below ~3/n cannot be demonstrated with n impostor pairs.
 */
import { FaceGateError } from '../errors.ts';
import { incompleteBetaInverse, normalQuantile, logGamma } from './special.ts';

export interface RateInterval {
  /** Point estimate x / n. */
  rate: number;
  lower: number;
  upper: number;
  confidence: number;
  method: 'clopper-pearson' | 'wilson';
}

function check(x: number, n: number, confidence: number): void {
  if (!(Number.isInteger(x) && Number.isInteger(n) && n > 0 && x >= 0 && x <= n)) {
    throw new FaceGateError('FG_CALIBRATION', `interval needs integers 0 <= x <= n, n > 0; got x=${x}, n=${n}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new FaceGateError('FG_CALIBRATION', `confidence must be in (0,1), got ${confidence}`);
}

/** Exact (Clopper-Pearson) two-sided interval from beta quantiles; never narrower than it should be. */
export function clopperPearson(x: number, n: number, confidence = 0.95): RateInterval {
  check(x, n, confidence);
  const alpha = 1 - confidence;
  const lower = x === 0 ? 0 : incompleteBetaInverse(alpha / 2, x, n - x + 1);
  const upper = x === n ? 1 : incompleteBetaInverse(1 - alpha / 2, x + 1, n - x);
  return { rate: x / n, lower, upper, confidence, method: 'clopper-pearson' };
}

/** Wilson score interval: closer to nominal coverage on average, may under-cover near 0. */
export function wilsonInterval(x: number, n: number, confidence = 0.95): RateInterval {
  check(x, n, confidence);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = x / n;
  const z2n = z * z / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = z * Math.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n);
  return { rate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half), confidence, method: 'wilson' };
}

/** Rule of three: the smallest rate n trials can show (95% upper bound with zero errors). */
export function ruleOfThree(n: number): number {
  return 3 / n;
}

/** Impostor pairs needed before `targetFar` can be shown at all (rule of three, rounded up). */
export function pairsNeededForFar(targetFar: number): number {
  return Math.ceil(3 / targetFar);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Beta-binomial probabilities P(X = k), k = 0..m, for X ~ Bin(m, p) with p ~ Beta(a, b). */
export function betaBinomialPmf(m: number, a: number, b: number): Float64Array {
  const out = new Float64Array(m + 1);
  const base = logGamma(m + 1) - logBeta(a, b);
  for (let k = 0; k <= m; k++) {
    out[k] = Math.exp(base - logGamma(k + 1) - logGamma(m - k + 1) + logBeta(k + a, m - k + b));
  }
  return out;
}

export interface PredictionInterval {
  /** Rates (errors / m) that a new sample of m trials falls between with the stated probability. */
  lower: number;
  upper: number;
  trials: number;
  confidence: number;
  method: 'beta-binomial-jeffreys';
}

/**
 * Where the error rate measured on m NEW trials should fall, given x errors in n calibration
 * trials: the true rate is uncertain (Jeffreys posterior Beta(x+1/2, n-x+1/2)) and the new sample
 * adds its own binomial noise. This is the interval a held-out check should be compared with;
 * the Clopper-Pearson interval only bounds the true rate.
 */
export function predictionInterval(x: number, n: number, m: number, confidence = 0.95): PredictionInterval {
  check(x, n, confidence);
  if (!(Number.isInteger(m) && m > 0)) throw new FaceGateError('FG_CALIBRATION', `prediction needs a positive number of new trials, got ${m}`);
  const pmf = betaBinomialPmf(m, x + 0.5, n - x + 0.5);
  const tail = (1 - confidence) / 2;
  let cdf = 0;
  let lo = -1;
  let hi = m;
  for (let k = 0; k <= m; k++) {
    cdf += pmf[k];
    if (lo < 0 && cdf > tail) lo = k;
    if (cdf >= 1 - tail - 1e-12) {
      hi = k;
      break;
    }
  }
  return { lower: lo / m, upper: hi / m, trials: m, confidence, method: 'beta-binomial-jeffreys' };
}
