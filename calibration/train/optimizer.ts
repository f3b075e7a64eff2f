/**
 * First-order optimisers over flat Float64Array parameter vectors. State (velocity, moments) is
 * kept per parameter vector, so one optimiser can step the head and the softmax classifier.
 */
import { FaceGateError } from '../../sdk/errors.ts';

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerOptions {
  name: OptimizerName;
  lr: number;
  /** SGD momentum (0.9 by default). */
  momentum?: number;
  /** L2 weight decay added to the gradient (0 by default). */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface Optimizer {
  readonly options: Readonly<Required<OptimizerOptions>>;
  /** params -= update(grad); `grad` is not modified. */
  step(params: Float64Array, grad: Float64Array): void;
  /** Learning rate used from the next step on (schedules). */
  setLr(lr: number): void;
}

export function createOptimizer(o: OptimizerOptions): Optimizer {
  const opts: Required<OptimizerOptions> = {
    name: o.name,
    lr: o.lr,
    momentum: o.momentum ?? 0.9,
    weightDecay: o.weightDecay ?? 0,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
  };
  if (!(opts.lr > 0)) throw new FaceGateError('FG_CONFIG_INVALID', `learning rate must be > 0, got ${o.lr}`);
  if (!(opts.momentum >= 0 && opts.momentum < 1)) throw new FaceGateError('FG_CONFIG_INVALID', `momentum must be in [0, 1), got ${opts.momentum}`);
  if (!(opts.weightDecay >= 0)) throw new FaceGateError('FG_CONFIG_INVALID', `weight decay must be >= 0, got ${opts.weightDecay}`);
  if (opts.name === 'sgd') return new Sgd(opts);
  if (opts.name === 'adam') return new Adam(opts);
  throw new FaceGateError('FG_CONFIG_INVALID', `optimiser must be sgd or adam, got "${String(o.name)}"`);
}

class Sgd implements Optimizer {
  readonly options: Required<OptimizerOptions>;
  readonly #velocity = new Map<Float64Array, Float64Array>();
  constructor(o: Required<OptimizerOptions>) {
    this.options = o;
  }
  setLr(lr: number): void {
    this.options.lr = lr;
  }
  step(p: Float64Array, g: Float64Array): void {
    let v = this.#velocity.get(p);
    if (!v) { v = new Float64Array(p.length); this.#velocity.set(p, v); }
    const { lr, momentum: mu, weightDecay: wd } = this.options;
    // Heavy-ball momentum: v <- mu v + g; p <- p - lr v.
    for (let i = 0; i < p.length; i++) {
      v[i] = mu * v[i] + g[i] + wd * p[i];
      p[i] -= lr * v[i];
    }
  }
}

class Adam implements Optimizer {
  readonly options: Required<OptimizerOptions>;
  readonly #state = new Map<Float64Array, { m: Float64Array; v: Float64Array; t: number }>();
  constructor(o: Required<OptimizerOptions>) {
    this.options = o;
  }
  setLr(lr: number): void {
    this.options.lr = lr;
  }
  step(p: Float64Array, g: Float64Array): void {
    let s = this.#state.get(p);
    if (!s) { s = { m: new Float64Array(p.length), v: new Float64Array(p.length), t: 0 }; this.#state.set(p, s); }
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd } = this.options;
    s.t++;
    const c1 = 1 - b1 ** s.t;
    const c2 = 1 - b2 ** s.t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + wd * p[i];
      s.m[i] = b1 * s.m[i] + (1 - b1) * gi;
      s.v[i] = b2 * s.v[i] + (1 - b2) * gi * gi;
      p[i] -= (lr * (s.m[i] / c1)) / (Math.sqrt(s.v[i] / c2) + eps);
    }
  }
}
