/**
 * Projection head on top of a frozen embedder: x (d, unit) -> [W1 x + b1 -> ReLU/PReLU ->] W x + b
 * = z (k) -> y = z / |z|. All parameters live in one Float64Array, so optimisers, snapshots and
 * gradient checks see a single flat vector; weights are row-major (out x in).
 *
 * Backward through the normalisation: dy/dz = (I - y y^T) / |z|, so dL/dz = (g - y (y.g)) / |z|
 * (the component of the gradient along y changes only the length, which the normalisation removes).
 */
import { FaceGateError } from '../../sdk/errors.ts';
import type { Rng } from './rng.ts';

export type HeadActivation = 'relu' | 'prelu';
/**
 * identity: the head starts as the pretrained space (first k coordinates of x; with a hidden layer
 * the pair relu(x) - relu(-x) = x, so it needs hidden >= 2 min(d, k)); orthogonal: random
 * orthonormal rows (a random rotation/projection, distances kept when k = d); he: Gaussian
 * N(0, 2/fan_in), the usual from-scratch start.
 */
export type HeadInit = 'identity' | 'orthogonal' | 'he';

export interface HeadShape {
  inDim: number;
  outDim: number;
  /** Hidden units; 0 or absent for a linear head. */
  hidden?: number;
  activation?: HeadActivation;
}

export interface HeadForward {
  n: number;
  /** Unit outputs, n x outDim. */
  y: Float64Array;
  /** |z| per row (before normalisation). */
  norm: Float64Array;
  /** Hidden pre-activations and activations, n x hidden (hidden heads only). */
  hPre: Float64Array | null;
  hAct: Float64Array | null;
}

/** Offsets of each tensor inside the flat parameter vector. */
export interface HeadLayout {
  w1: number;
  b1: number;
  slope: number; // -1 when absent
  w2: number; // -1 for a linear head
  b2: number; // -1 for a linear head
  size: number;
}

const PRELU_SLOPE_INIT = 0.25;
const NORM_FLOOR = 1e-12;

export function headLayout(s: Required<HeadShape>): HeadLayout {
  const d = s.inDim;
  const k = s.outDim;
  const h = s.hidden;
  if (h === 0) return { w1: 0, b1: k * d, slope: -1, w2: -1, b2: -1, size: k * d + k };
  const slope = s.activation === 'prelu' ? h * d + h : -1;
  const w2 = h * d + h + (slope >= 0 ? h : 0);
  return { w1: 0, b1: h * d, slope, w2, b2: w2 + k * h, size: w2 + k * h + k };
}

