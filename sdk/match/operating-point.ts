/**
 * The operating point as a risk: a target stranger-acceptance rate per decision (FPIR) turns into
 * a distance threshold for the gallery's current size. Pure math, no I/O.
 *
 * A stranger is compared with every template of the gallery. If each comparison falsely matches
 * with probability p (the impostor distance CDF at the threshold), and the comparisons were
 * independent, FPIR = 1 - (1 - p)^N for N templates. The threshold for a target FPIR is the
 * impostor distance quantile at p = 1 - (1 - FPIR)^(1/N). Independence is an assumption: it is
 * checked on data by `facegate calibrate --open-set` (predicted vs measured FPIR).
 *
 * The impostor lower tail: an empirical quantile table down to a split rate ζ, and below it a
 * generalised Pareto distribution (GPD) of the exceedance y = u - d under the split distance u:
 *   P(d < t) = ζ · (1 + ξ (u - t) / σ)^(-1/ξ),  t <= u   (ξ = 0: ζ · exp(-(u - t) / σ))
 * fitted by probability-weighted moments (Hosking & Wallis 1987): closed form, no iteration.
 */
import { FaceGateError } from '../errors.ts';

/** Fitted lower tail of an embedder's impostor (different-person) Euclidean distance. */
export interface ImpostorTail {
  /** Embedding model id the distances came from (a fusion has its own id). */
  modelId: string;
  /** Impostor pairs the fit used. */
  pairs: number;
  /** Empirical CDF points [distance, P(d < distance)], ascending; the first is the split (u, ζ). */
  table: [number, number][];
  /** GPD of the exceedance below u: shape ξ, scale σ. */
  gpd: { xi: number; sigma: number };
  /** Where the numbers came from (command, data), for the record. */
  source?: string;
}

const checkRate = (name: string, x: number): void => {
  if (!(x > 0 && x < 1)) throw new FaceGateError('FG_INPUT_INVALID', `${name} must be in (0, 1), got ${x}`);
};
const checkSize = (n: number): void => {
  if (!(Number.isInteger(n) && n >= 1)) throw new FaceGateError('FG_INPUT_INVALID', `gallery size must be an integer >= 1, got ${n}`);
};

/** Per-comparison false-match rate p with 1 - (1 - p)^N = fpir (log1p/expm1: exact for tiny p). */
export function perComparisonRate(fpir: number, galleryTemplates: number): number {
  checkRate('fpir', fpir);
  checkSize(galleryTemplates);
  return -Math.expm1(Math.log1p(-fpir) / galleryTemplates);
}

/** FPIR of N independent comparisons that each falsely match with probability p. */
export function fpirFromRate(p: number, galleryTemplates: number): number {
  if (!(p >= 0 && p <= 1)) throw new FaceGateError('FG_INPUT_INVALID', `rate must be in [0, 1], got ${p}`);
  checkSize(galleryTemplates);
  if (p === 1) return 1;
  return -Math.expm1(galleryTemplates * Math.log1p(-p));
}

/** GPD fit by probability-weighted moments to exceedances y >= 0 (any order). */
export function fitGpdPwm(exceedances: readonly number[]): { xi: number; sigma: number } {
  const n = exceedances.length;
  if (n < 10) throw new FaceGateError('FG_CALIBRATION', `a tail fit needs at least 10 exceedances, got ${n}`);
  const y = [...exceedances].sort((a, b) => a - b);
  let a0 = 0;
  let a1 = 0;
  for (let j = 0; j < n; j++) {
    a0 += y[j];
    a1 += y[j] * (n - 1 - j) / (n - 1);
  }
  a0 /= n;
  a1 /= n;
  const den = a0 - 2 * a1;
  if (!(den > 0) || !(a0 > 0)) throw new FaceGateError('FG_CALIBRATION', 'tail fit failed: degenerate exceedances');
  return { xi: 2 - a0 / den, sigma: (2 * a0 * a1) / den };
}

/**
 * Tail from impostor distances: the split at rate `splitRate` (the (splitRate·n)-th smallest
 * distance), the GPD fitted to the exceedances under it, and an empirical table above it at
 * log-spaced rates up to 0.5.
 */
export function fitImpostorTail(distances: Float64Array | readonly number[], modelId: string, splitRate = 1e-3, source?: string): ImpostorTail {
  const d = Float64Array.from(distances).sort();
  const n = d.length;
  const k = Math.floor(splitRate * n);
  if (k < 10) throw new FaceGateError('FG_CALIBRATION', `split rate ${splitRate} leaves ${k} impostor distances under the split; need at least 10 (more pairs or a higher split rate)`);
  const u = d[k];
  const ex: number[] = [];
  for (let i = 0; i < k; i++) ex.push(u - d[i]);
  const gpd = fitGpdPwm(ex);
  const table: [number, number][] = [[u, k / n]];
  for (let r = k / n * 1.25; r < 0.5; r *= 1.25) {
    const i = Math.floor(r * n);
    if (d[i] > table[table.length - 1][0]) table.push([d[i], i / n]);
  }
  return { modelId, pairs: n, table, gpd, ...(source ? { source } : {}) };
}

