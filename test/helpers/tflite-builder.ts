/**
 * Builds tiny TFLite flatbuffers for converter tests, with the `flatbuffers` package's Builder
 * (an implementation independent of the converter's DataView reader). Field slots follow
 * tensorflow/lite/schema/schema.fbs; a union counts two slots (type, value).
 */
import { Builder } from 'flatbuffers';

/** Builtin operator codes used by the tests. */
export const Op = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6,
  FULLY_CONNECTED: 9, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, TANH: 28,
  SUB: 41, DIV: 42, STRIDED_SLICE: 45, EXP: 47, CAST: 53, LESS: 58, NEG: 59, GREATER_EQUAL: 62,
  SUM: 74, REDUCE_MAX: 82, LEAKY_RELU: 98, ABS: 101,
} as const;

export const TType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, BOOL: 6 } as const;
export const Act = { NONE: 0, RELU: 1, RELU6: 3 } as const;
export const Pad = { SAME: 0, VALID: 1 } as const;

type Field = { slot: number } & ({ i8: number } | { i32: number } | { f32: number } | { i32s: number[] });
export interface TinyOptions { type: number; fields: Field[] }

/** Options tables (union type index + fields). */
export const opts = {
  conv: (o: { padding: number; stride?: [number, number]; act?: number; dilation?: [number, number] }): TinyOptions => ({
    type: 1, fields: [{ slot: 0, i8: o.padding }, { slot: 1, i32: o.stride?.[1] ?? 1 }, { slot: 2, i32: o.stride?.[0] ?? 1 }, { slot: 3, i8: o.act ?? 0 },
      { slot: 4, i32: o.dilation?.[1] ?? 1 }, { slot: 5, i32: o.dilation?.[0] ?? 1 }],
  }),
  depthwise: (o: { padding: number; stride?: [number, number]; multiplier: number; act?: number }): TinyOptions => ({
    type: 2, fields: [{ slot: 0, i8: o.padding }, { slot: 1, i32: o.stride?.[1] ?? 1 }, { slot: 2, i32: o.stride?.[0] ?? 1 }, { slot: 3, i32: o.multiplier }, { slot: 4, i8: o.act ?? 0 }],
  }),
  pool: (o: { padding: number; stride: [number, number]; filter: [number, number]; act?: number }): TinyOptions => ({
    type: 5, fields: [{ slot: 0, i8: o.padding }, { slot: 1, i32: o.stride[1] }, { slot: 2, i32: o.stride[0] }, { slot: 3, i32: o.filter[1] }, { slot: 4, i32: o.filter[0] }, { slot: 5, i8: o.act ?? 0 }],
  }),
  fc: (act = 0): TinyOptions => ({ type: 8, fields: [{ slot: 0, i8: act }] }),
  concat: (axis: number, act = 0): TinyOptions => ({ type: 10, fields: [{ slot: 0, i32: axis }, { slot: 1, i8: act }] }),
  add: (act = 0): TinyOptions => ({ type: 11, fields: [{ slot: 0, i8: act }] }),
  reshape: (shape: number[]): TinyOptions => ({ type: 17, fields: [{ slot: 0, i32s: shape }] }),
  mul: (act = 0): TinyOptions => ({ type: 21, fields: [{ slot: 0, i8: act }] }),
  reducer: (keepDims: boolean): TinyOptions => ({ type: 27, fields: [{ slot: 0, i8: keepDims ? 1 : 0 }] }),
  sub: (act = 0): TinyOptions => ({ type: 28, fields: [{ slot: 0, i8: act }] }),
  div: (act = 0): TinyOptions => ({ type: 29, fields: [{ slot: 0, i8: act }] }),
  stridedSlice: (m: { begin?: number; end?: number; shrink?: number }): TinyOptions => ({
    type: 32, fields: [{ slot: 0, i32: m.begin ?? 0 }, { slot: 1, i32: m.end ?? 0 }, { slot: 4, i32: m.shrink ?? 0 }],
  }),
  cast: (from: number, to: number): TinyOptions => ({ type: 37, fields: [{ slot: 0, i8: from }, { slot: 1, i8: to }] }),
  leakyRelu: (alpha: number): TinyOptions => ({ type: 75, fields: [{ slot: 0, f32: alpha }] }),
};

interface TinyTensor { name: string; shape: number[]; type: number; data?: Uint8Array }
interface TinyOp { code: number; inputs: number[]; outputs: number[]; options?: TinyOptions }

/** fp32 -> fp16 bits (round to nearest even), for fp16 weight fixtures. */
export function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) return sign; // tests use normal numbers only
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  mant &= 0x1fff;
  if (mant > 0x1000 || (mant === 0x1000 && (h & 1))) h++;
  return h;
}

/** A tiny TFLite graph, one subgraph. Methods return tensor indices. */
export class TinyGraph {
  readonly tensors: TinyTensor[] = [];
  readonly ops: TinyOp[] = [];
  readonly inputs: number[] = [];
  readonly outputs: number[] = [];

  tensor(name: string, shape: number[], type: number = TType.FLOAT32, data?: Uint8Array): number {
    this.tensors.push({ name, shape, type, data });
    return this.tensors.length - 1;
  }

  input(name: string, shape: number[]): number {
    const t = this.tensor(name, shape);
    this.inputs.push(t);
    return t;
  }

