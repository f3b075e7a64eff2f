/**
 * Softmax cross-entropy + center loss (Wen et al. 2016, "A Discriminative Feature Learning
 * Approach for Deep Face Recognition"), on the unit head outputs x_i:
 *   L = (1/m) sum_i [ -log softmax(s W x_i + b)_{y_i} + lambda/2 |x_i - c_{y_i}|^2 ]
 * (the paper sums over the mini-batch; the mean keeps the learning rate independent of batch size).
 * The classifier (W: C x k, b: C) is trained with the head and thrown away afterwards. The centres
 * are not trained by gradient: after each batch, c_j <- c_j - alpha * dc_j with
 *   dc_j = sum_{i: y_i = j} (c_j - x_i) / (1 + n_j)
 * (the paper's update: the 1 in the denominator damps classes with few samples in the batch).
 */
import { FaceGateError } from '../../../sdk/errors.ts';
import type { Rng } from '../rng.ts';
import type { LossResult } from './types.ts';

export interface CenterLossOptions {
  /** Weight of the center term. */
  lambda: number;
  /** Centre update rate, in [0, 1]. */
  alpha: number;
  /** Fixed logit scale s: unit features give logits of at most |W_j|, so softmax starts flat without it. */
  scale: number;
}

export interface CenterLossResult extends LossResult {
  crossEntropy: number;
  centerTerm: number;
  /** dL/d(classifier params), same layout as `SoftmaxCenterLoss.classifier`. */
  gradClassifier: Float64Array;
  /** Top-1 training accuracy of the classifier on this batch. */
  correct: number;
}

export class SoftmaxCenterLoss {
  readonly classes: number;
  readonly dim: number;
  readonly opts: CenterLossOptions;
  /** W (classes x dim, row-major) followed by b (classes). */
  readonly classifier: Float64Array;
  /** Class centres, classes x dim. */
  readonly centres: Float64Array;

  constructor(classes: number, dim: number, opts: CenterLossOptions, rng: Rng) {
    if (!Number.isInteger(classes) || classes < 2) throw new FaceGateError('FG_CONFIG_INVALID', `softmax needs at least 2 classes, got ${classes}`);
    if (!(opts.alpha >= 0 && opts.alpha <= 1)) throw new FaceGateError('FG_CONFIG_INVALID', `center-loss alpha must be in [0, 1], got ${opts.alpha}`);
    if (!(opts.lambda >= 0)) throw new FaceGateError('FG_CONFIG_INVALID', `center-loss lambda must be >= 0, got ${opts.lambda}`);
    if (!(opts.scale > 0)) throw new FaceGateError('FG_CONFIG_INVALID', `softmax scale must be > 0, got ${opts.scale}`);
    this.classes = classes;
    this.dim = dim;
    this.opts = opts;
    this.classifier = new Float64Array(classes * dim + classes);
    // Small random weights: symmetric zero weights would still learn, but random breaks ties early.
    for (let i = 0; i < classes * dim; i++) this.classifier[i] = rng.normal() * 0.01;
    this.centres = new Float64Array(classes * dim);
  }

  /** Starts each centre at the mean of its class's current features (instead of the origin). */
  initCentres(x: ArrayLike<number>, n: number, labels: ArrayLike<number>): void {
    const k = this.dim;
    const count = new Float64Array(this.classes);
    this.centres.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      count[c]++;
      for (let j = 0; j < k; j++) this.centres[c * k + j] += x[i * k + j];
    }
    for (let c = 0; c < this.classes; c++) if (count[c] > 0) for (let j = 0; j < k; j++) this.centres[c * k + j] /= count[c];
  }

  /**
   * Weight imprinting (Qi et al. 2018): classifier row j = unit direction of centre j, bias 0, so
   * the softmax starts as a nearest-centre (cosine) classifier instead of noise, and its first
   * gradients into the head are meaningful rather than random. Call after initCentres.
   */
  imprintClassifier(): void {
    const k = this.dim;
    for (let c = 0; c < this.classes; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += this.centres[c * k + j] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < k; j++) this.classifier[c * k + j] = this.centres[c * k + j] * inv;
      this.classifier[this.classes * k + c] = 0;
    }
  }

  compute(x: Float64Array, n: number, labels: ArrayLike<number>): CenterLossResult {
    const k = this.dim;
    const C = this.classes;
    const { lambda, scale: s } = this.opts;
    const W = this.classifier;
    const bOff = C * k;
    const gradY = new Float64Array(n * k);
    const gradClassifier = new Float64Array(W.length);
    const logits = new Float64Array(C);
    let ce = 0;
    let center = 0;
    let correct = 0;
    const inv = n > 0 ? 1 / n : 0;
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (!(y >= 0 && y < C)) throw new FaceGateError('FG_INPUT_INVALID', `label ${y} outside 0..${C - 1}`);
      const xo = i * k;
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < C; c++) {
        let z = 0;
        const wo = c * k;
        for (let j = 0; j < k; j++) z += W[wo + j] * x[xo + j];
        z = s * z + W[bOff + c];
        logits[c] = z;
        if (z > max) { max = z; arg = c; }
      }
      if (arg === y) correct++;
      let sum = 0;
      for (let c = 0; c < C; c++) {
        logits[c] = Math.exp(logits[c] - max); // stable softmax
        sum += logits[c];
      }
      ce += -Math.log(logits[y] / sum);
      for (let c = 0; c < C; c++) {
        const g = (logits[c] / sum - (c === y ? 1 : 0)) * inv; // dL/dlogit_c
        if (g === 0) continue;
        gradClassifier[bOff + c] += g;
        const wo = c * k;
        for (let j = 0; j < k; j++) {
          gradClassifier[wo + j] += g * s * x[xo + j];
          gradY[xo + j] += g * s * W[wo + j];
        }
      }
      const co = y * k;
      for (let j = 0; j < k; j++) {
        const t = x[xo + j] - this.centres[co + j];
        center += 0.5 * lambda * t * t;
        gradY[xo + j] += lambda * t * inv;
      }
    }
    return { loss: (ce + center) * inv, crossEntropy: ce * inv, centerTerm: center * inv, gradY, gradClassifier, correct };
  }

  /** Wen et al.'s centre update from this batch's features (call after the parameter step). */
  updateCentres(x: ArrayLike<number>, n: number, labels: ArrayLike<number>): void {
    const k = this.dim;
    const delta = new Map<number, { sum: Float64Array; count: number }>();
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      let e = delta.get(y);
      if (!e) { e = { sum: new Float64Array(k), count: 0 }; delta.set(y, e); }
      e.count++;
      for (let j = 0; j < k; j++) e.sum[j] += this.centres[y * k + j] - x[i * k + j];
    }
    const a = this.opts.alpha;
    for (const [y, e] of delta) {
      for (let j = 0; j < k; j++) this.centres[y * k + j] -= (a * e.sum[j]) / (1 + e.count);
    }
  }
}
