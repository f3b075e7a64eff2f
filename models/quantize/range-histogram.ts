/**
 * Activation statistics for calibration: exact min/max plus a fixed-bin-count histogram whose
 * range grows by doubling (adjacent bins merged pairwise), so one pass over the data suffices
 * and merging loses nothing. From it: min-max, percentile and entropy (KL) ranges.
 */

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

export class RangeHistogram {
  readonly bins: number;
  min = Infinity;
  max = -Infinity;
  count = 0;
  /** Histogram covers [lo, lo + width * bins). */
  lo = 0;
  width = 0;
  readonly counts: Float64Array;

  constructor(bins = 2048) {
    if (bins < 2 || bins % 2) throw new RangeError('bins must be even and >= 2');
    this.bins = bins;
    this.counts = new Float64Array(bins);
  }

  add(x: Float32Array): void {
    if (!x.length) return;
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (!Number.isFinite(mn) || !Number.isFinite(mx)) throw new RangeError('activation has non-finite values');
    if (mn < this.min) this.min = mn;
    if (mx > this.max) this.max = mx;
    if (this.width === 0) this.#init(mn, mx);
    this.#cover(mn, mx);
    const { lo, width, counts, bins } = this;
    const inv = 1 / width;
    for (let i = 0; i < x.length; i++) {
      let b = Math.floor((x[i] - lo) * inv);
      if (b >= bins) b = bins - 1; // x == upper edge after float rounding
      else if (b < 0) b = 0;
      counts[b]++;
    }
    this.count += x.length;
  }

  #init(mn: number, mx: number): void {
    // Anchor the grid at 0 when the data allows, so a ReLU output's zeros sit in bin 0.
    const lo = mn >= 0 ? 0 : mn;
    const span = Math.max(mx - lo, Math.abs(lo) * 1e-6, 1e-8);
    this.lo = lo;
    this.width = (span * 1.0001) / this.bins;
  }

  /** Doubles the covered span (towards the side that needs it) until [mn, mx] fits. */
  #cover(mn: number, mx: number): void {
    const { bins, counts } = this;
    while (mn < this.lo || mx >= this.lo + this.width * bins) {
      const growDown = mn < this.lo;
      const half = bins / 2;
      const merged = new Float64Array(half);
      for (let i = 0; i < half; i++) merged[i] = counts[2 * i] + counts[2 * i + 1];
      counts.fill(0);
      if (growDown) {
        counts.set(merged, half); // old range becomes the upper half
        this.lo -= this.width * bins;
      } else {
        counts.set(merged, 0);
      }
      this.width *= 2;
    }
  }

  /** Value below which a fraction `q` of the samples lie (linear inside a bin). */
  quantile(q: number): number {
    if (!this.count) throw new RangeError('empty histogram');
    const target = q * this.count;
    let acc = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b];
      if (acc + c >= target && c > 0) {
        const f = (target - acc) / c;
        return Math.min(this.max, Math.max(this.min, this.lo + (b + f) * this.width));
      }
      acc += c;
    }
    return this.max;
  }

  /**
   * The range to quantise to. percentile: clips a (1 - p) share of samples from each tail
   * (p = 0.9999 keeps 99.99% per side). entropy: the clipping threshold of the histogram of |x|
   * whose quantised version has the least KL divergence from it (TensorRT's method), as [-t, t]
   * intersected with [min, max].
   */
  range(method: CalibrationMethod, opts: { percentile?: number; levels?: number } = {}): [number, number] {
    if (!this.count) throw new RangeError('no calibration data for this tensor');
    if (method === 'minmax') return [this.min, this.max];
    if (method === 'percentile') {
      const p = opts.percentile ?? 0.9999;
      const lo = this.min >= 0 ? this.min : this.quantile(1 - p);
      const hi = this.max <= 0 ? this.max : this.quantile(p);
      return [Math.min(lo, hi), hi];
    }
    const t = this.#entropyThreshold(opts.levels);
    return [Math.max(this.min, -t), Math.min(this.max, t)];
  }

  #absHistogram(): { counts: Float64Array; width: number } {
    // Fold the signed histogram onto |x| with the same bin width (bins straddling 0 split evenly).
    const amax = Math.max(Math.abs(this.min), Math.abs(this.max));
    const n = Math.max(1, Math.ceil(amax / this.width));
    const counts = new Float64Array(n);
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b];
      if (!c) continue;
      const a = this.lo + b * this.width;
      const bEnd = a + this.width;
      if (a >= 0 || bEnd <= 0) {
        const centre = Math.abs(a + this.width / 2);
        counts[Math.min(n - 1, Math.floor(centre / this.width))] += c;
      } else {
        counts[0] += c;
      }
    }
    return { counts, width: this.width };
  }

  #entropyThreshold(levels?: number): number {
    const { counts, width } = this.#absHistogram();
    // Signed data spreads 256 levels over both sides: 128 per side; non-negative data uses 255.
    const q = levels ?? (this.min < 0 ? 128 : 255);
    const n = counts.length;
    if (n <= q) return n * width;
    let best = n;
    let bestKl = Infinity;
    const step = Math.max(1, Math.floor((n - q) / 256)); // ~256 candidates keeps this O(256 * n)
    for (let i = q; i <= n; i += step) {
      const kl = klAtThreshold(counts, i, q);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    return best * width;
  }
}

/**
 * KL(P || Q) where P = the first i bins with the tail mass folded into bin i-1, and Q = those i
 * bins without the tail, squeezed into q levels then spread back over the non-empty bins of each
 * level (TensorRT's calibration criterion).
 */
export function klAtThreshold(hist: Float64Array, i: number, q: number): number {
  const p = new Float64Array(i);
  for (let k = 0; k < i; k++) p[k] = hist[k];
  let tail = 0;
  for (let k = i; k < hist.length; k++) tail += hist[k];
  p[i - 1] += tail;
  const expanded = new Float64Array(i);
  const per = i / q;
  for (let j = 0; j < q; j++) {
    const start = Math.floor(j * per);
    const end = j === q - 1 ? i : Math.floor((j + 1) * per);
    let sum = 0;
    let nonEmpty = 0;
    for (let k = start; k < end; k++) {
      // Q is built from the unclipped bins only: clipped mass that P piles into its last bin is
      // missing from Q, which is what makes clipping cost something.
      sum += hist[k];
      if (p[k] > 0) nonEmpty++;
    }
    if (!nonEmpty) continue;
    const v = sum / nonEmpty;
    for (let k = start; k < end; k++) if (p[k] > 0) expanded[k] = v;
  }
  let sp = 0;
  let sq = 0;
  for (let k = 0; k < i; k++) {
    sp += p[k];
    sq += expanded[k];
  }
  if (!sp || !sq) return Infinity;
  // Q is smoothed where P has mass and Q none (as TensorRT/ORT do): otherwise any threshold whose
  // last bin is empty scores infinite and only the full range can win.
  const eps = 1e-4;
  let kl = 0;
  for (let k = 0; k < i; k++) {
    if (p[k] === 0) continue;
    const pk = p[k] / sp;
    const qk = Math.max(expanded[k] / sq, eps);
    kl += pk * Math.log(pk / qk);
  }
  return kl;
}