/** P(impostor distance < t) under the tail model. */
export function impostorRateAt(tail: ImpostorTail, t: number): number {
  const [u, zeta] = tail.table[0];
  if (t <= u) {
    const { xi, sigma } = tail.gpd;
    const y = u - t;
    if (Math.abs(xi) < 1e-9) return zeta * Math.exp(-y / sigma);
    const base = 1 + (xi * y) / sigma;
    return base <= 0 ? 0 : zeta * base ** (-1 / xi);
  }
  const tb = tail.table;
  for (let i = 1; i < tb.length; i++) {
    if (t <= tb[i][0]) {
      const [d0, p0] = tb[i - 1];
      const [d1, p1] = tb[i];
      // log-linear in the rate between table points
      return Math.exp(Math.log(p0) + ((t - d0) / (d1 - d0)) * (Math.log(p1) - Math.log(p0)));
    }
  }
  return tb[tb.length - 1][1];
}

/** Distance t with P(impostor distance < t) = p (inverse of impostorRateAt). */
export function impostorQuantile(tail: ImpostorTail, p: number): number {
  checkRate('rate', p);
  const [u, zeta] = tail.table[0];
  if (p <= zeta) {
    const { xi, sigma } = tail.gpd;
    const y = Math.abs(xi) < 1e-9 ? sigma * Math.log(zeta / p) : (sigma / xi) * ((p / zeta) ** -xi - 1);
    return Math.max(0, u - y);
  }
  const tb = tail.table;
  for (let i = 1; i < tb.length; i++) {
    if (p <= tb[i][1]) {
      const [d0, p0] = tb[i - 1];
      const [d1, p1] = tb[i];
      return d0 + ((Math.log(p) - Math.log(p0)) / (Math.log(p1) - Math.log(p0))) * (d1 - d0);
    }
  }
  return tb[tb.length - 1][0];
}

export interface OperatingPoint {
  /** Distance threshold for this gallery size. */
  threshold: number;
  /** Target stranger-acceptance rate per decision. */
  fpir: number;
  /** Templates the stranger is compared with. */
  galleryTemplates: number;
  /** Per-comparison false-match rate at the threshold. */
  perComparison: number;
}

/** Threshold giving `fpir` against `galleryTemplates` templates (empty gallery: sized as one). */
export function thresholdForFpir(tail: ImpostorTail, fpir: number, galleryTemplates: number): OperatingPoint {
  const n = Math.max(1, galleryTemplates);
  const p = perComparisonRate(fpir, n);
  return { threshold: impostorQuantile(tail, p), fpir, galleryTemplates: n, perComparison: p };
}

/** FPIR a given threshold implies against `galleryTemplates` templates. */
export function impliedFpir(tail: ImpostorTail, threshold: number, galleryTemplates: number): number {
  return fpirFromRate(impostorRateAt(tail, threshold), Math.max(1, galleryTemplates));
}

/** Default target: at most 1 stranger in 1,000 decisions granted, whatever the gallery size. */
export const DEFAULT_FPIR = 0.001;

export interface MatchPolicy {
  /** Target FPIR per decision (default DEFAULT_FPIR). */
  fpir?: number;
  /** A raw distance threshold instead (kept possible; warned about when it exceeds the target). */
  threshold?: number;
}

export interface EffectivePoint {
  threshold: number;
  source: 'fpir' | 'threshold';
  targetFpir: number;
  /** FPIR the threshold implies for this gallery; null without a tail for the model. */
  impliedFpir: number | null;
  templates: number;
  /** Set when a raw threshold implies more strangers granted than the target. */
  warning: string | null;
}

/** The threshold to decide with now, from the policy, the model's tail and the gallery size. */
export function effectiveOperatingPoint(policy: MatchPolicy, tail: ImpostorTail | undefined, templates: number, modelId: string): EffectivePoint {
  const targetFpir = policy.fpir ?? DEFAULT_FPIR;
  checkRate('fpir', targetFpir);
  const n = Math.max(1, templates);
  if (policy.threshold !== undefined) {
    if (!(policy.threshold > 0 && policy.threshold <= 2)) throw new FaceGateError('FG_CONFIG_INVALID', `match.threshold must be a distance in (0, 2], got ${policy.threshold}`);
    const implied = tail ? impliedFpir(tail, policy.threshold, n) : null;
    const warning = implied !== null && implied > targetFpir
      ? `match.threshold ${policy.threshold} grants about ${Number((100 * implied).toPrecision(2))}% of strangers with ${n} templates enrolled (target ${100 * targetFpir}%); remove it to use match.fpir`
      : null;
    return { threshold: policy.threshold, source: 'threshold', targetFpir, impliedFpir: implied, templates: n, warning };
  }
  if (!tail) throw new FaceGateError('FG_CONFIG_INVALID', `no impostor-distance tail is known for model ${modelId}: set match.threshold (e.g. from facegate calibrate)`);
  const op = thresholdForFpir(tail, targetFpir, n);
  return { threshold: op.threshold, source: 'fpir', targetFpir, impliedFpir: impliedFpir(tail, op.threshold, n), templates: n, warning: null };
}
