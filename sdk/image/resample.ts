import type { Box, Frame } from '../types.ts';
import { GREY_B, GREY_G, GREY_R, type TensorTarget } from './tensor-target.ts';

/**
 * Separable resampling of a rectangle of an RGB frame into a tensor slot.
 * - Downscaling averages areas (each source pixel weighted by its coverage of the output pixel),
 *   which is what the MTCNN pyramid needs: point sampling aliases and costs recall.
 * - Upscaling is bilinear with pixel centres at integer + 0.5, clamped to the rectangle.
 * - Pixels of the rectangle outside the frame are zero (the zero-padded crops MTCNN was trained on).
 */

export interface AxisTaps {
  /** For output i: taps are idx[start[i] .. start[i] + count[i]). */
  start: Int32Array;
  count: Int32Array;
  idx: Int32Array;
  w: Float32Array;
}

/** Source taps and weights along one axis. Taps outside [0, srcLen) are dropped: they are zero. */
export function axisTaps(srcLen: number, rectStart: number, rectLen: number, dstLen: number): AxisTaps {
  const ratio = rectLen / dstLen;
  const maxTaps = Math.ceil(Math.max(ratio, 1)) + 2;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const idx = new Int32Array(dstLen * maxTaps);
  const w = new Float32Array(dstLen * maxTaps);
  let n = 0;
  for (let i = 0; i < dstLen; i++) {
    start[i] = n;
    if (ratio >= 1) {
      const a = rectStart + i * ratio;
      const b = a + ratio;
      const p1 = Math.ceil(b) - 1;
      for (let p = Math.floor(a); p <= p1; p++) {
        const cover = Math.min(b, p + 1) - Math.max(a, p);
        if (cover <= 0 || p < 0 || p >= srcLen) continue;
        idx[n] = p;
        w[n++] = cover / ratio;
      }
    } else {
      // Clamp the sample position to the rectangle's pixel centres (edge replication within it).
      const lo = rectStart;
      const hi = Math.max(lo, rectStart + rectLen - 1);
      const c = Math.min(hi, Math.max(lo, rectStart + (i + 0.5) * ratio - 0.5));
      const p = Math.floor(c);
      const f = c - p;
      if (1 - f > 0 && p >= 0 && p < srcLen) { idx[n] = p; w[n++] = 1 - f; }
      if (f > 0 && p + 1 >= 0 && p + 1 < srcLen) { idx[n] = p + 1; w[n++] = f; }
    }
    count[i] = n - start[i];
  }
  return { start, count, idx: idx.subarray(0, n), w: w.subarray(0, n) };
}

// Scratch rows reused across calls: resampling runs synchronously, one call at a time.
let scratch: Float32Array = new Float32Array(0);
let accRow: Float32Array = new Float32Array(0);
function grow(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(Math.max(n, buf.length * 2));
}