function checkShape(s: HeadShape): Required<HeadShape> {
  const full: Required<HeadShape> = { inDim: s.inDim, outDim: s.outDim, hidden: s.hidden ?? 0, activation: s.activation ?? 'relu' };
  for (const [name, v] of [['input dim', full.inDim], ['output dim', full.outDim]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new FaceGateError('FG_CONFIG_INVALID', `head ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(full.hidden) || full.hidden < 0) throw new FaceGateError('FG_CONFIG_INVALID', `head hidden units must be an integer >= 0, got ${full.hidden}`);
  if (full.activation !== 'relu' && full.activation !== 'prelu') throw new FaceGateError('FG_CONFIG_INVALID', `head activation must be relu or prelu, got "${String(full.activation)}"`);
  return full;
}

/** Rows x cols matrix with orthonormal rows (rows <= cols) or orthonormal columns, by Gram-Schmidt. */
export function randomOrthogonal(rows: number, cols: number, rng: Rng): Float64Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal();
  // Orthonormalise along the shorter side: vectors of length `len`, `count` of them, stride access.
  const byRows = rows <= cols;
  const count = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (v: number, j: number) => (byRows ? v * cols + j : j * cols + v);
  for (let v = 0; v < count; v++) {
    for (let pass = 0; pass < 2; pass++) { // twice: classical Gram-Schmidt loses orthogonality once
      for (let u = 0; u < v; u++) {
        let dot = 0;
        for (let j = 0; j < len; j++) dot += m[at(v, j)] * m[at(u, j)];
        for (let j = 0; j < len; j++) m[at(v, j)] -= dot * m[at(u, j)];
      }
    }
    let norm = 0;
    for (let j = 0; j < len; j++) norm += m[at(v, j)] ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < len; j++) m[at(v, j)] /= norm;
  }
  return m;
}

export class ProjectionHead {
  readonly inDim: number;
  readonly outDim: number;
  readonly hidden: number;
  readonly activation: HeadActivation;
  readonly layout: HeadLayout;
  readonly params: Float64Array;

  constructor(shape: HeadShape, params?: Float64Array) {
    const s = checkShape(shape);
    this.inDim = s.inDim;
    this.outDim = s.outDim;
    this.hidden = s.hidden;
    this.activation = s.activation;
    this.layout = headLayout(s);
    if (params && params.length !== this.layout.size) {
      throw new FaceGateError('FG_CONFIG_INVALID', `head parameters: expected ${this.layout.size} values for ${this.describe()}, got ${params.length}`);
    }
    this.params = params ?? new Float64Array(this.layout.size);
  }

  get shape(): Required<HeadShape> {
    return { inDim: this.inDim, outDim: this.outDim, hidden: this.hidden, activation: this.activation };
  }

  describe(): string {
    return this.hidden ? `${this.inDim} -> ${this.hidden} (${this.activation}) -> ${this.outDim}, L2` : `${this.inDim} -> ${this.outDim}, L2`;
  }

  /** First layer: rows = hidden (or outDim for a linear head), cols = inDim. */
  get w1(): Float64Array {
    const r = this.hidden || this.outDim;
    return this.params.subarray(this.layout.w1, this.layout.w1 + r * this.inDim);
  }
  get b1(): Float64Array {
    return this.params.subarray(this.layout.b1, this.layout.b1 + (this.hidden || this.outDim));
  }
  get slope(): Float64Array | null {
    return this.layout.slope < 0 ? null : this.params.subarray(this.layout.slope, this.layout.slope + this.hidden);
  }
  get w2(): Float64Array | null {
    return this.layout.w2 < 0 ? null : this.params.subarray(this.layout.w2, this.layout.w2 + this.outDim * this.hidden);
  }
  get b2(): Float64Array | null {
    return this.layout.b2 < 0 ? null : this.params.subarray(this.layout.b2, this.layout.b2 + this.outDim);
  }

  static create(shape: HeadShape, init: HeadInit, rng: Rng): ProjectionHead {
    const head = new ProjectionHead(shape);
    head.initialise(init, rng);
    return head;
  }

  initialise(init: HeadInit, rng: Rng): void {
    const d = this.inDim;
    const k = this.outDim;
    const h = this.hidden;
    this.params.fill(0);
    const w1 = this.w1;
    if (!h) {
      if (init === 'identity') for (let i = 0; i < Math.min(k, d); i++) w1[i * d + i] = 1;
      else if (init === 'orthogonal') w1.set(randomOrthogonal(k, d, rng));
      else for (let i = 0; i < w1.length; i++) w1[i] = rng.normal() * Math.sqrt(2 / d);
      return;
    }
    const w2 = this.w2!;
    this.slope?.fill(PRELU_SLOPE_INIT);
    if (init === 'identity') {
      const m = Math.min(d, k);
      if (h < 2 * m) {
        throw new FaceGateError('FG_CONFIG_INVALID', `identity init of a hidden head needs hidden >= 2 x min(in, out) = ${2 * m}, got ${h}; use --init he or orthogonal`);
      }
      // relu(x) - relu(-x) = x (PReLU: (1 + slope) x, a scale the normalisation removes).
      for (let i = 0; i < m; i++) {
        w1[i * d + i] = 1;
        w1[(m + i) * d + i] = -1;
        w2[i * h + i] = 1;
        w2[i * h + m + i] = -1;
      }
      // Spare units start small and random so they are not dead (zero input -> zero ReLU gradient).
      for (let r = 2 * m; r < h; r++) for (let j = 0; j < d; j++) w1[r * d + j] = rng.normal() * 0.01;
      return;
    }
    if (init === 'orthogonal') {
      w1.set(randomOrthogonal(h, d, rng));
      w2.set(randomOrthogonal(k, h, rng));
      return;
    }
    for (let i = 0; i < w1.length; i++) w1[i] = rng.normal() * Math.sqrt(2 / d);
    for (let i = 0; i < w2.length; i++) w2[i] = rng.normal() * Math.sqrt(1 / h);
  }

  /** Forward pass for n rows of x (n x inDim, any numeric array type). */
  forward(x: ArrayLike<number>, n: number): HeadForward {
    const d = this.inDim;
    if (x.length !== n * d) throw new FaceGateError('FG_INPUT_INVALID', `head input: expected ${n} x ${d} values, got ${x.length}`);
    const k = this.outDim;
    const h = this.hidden;
    const z = new Float64Array(n * k);
    let hPre: Float64Array | null = null;
    let hAct: Float64Array | null = null;
    if (!h) {
      affine(this.w1, this.b1, x, n, d, k, z);
    } else {
      hPre = new Float64Array(n * h);
      hAct = new Float64Array(n * h);
      affine(this.w1, this.b1, x, n, d, h, hPre);
      const slope = this.slope;
      for (let i = 0; i < n * h; i++) {
        const v = hPre[i];
        hAct[i] = v > 0 ? v : slope ? slope[i % h] * v : 0;
      }
      affine(this.w2!, this.b2!, hAct, n, h, k, z);
    }
    const norm = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += z[r * k + j] ** 2;
      const len = Math.max(Math.sqrt(s), NORM_FLOOR);
      norm[r] = len;
      for (let j = 0; j < k; j++) z[r * k + j] /= len;
    }
    return { n, y: z, norm, hPre, hAct };
  }

  /**
   * Accumulates dL/dparams into `grad` (same layout as params) from dL/dy (n x outDim). The
   * embedder is frozen, so no gradient w.r.t. x is formed.
   */
  backward(fw: HeadForward, x: ArrayLike<number>, gradY: ArrayLike<number>, grad: Float64Array): void {
    const { n, y, norm } = fw;
    const d = this.inDim;
    const k = this.outDim;
    const h = this.hidden;
    const L = this.layout;
    const dz = new Float64Array(n * k);
    for (let r = 0; r < n; r++) {
      const o = r * k;
      let dot = 0;
      for (let j = 0; j < k; j++) dot += y[o + j] * gradY[o + j];
      const inv = 1 / norm[r];
      for (let j = 0; j < k; j++) dz[o + j] = (gradY[o + j] - y[o + j] * dot) * inv;
    }
    if (!h) {
      affineBackward(dz, x, n, d, k, grad, L.w1, L.b1, null, null);
      return;
    }
    const dAct = new Float64Array(n * h);
    affineBackward(dz, fw.hAct!, n, h, k, grad, L.w2, L.b2, this.w2, dAct);
    const slope = this.slope;
    const hPre = fw.hPre!;
    const dPre = new Float64Array(n * h);
    for (let i = 0; i < n * h; i++) {
      const v = hPre[i];
      if (v > 0) dPre[i] = dAct[i];
      else if (slope) {
        const c = i % h;
        dPre[i] = dAct[i] * slope[c];
        grad[L.slope + c] += dAct[i] * v;
      }
    }
    affineBackward(dPre, x, n, d, h, grad, L.w1, L.b1, null, null);
  }

  /** Projects one embedding (float32 in, float32 unit out), e.g. for a gallery built with the head. */
  project(x: Float32Array): Float32Array {
    return Float32Array.from(this.forward(x, 1).y);
  }

  clone(): ProjectionHead {
    return new ProjectionHead(this.shape, Float64Array.from(this.params));
  }
}

/** out[r] = W in[r] + b for n rows; W is outDim x inDim row-major. */
function affine(w: Float64Array, b: Float64Array, x: ArrayLike<number>, n: number, inDim: number, outDim: number, out: Float64Array): void {
  for (let r = 0; r < n; r++) {
    const xo = r * inDim;
    for (let i = 0; i < outDim; i++) {
      let s = b[i];
      const wo = i * inDim;
      for (let j = 0; j < inDim; j++) s += w[wo + j] * x[xo + j];
      out[r * outDim + i] = s;
    }
  }
}

/**
 * For out = W x + b: dW += dOut x^T, db += dOut, and dX = W^T dOut when `dIn` is given.
 */
function affineBackward(
  dOut: Float64Array, x: ArrayLike<number>, n: number, inDim: number, outDim: number,
  grad: Float64Array, wOff: number, bOff: number, w: Float64Array | null, dIn: Float64Array | null,
): void {
  for (let r = 0; r < n; r++) {
    const xo = r * inDim;
    for (let i = 0; i < outDim; i++) {
      const g = dOut[r * outDim + i];
      if (g === 0) continue;
      grad[bOff + i] += g;
      const go = wOff + i * inDim;
      for (let j = 0; j < inDim; j++) grad[go + j] += g * x[xo + j];
      if (dIn && w) {
        const wo = i * inDim;
        for (let j = 0; j < inDim; j++) dIn[xo + j] += g * w[wo + j];
      }
    }
  }
}
