/**
 * Quantisation arithmetic as ONNX defines it (QuantizeLinear / DequantizeLinear):
 *   q = saturate(roundHalfEven(x / scale) + zeroPoint),  x' = (q - zeroPoint) * scale.
 * Weights: int8, symmetric (zero point 0), one scale per output channel. Activations: uint8,
 * asymmetric, one scale and zero point per tensor, the range always containing 0 so that 0 (zero
 * padding, ReLU's floor) is exact. Pure functions; unit-tested against hand-computed values.
 */
import { fromHalfBits, toHalfBits } from '../../sdk/runtime/float16.ts';

export interface AffineParams {
  scale: number;
  zeroPoint: number;
}

/** Integer ranges of the storage types used here. */
export const UINT8 = { min: 0, max: 255 } as const;
export const INT8 = { min: -128, max: 127 } as const;
export const INT32 = { min: -2147483648, max: 2147483647 } as const;

/** Smallest scale written: a zero scale would make DequantizeLinear lose the channel's sign. */
export const MIN_SCALE = 1e-12;

/** Round half to even, as ONNX QuantizeLinear rounds (numpy.rint). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // rounds .5 towards +inf
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function clampInt(q: number, range: { min: number; max: number }): number {
  return q < range.min ? range.min : q > range.max ? range.max : q;
}

/**
 * Per-tensor uint8 parameters for the real range [lo, hi] (widened to contain 0). A range that
 * is a single point gets scale 1 so that the value (0) still round-trips.
 */
export function uint8Params(lo: number, hi: number): AffineParams {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new RangeError(`invalid activation range [${lo}, ${hi}]`);
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  if (b - a === 0) return { scale: 1, zeroPoint: 0 };
  const scale = Math.max((b - a) / (UINT8.max - UINT8.min), MIN_SCALE);
  const zeroPoint = clampInt(roundHalfEven(UINT8.min - a / scale), UINT8);
  return { scale, zeroPoint };
}

/**
 * Symmetric int8 scale per channel along `axis` of a tensor with shape `dims`: max|w| / qmax.
 * `qmax` is 127, or 63 for "reduced range" (7-bit weights), which keeps the sum of two u8*s8
 * products inside int16 for CPUs whose int8 kernel uses VPMADDUBSW (AVX2 without VNNI).
 */
export function perChannelScales(w: Float32Array, dims: readonly number[], axis: number, qmax: number = INT8.max): Float32Array {
  const { channels, inner } = channelLayout(dims, axis, w.length);
  const absMax = new Float32Array(channels);
  const outer = w.length / (channels * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let m = absMax[c];
      for (let i = 0; i < inner; i++) {
        const v = Math.abs(w[base + i]);
        if (v > m) m = v;
      }
      absMax[c] = m;
    }
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = absMax[c] > 0 ? absMax[c] / qmax : 1;
  for (let c = 0; c < channels; c++) if (scales[c] < MIN_SCALE) scales[c] = MIN_SCALE;
  return scales;
}

/** Quantises `w` per channel (zero point 0) to int8, saturating at [-qmax-1 .. qmax] (ONNX: [-128, 127]). */
export function quantizePerChannel(w: Float32Array, dims: readonly number[], axis: number, scales: Float32Array): Int8Array {
  const { channels, inner } = channelLayout(dims, axis, w.length);
  if (scales.length !== channels) throw new RangeError(`need ${channels} scales for axis ${axis} of [${dims.join(',')}], got ${scales.length}`);
  const q = new Int8Array(w.length);
  const outer = w.length / (channels * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scales[c];
      for (let i = 0; i < inner; i++) q[base + i] = clampInt(roundHalfEven(w[base + i] / s), INT8);
    }
  }
  return q;
}

/** Element-wise QuantizeLinear with one scale/zero point, into the integer `range`. */
export function quantizeLinear(x: Float32Array, p: AffineParams, range: { min: number; max: number } = UINT8): Int32Array {
  const q = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) q[i] = clampInt(roundHalfEven(x[i] / p.scale) + p.zeroPoint, range);
  return q;
}