/** Resamples `rect` (frame pixels, fractional allowed, may leave the frame) into `target`. */
export function resampleInto(src: Frame, rect: Box, target: TensorTarget): void {
  const dw = target.width;
  const dh = target.height;
  const tx = axisTaps(src.width, rect.x, rect.w, dw);
  const ty = axisTaps(src.height, rect.y, rect.h, dh);
  let rowMin = src.height;
  let rowMax = -1;
  for (let k = 0; k < ty.idx.length; k++) {
    if (ty.idx[k] < rowMin) rowMin = ty.idx[k];
    if (ty.idx[k] > rowMax) rowMax = ty.idx[k];
  }
  const rowLen = dw * 3;
  const nRows = Math.max(0, rowMax - rowMin + 1);
  scratch = grow(scratch, nRows * rowLen);
  accRow = grow(accRow, rowLen);
  const tmp = scratch;
  const acc = accRow;
  const sd = src.data;
  const sw3 = src.width * 3;
  const { start: xs, count: xc, idx: xi, w: xw } = tx;

  // Horizontal pass: every needed source row -> dw RGB floats.
  for (let r = 0; r < nRows; r++) {
    const srow = (rowMin + r) * sw3;
    const trow = r * rowLen;
    for (let i = 0; i < dw; i++) {
      let sr = 0, sg = 0, sb = 0;
      const k1 = xs[i] + xc[i];
      for (let k = xs[i]; k < k1; k++) {
        const p = srow + xi[k] * 3;
        const wk = xw[k];
        sr += sd[p] * wk;
        sg += sd[p + 1] * wk;
        sb += sd[p + 2] * wk;
      }
      const t = trow + i * 3;
      tmp[t] = sr;
      tmp[t + 1] = sg;
      tmp[t + 2] = sb;
    }
  }

  // Vertical pass, normalising and writing into the tensor slot.
  const { data: out, strideX, strideY, offR, offG, offB, grey, mean, scale } = target;
  const { start: ys, count: yc, idx: yi, w: yw } = ty;
  for (let j = 0; j < dh; j++) {
    acc.fill(0, 0, rowLen);
    const k1 = ys[j] + yc[j];
    for (let k = ys[j]; k < k1; k++) {
      const trow = (yi[k] - rowMin) * rowLen;
      const wk = yw[k];
      for (let t = 0; t < rowLen; t++) acc[t] += tmp[trow + t] * wk;
    }
    let o = target.offset + j * strideY;
    if (grey) {
      for (let i = 0; i < dw; i++, o += strideX) {
        const a = i * 3;
        out[o] = (GREY_R * acc[a] + GREY_G * acc[a + 1] + GREY_B * acc[a + 2] - mean) * scale;
      }
    } else {
      for (let i = 0; i < dw; i++, o += strideX) {
        const a = i * 3;
        out[o + offR] = (acc[a] - mean) * scale;
        out[o + offG] = (acc[a + 1] - mean) * scale;
        out[o + offB] = (acc[a + 2] - mean) * scale;
      }
    }
  }
}

/** Halves a frame with 2x2 box averaging, rounded (odd last row/column dropped). */
export function halveFrame(src: Frame): Frame {
  const w = src.width >> 1;
  const h = src.height >> 1;
  const out = new Uint8Array(w * h * 3);
  const sd = src.data;
  const sw3 = src.width * 3;
  let o = 0;
  for (let y = 0; y < h; y++) {
    let p = 2 * y * sw3;
    const end = p + w * 6;
    for (; p < end; p += 6, o += 3) {
      const q = p + sw3; // the pixel pair below
      out[o] = (sd[p] + sd[p + 3] + sd[q] + sd[q + 3] + 2) >> 2;
      out[o + 1] = (sd[p + 1] + sd[p + 4] + sd[q + 1] + sd[q + 4] + 2) >> 2;
      out[o + 2] = (sd[p + 2] + sd[p + 5] + sd[q + 2] + sd[q + 5] + 2) >> 2;
    }
  }
  return { data: out, width: w, height: h };
}

/**
 * Power-of-two reductions of a frame, built lazily. Area-resampling from the level just above
 * the target size reads ~4x the output instead of the whole frame per pyramid scale.
 * - A small rectangle (a crop for R-Net, O-Net or landmarks) never builds a level: it reads the
 *   finest level already built at or above its ideal one, which costs less than halving the
 *   whole frame for one crop (a track's O-Net pass on a 200 px face would otherwise halve a
 *   720p frame twice).
 */
export class MipChain {
  readonly levels: Frame[];
  constructor(frame: Frame) {
    this.levels = [frame];
  }

  level(l: number): Frame {
    while (this.levels.length <= l) {
      const last = this.levels[this.levels.length - 1];
      if (last.width < 2 || last.height < 2) break;
      this.levels.push(halveFrame(last));
    }
    return this.levels[Math.min(l, this.levels.length - 1)];
  }

  /** Area-resamples `rect` of level 0 into `target`, reading from the coarsest adequate level. */
  resampleInto(rect: Box, target: TensorTarget): void {
    const ratio = Math.min(rect.w / target.width, rect.h / target.height);
    let l = ratio >= 2 ? Math.floor(Math.log2(ratio)) : 0;
    const frame = this.levels[0];
    if (rect.w * rect.h * 4 >= frame.width * frame.height) this.level(l);
    l = Math.min(l, this.levels.length - 1); // not built (a crop), or a tiny frame stopped halving
    const lv = this.levels[l];
    const f = 1 / (1 << l);
    resampleInto(lv, { x: rect.x * f, y: rect.y * f, w: rect.w * f, h: rect.h * f }, target);
  }
}