  f32(name: string, shape: number[], values: ArrayLike<number>): number {
    const a = Float32Array.from(values);
    return this.tensor(name, shape, TType.FLOAT32, new Uint8Array(a.buffer));
  }

  i32(name: string, shape: number[], values: ArrayLike<number>): number {
    const a = Int32Array.from(values);
    return this.tensor(name, shape, TType.INT32, new Uint8Array(a.buffer));
  }

  f16(name: string, shape: number[], values: ArrayLike<number>): number {
    const a = Uint16Array.from(Array.from(values, floatToHalf));
    return this.tensor(name, shape, TType.FLOAT16, new Uint8Array(a.buffer));
  }

  /** Adds an operator producing one new tensor; returns its index. */
  op(code: number, inputs: number[], outShape: number[], options?: TinyOptions, outType: number = TType.FLOAT32, outName?: string): number {
    const out = this.tensor(outName ?? `t${this.tensors.length}`, outShape, outType);
    this.ops.push({ code, inputs, outputs: [out], options });
    return out;
  }

  output(...t: number[]): this {
    this.outputs.push(...t);
    return this;
  }

  build(description = 'tiny test graph'): Uint8Array {
    const b = new Builder(1024);
    const intVec = (v: number[]) => {
      b.startVector(4, v.length, 4);
      for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]);
      return b.endVector();
    };
    const tableVec = (offs: number[]) => {
      b.startVector(4, offs.length, 4);
      for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
      return b.endVector();
    };
    // Buffers: 0 is the empty sentinel; each constant tensor gets its own.
    const bufferOffs: number[] = [];
    const empty = (() => { b.startObject(1); return b.endObject(); })();
    bufferOffs.push(empty);
    const tensorBuffer: number[] = [];
    for (const t of this.tensors) {
      if (!t.data) { tensorBuffer.push(0); continue; }
      b.startVector(1, t.data.byteLength, 16);
      for (let i = t.data.byteLength - 1; i >= 0; i--) b.addInt8(t.data[i]);
      const vec = b.endVector();
      b.startObject(1);
      b.addFieldOffset(0, vec, 0);
      bufferOffs.push(b.endObject());
      tensorBuffer.push(bufferOffs.length - 1);
    }
    const tensorOffs = this.tensors.map((t, i) => {
      const name = b.createString(t.name);
      const shape = intVec(t.shape);
      b.startObject(8);
      b.addFieldOffset(0, shape, 0);
      b.addFieldInt8(1, t.type, -1); // always written
      b.addFieldInt32(2, tensorBuffer[i], -1);
      b.addFieldOffset(3, name, 0);
      return b.endObject();
    });
    const codes = [...new Set(this.ops.map((o) => o.code))];
    const codeOffs = codes.map((c) => {
      b.startObject(4);
      b.addFieldInt8(0, Math.min(c, 127), -1);
      b.addFieldInt32(2, 1, -1);
      b.addFieldInt32(3, c, -1);
      return b.endObject();
    });
    const opOffs = this.ops.map((o) => {
      let optOff = 0;
      if (o.options) {
        const vecs = o.options.fields.map((f) => ('i32s' in f ? intVec(f.i32s) : 0));
        const maxSlot = Math.max(...o.options.fields.map((f) => f.slot)) + 1;
        b.startObject(maxSlot);
        o.options.fields.forEach((f, k) => {
          if ('i8' in f) b.addFieldInt8(f.slot, f.i8, -1);
          else if ('i32' in f) b.addFieldInt32(f.slot, f.i32, -1);
          else if ('f32' in f) b.addFieldFloat32(f.slot, f.f32, -1);
          else b.addFieldOffset(f.slot, vecs[k], 0);
        });
        optOff = b.endObject();
      }
      const ins = intVec(o.inputs);
      const outs = intVec(o.outputs);
      b.startObject(5);
      b.addFieldInt32(0, codes.indexOf(o.code), -1);
      b.addFieldOffset(1, ins, 0);
      b.addFieldOffset(2, outs, 0);
      if (o.options) {
        b.addFieldInt8(3, o.options.type, 0);
        b.addFieldOffset(4, optOff, 0);
      }
      return b.endObject();
    });
    const tensorsVec = tableVec(tensorOffs);
    const inVec = intVec(this.inputs);
    const outVec = intVec(this.outputs);
    const opsVec = tableVec(opOffs);
    b.startObject(5);
    b.addFieldOffset(0, tensorsVec, 0);
    b.addFieldOffset(1, inVec, 0);
    b.addFieldOffset(2, outVec, 0);
    b.addFieldOffset(3, opsVec, 0);
    const subgraph = b.endObject();
    const subgraphs = tableVec([subgraph]);
    const codesVec = tableVec(codeOffs);
    const buffersVec = tableVec(bufferOffs);
    const desc = b.createString(description);
    b.startObject(5);
    b.addFieldInt32(0, 3, -1);
    b.addFieldOffset(1, codesVec, 0);
    b.addFieldOffset(2, subgraphs, 0);
    b.addFieldOffset(3, desc, 0);
    b.addFieldOffset(4, buffersVec, 0);
    b.finish(b.endObject(), 'TFL3');
    return b.asUint8Array().slice();
  }
}
