/**
 * Constant tensors: decoding TFLite buffers (fp32, fp16, int32, int64, bool) into typed arrays
 * and the layout rewrites the converter applies to weights (NHWC -> NCHW permutations).
 */
import { TensorType, TENSOR_TYPE_NAMES } from './tflite-schema.ts';

export type ConstData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

/** A constant with its (TFLite-order) shape; `bool` marks Uint8Array data holding booleans. */
export interface ConstTensor {
  shape: number[];
  data: ConstData;
  bool?: boolean;
}

/** IEEE 754 half -> single precision (exact: every half value is representable). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (and zero)
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function decodeFloat16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength >> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  return out;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Decodes a TFLite constant buffer. fp16 is widened to fp32 here so every downstream weight is
 * fp32 (the brief: fp16 weights -> fp32 initialisers). Copies, so the result is aligned.
 */
export function decodeConst(type: number, bytes: Uint8Array, shape: number[]): ConstTensor {
  const aligned = new Uint8Array(bytes); // a copy, 0-offset (Buffer.slice would be a view)
  switch (type) {
    case TensorType.FLOAT32: return { shape, data: new Float32Array(aligned.buffer, 0, aligned.byteLength >> 2) };
    case TensorType.FLOAT16: return { shape, data: decodeFloat16(aligned) };
    case TensorType.INT32: return { shape, data: new Int32Array(aligned.buffer, 0, aligned.byteLength >> 2) };
    case TensorType.INT64: return { shape, data: new BigInt64Array(aligned.buffer, 0, aligned.byteLength >> 3) };
    case TensorType.BOOL: return { shape, data: aligned, bool: true };
    default: throw new Error(`constant of type ${TENSOR_TYPE_NAMES[type] ?? type} is not supported`);
  }
}

/** Integer values of a constant (axes, shapes, slice bounds). */
export function constInts(c: ConstTensor): number[] {
  if (c.data instanceof BigInt64Array) return Array.from(c.data, Number);
  return Array.from(c.data as ArrayLike<number>);
}

/** Generic transpose of a dense row-major tensor: out[idx permuted] = in[idx]. */
export function permute<T extends Float32Array | Int32Array | BigInt64Array | Uint8Array>(data: T, shape: readonly number[], perm: readonly number[]): { data: T; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  // Stride in the input for each output axis, so the output is written sequentially.
  const srcStrides = perm.map((p) => inStrides[p]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < data.length; o++) {
    out[o] = data[src];
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      src += srcStrides[a];
      if (idx[a] < outShape[a]) break;
      src -= srcStrides[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** NHWC -> NCHW for a rank-4 tensor, and the inverse. */
export const TO_NCHW = [0, 3, 1, 2] as const;
export const TO_NHWC = [0, 2, 3, 1] as const;
/** TFLite conv filter OHWI -> ONNX OIHW (same permutation as NHWC -> NCHW). */
export const OHWI_TO_OIHW = TO_NCHW;
/** TFLite depthwise filter [1,H,W,C*M] -> ONNX group-conv weight [C*M,1,H,W]. */
export const DEPTHWISE_TO_ONNX = [3, 0, 1, 2] as const;

/**
 * Reorders the input columns of fully-connected weights [O, H*W*C] (TFLite flattens NHWC) so
 * they apply to an NCHW-flattened input [O, C*H*W]: saves a Transpose before the Flatten.
 */
export function fcWeightsNhwcToNchw(w: Float32Array, outDim: number, h: number, wd: number, c: number): Float32Array {
  const k = h * wd * c;
  const out = new Float32Array(w.length);
  for (let o = 0; o < outDim; o++) {
    const base = o * k;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wd; x++) {
        for (let ch = 0; ch < c; ch++) out[base + ch * h * wd + y * wd + x] = w[base + (y * wd + x) * c + ch];
      }
    }
  }
  return out;
}
