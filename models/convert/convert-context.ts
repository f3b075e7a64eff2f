/**
 * State shared by the operator translators: which ONNX value holds each TFLite tensor and in
 * which layout. Activations of rank 4 live in NCHW inside the ONNX graph (what ONNX Conv/Pool
 * want) while the TFLite graph, and the model I/O, are NHWC; a Transpose is emitted only where
 * a value is needed in the other layout, once per value.
 */
import { FaceGateError } from '../../sdk/errors.ts';
import { ElemType, OnnxGraphBuilder, type InitData } from './onnx-builder.ts';
import { permute, TO_NCHW, TO_NHWC, type ConstTensor } from './tensor-data.ts';
import type { TfModel, TfTensor } from './tflite-reader.ts';
import { TensorType, TENSOR_TYPE_NAMES } from './tflite-schema.ts';

export type Layout = 'nchw' | 'plain';

export interface Value {
  name: string;
  /** 'nchw': a rank-4 NHWC tensor stored transposed to NCHW; 'plain': same order as TFLite. */
  layout: Layout;
  /** TFLite (NHWC) static shape. */
  shape: number[];
  tensor: number;
}

export interface DynamicDims {
  batch: boolean;
  spatial: boolean;
}

/**
 * 'nchw': rank-4 activations stay NCHW between ops (the default). 'per-op': every NCHW op is
 * wrapped in Transposes back to NHWC, as a naive converter does; kept to measure the difference.
 */
export type LayoutStrategy = 'nchw' | 'per-op';

/** NHWC axis -> NCHW axis. */
export const NHWC_AXIS_TO_NCHW = [0, 2, 3, 1] as const;

export function onnxElemType(tfType: number, what: string): number {
  switch (tfType) {
    case TensorType.FLOAT32: return ElemType.FLOAT;
    case TensorType.INT32: return ElemType.INT32;
    case TensorType.INT64: return ElemType.INT64;
    case TensorType.BOOL: return ElemType.BOOL;
    case TensorType.FLOAT16: return ElemType.FLOAT16;
    default: throw new Error(`${what}: tensor type ${TENSOR_TYPE_NAMES[tfType] ?? tfType} has no ONNX mapping here`);
  }
}

function initData(c: ConstTensor): InitData {
  return c.bool ? { bool: c.data as Uint8Array } : (c.data as Float32Array | Int32Array | BigInt64Array);
}

export class ConvertContext {
  readonly #values = new Map<number, Value>();
  readonly #transposed = new Map<string, string>();
  readonly #constInits = new Map<string, string>();
  /** Transposes emitted, for the report (a measure of layout churn). */
  transposes = 0;

  constructor(
    readonly model: TfModel,
    readonly modelName: string,
    readonly g: OnnxGraphBuilder,
    readonly consts: Map<number, ConstTensor>,
    readonly dynamic: DynamicDims,
    readonly strategy: LayoutStrategy = 'nchw',
  ) {}

  tensor(i: number): TfTensor {
    const t = this.model.tensors[i];
    if (!t) this.fail(`tensor index ${i} out of range`);
    return t;
  }

  isConst(i: number): boolean {
    return this.consts.has(i);
  }

  constOf(i: number, what: string): ConstTensor {
    const c = this.consts.get(i);
    if (!c) this.fail(`${what} (tensor ${this.tensor(i).name}) must be a constant`);
    return c;
  }

  value(i: number): Value {
    const v = this.#values.get(i);
    if (!v) {
      if (this.isConst(i)) this.fail(`tensor ${this.tensor(i).name} is a constant where an activation was expected`);
      this.fail(`tensor ${this.tensor(i).name} is read before it is produced`);
    }
    return v;
  }

  has(i: number): boolean {
    return this.#values.has(i);
  }

  set(i: number, name: string, layout: Layout): void {
    const v: Value = { name, layout, shape: this.tensor(i).shape, tensor: i };
    this.#values.set(i, this.strategy === 'per-op' && layout === 'nchw' ? { ...v, name: this.plain(v), layout: 'plain' } : v);
  }

  /** Makes output tensor `i` an alias of an existing value (ops that are no-ops in ONNX). */
  alias(i: number, v: Value): void {
    this.#values.set(i, { ...v, shape: this.tensor(i).shape, tensor: i });
  }

  /** ONNX base name for the value of TFLite tensor `i`. */
  nameOf(i: number): string {
    return this.tensor(i).name;
  }

  /** The value in NCHW (rank-4 only). */
  nchw(v: Value): string {
    if (v.layout === 'nchw') return v.name;
    if (v.shape.length !== 4) this.fail(`tensor ${this.tensor(v.tensor).name} of rank ${v.shape.length} is needed in NCHW`);
    return this.#transpose(v.name, TO_NCHW, '_nchw');
  }

  /** The value in TFLite order. */
  plain(v: Value): string {
    return v.layout === 'plain' ? v.name : this.#transpose(v.name, TO_NHWC, '_nhwc');
  }

  /** True when NCHW and NHWC hold the same memory order (H*W == 1 or C == 1). */
  layoutFree(v: Value): boolean {
    if (v.shape.length !== 4) return true;
    const [, h, w, c] = v.shape;
    return c === 1 || (h === 1 && w === 1 && !this.dynamic.spatial);
  }

  #transpose(name: string, perm: readonly number[], suffix: string): string {
    const key = `${name}|${perm.join(',')}`;
    const hit = this.#transposed.get(key);
    if (hit) return hit;
    const out = this.g.node1('Transpose', [name], `${name}${suffix}`, { perm: { ints: [...perm] } });
    this.transposes++;
    this.#transposed.set(key, out);
    return out;
  }

  /** Initialiser for constant tensor `i`, transformed for a use; cached per (tensor, use). */
  constInit(i: number, use: string, make: (c: ConstTensor) => { dims: number[]; data: InitData }): string {
    const key = `${i}|${use}`;
    const hit = this.#constInits.get(key);
    if (hit) return hit;
    const { dims, data } = make(this.constOf(i, use));
    const name = this.g.initializer(use === 'plain' ? this.nameOf(i) : `${this.nameOf(i)}_${use}`, dims, data);
    this.#constInits.set(key, name);
    return name;
  }

  /** A constant operand of an elementwise op, broadcastable against NCHW or plain partners. */
  constOperand(i: number, nchw: boolean): string {
    if (!nchw) return this.constInit(i, 'plain', (c) => ({ dims: c.shape, data: initData(c) }));
    return this.constInit(i, 'nchw', (c) => {
      if (c.shape.length > 4) this.fail(`constant ${this.nameOf(i)} of rank ${c.shape.length} broadcast against a rank-4 tensor`);
      if (c.shape.length === 0) return { dims: [], data: initData(c) };
      // NumPy broadcasting aligns trailing axes: pad to rank 4 in NHWC, then move C to axis 1.
      const s4 = [...new Array<number>(4 - c.shape.length).fill(1), ...c.shape];
      if (c.bool) this.fail(`boolean constant ${this.nameOf(i)} against an NCHW tensor`);
      const p = permute(c.data as Float32Array | Int32Array | BigInt64Array, s4, TO_NCHW);
      return { dims: p.shape, data: p.data };
    });
  }

  fail(message: string): never {
    throw new FaceGateError('FG_MODEL_CONVERT', `${this.modelName}: ${message}`);
  }
}