/** Element-wise DequantizeLinear with one scale/zero point. */
export function dequantizeLinear(q: ArrayLike<number>, p: AffineParams): Float32Array {
  const x = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) x[i] = (q[i] - p.zeroPoint) * p.scale;
  return x;
}

/** Per-channel DequantizeLinear (zero point 0) — what ORT computes from an int8 weight. */
export function dequantizePerChannel(q: Int8Array, dims: readonly number[], axis: number, scales: Float32Array): Float32Array {
  const { channels, inner } = channelLayout(dims, axis, q.length);
  const x = new Float32Array(q.length);
  const outer = q.length / (channels * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) x[base + i] = q[base + i] * scales[c];
    }
  }
  return x;
}

/**
 * Bias of a quantised Conv/Gemm: int32 with scale inputScale * weightScale[c] and zero point 0,
 * so the integer accumulator adds it directly. Returns the int32 values and their scales.
 */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  if (bias.length !== weightScales.length) throw new RangeError(`bias has ${bias.length} values, weights ${weightScales.length} channels`);
  const q = new Int32Array(bias.length);
  const scales = new Float32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = Math.max(inputScale * weightScales[c], MIN_SCALE);
    scales[c] = s;
    q[c] = clampInt(roundHalfEven(bias[c] / s), INT32);
  }
  return { q, scales };
}

/**
 * Bias correction (Nagel et al. 2019, "Data-free quantization", empirical form): rounding the
 * weights shifts each output channel's mean by sum_i,k (wq - w)[c, i, k] * E[x_i], a bias the
 * network never saw in training. Subtracting that expected shift from the float bias removes it.
 * `w` and `wq` (the dequantised weights) have Conv shape [out, in/group, kh, kw] (any trailing
 * dims); `inputMeans` holds E[x] per input channel (length in). Padding borders are ignored (the
 * mean of an input channel is taken over the whole map). Returns the corrected bias.
 */
export function correctBias(bias: Float32Array, w: Float32Array, wq: Float32Array, dims: readonly number[], group: number, inputMeans: Float32Array): Float32Array {
  const [outC, inPer] = dims;
  if (bias.length !== outC) throw new RangeError(`bias has ${bias.length} values, weights ${outC} output channels`);
  if (w.length !== wq.length) throw new RangeError(`weights have ${w.length} values, quantised ${wq.length}`);
  if (outC % group !== 0 || inputMeans.length !== inPer * group) throw new RangeError(`input means: need ${inPer * group} channels for shape [${dims.join(',')}] in ${group} groups, got ${inputMeans.length}`);
  const inner = w.length / (outC * inPer);
  const outPer = outC / group;
  const out = Float32Array.from(bias);
  for (let o = 0; o < outC; o++) {
    const g = Math.floor(o / outPer);
    let shift = 0;
    for (let i = 0; i < inPer; i++) {
      const base = (o * inPer + i) * inner;
      let d = 0;
      for (let k = 0; k < inner; k++) d += wq[base + k] - w[base + k];
      shift += d * inputMeans[g * inPer + i];
    }
    out[o] -= shift;
  }
  return out;
}

function channelLayout(dims: readonly number[], axis: number, length: number): { channels: number; inner: number } {
  if (axis < 0 || axis >= dims.length) throw new RangeError(`axis ${axis} out of range for shape [${dims.join(',')}]`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length) throw new RangeError(`shape [${dims.join(',')}] has ${size} elements, data ${length}`);
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  return { channels: dims[axis], inner };
}

// ---- float16 (IEEE 754 binary16), for the fp16 variants: the SDK's converter, saturating ----

/** float32 -> binary16 bits, round to nearest even; finite overflow saturates to +-65504 (a weight must not become inf). */
export function float32ToFloat16Bits(x: number): number {
  const h = toHalfBits(x);
  return (h & 0x7fff) === 0x7c00 && Number.isFinite(x) ? (h & 0x8000) | 0x7bff : h;
}

/** binary16 bits -> number. */
export const float16BitsToFloat32: (h: number) => number = fromHalfBits;

export function toFloat16Array(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = float32ToFloat16Bits(x[i]);
  return out;
}
