/**
 * Validation during training: verification pairs among the validation people (every same-person
 * pair, capped per person so one prolific person cannot dominate, and as many different-person
 * pairs drawn at random), scored with the calibration metrics.
 */
import { FaceGateError } from '../../sdk/errors.ts';
import { bestAccuracyThreshold, dPrime, rocCurve, tarAtFar, auc } from '../../sdk/metrics/index.ts';
import { squaredL2At } from '../../sdk/metrics/distance.ts';
import { rowsByLabel } from './dataset.ts';
import type { Rng } from './rng.ts';

export interface PairList {
  a: Int32Array;
  b: Int32Array;
  /** 1 same person, 0 different. */
  same: Uint8Array;
}

export function validationPairs(labels: Int32Array, classes: number, rng: Rng, maxGenuinePerPerson = 20): PairList {
  const byLabel = rowsByLabel(labels, classes);
  const a: number[] = [];
  const b: number[] = [];
  for (const rows of byLabel) {
    const all: [number, number][] = [];
    for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) all.push([rows[i], rows[j]]);
    if (all.length > maxGenuinePerPerson) rng.shuffle(all);
    for (const [x, y] of all.slice(0, maxGenuinePerPerson)) { a.push(x); b.push(y); }
  }
  const genuine = a.length;
  if (genuine === 0) throw new FaceGateError('FG_INPUT_INVALID', 'validation people have no same-person pair (need 2+ images of someone)');
  const n = labels.length;
  let possible = 0;
  for (const rows of byLabel) possible += rows.length * (n - rows.length);
  possible /= 2;
  const want = Math.min(genuine, possible);
  const taken = new Set<number>();
  while (taken.size < want) {
    let x = rng.int(n);
    let y = rng.int(n);
    if (labels[x] === labels[y]) continue;
    if (x > y) [x, y] = [y, x];
    if (taken.has(x * n + y)) continue;
    taken.add(x * n + y);
    a.push(x);
    b.push(y);
  }
  const same = new Uint8Array(a.length);
  same.fill(1, 0, genuine);
  return { a: Int32Array.from(a), b: Int32Array.from(b), same };
}

/** Euclidean distance of each pair, rows of `v` being dim long. */
export function pairDistances(v: ArrayLike<number>, dim: number, pairs: Pick<PairList, 'a' | 'b'>): Float64Array {
  const out = new Float64Array(pairs.a.length);
  for (let p = 0; p < out.length; p++) {
    const ao = pairs.a[p] * dim;
    const bo = pairs.b[p] * dim;
    out[p] = Math.sqrt(squaredL2At(v, ao, v, bo, dim));
  }
  return out;
}

export interface PairMetrics {
  /** Accuracy at the best threshold on these pairs (fitted on them: a tracking figure, not a test result). */
  accuracy: number;
  threshold: number;
  dPrime: number;
  auc: number;
  tarAtFar1e2: number;
  meanGenuine: number;
  meanImpostor: number;
}

export function pairMetrics(distances: Float64Array, same: Uint8Array): PairMetrics {
  const g: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < same.length; i++) (same[i] ? g : m).push(distances[i]);
  const best = bestAccuracyThreshold(distances, same);
  const roc = rocCurve(g, m);
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  return {
    accuracy: best.accuracy,
    threshold: best.threshold,
    dPrime: dPrime(g, m),
    auc: auc(roc),
    tarAtFar1e2: tarAtFar(roc, 1e-2).tar,
    meanGenuine: mean(g),
    meanImpostor: mean(m),
  };
}
