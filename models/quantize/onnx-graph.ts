/**
 * Reading and editing decoded ONNX models (onnx-proto's protobufjs classes) for the quantiser:
 * tensor data in and out, attributes, producer/consumer maps, opset upgrade, ORT pre-optimisation.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaceGateError } from '../../sdk/errors.ts';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX TensorProto.DataType values used here. */
export const DType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

type LongLike = number | { toString(): string };
export const toNum = (v: LongLike | null | undefined): number => (typeof v === 'number' ? v : v == null ? 0 : Number(v.toString()));

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export function graphOf(model: ModelProto): GraphProto {
  if (!model.graph) throw new FaceGateError('FG_MODEL_CONVERT', 'ONNX model has no graph');
  return model.graph;
}

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNum);
}

/** A private, aligned copy of raw bytes (protobuf buffers are slices of one big buffer). */
function rawCopy(t: TensorProto): ArrayBuffer | null {
  if (!t.rawData || !t.rawData.byteLength) return null;
  return new Uint8Array(t.rawData).buffer;
}

export function floatData(t: TensorProto): Float32Array {
  if (t.dataType !== DType.FLOAT) throw new FaceGateError('FG_MODEL_CONVERT', `tensor ${t.name} is not float32 (type ${t.dataType})`);
  const raw = rawCopy(t);
  return raw ? new Float32Array(raw) : Float32Array.from(t.floatData ?? []);
}

/**
 * Multiplies every weight reading input channel c of a Conv by factor[c], in place. Weights are
 * [out, in/group, ...kernel]; output channel o of group g reads input channels g*inPer .. +inPer.
 */
export function scaleConvInputChannels(data: Float32Array, dims: readonly number[], group: number, factor: (c: number) => number): void {
  const inPer = dims[1];
  const outPer = dims[0] / group;
  const inner = dims.slice(2).reduce((a, v) => a * v, 1);
  for (let o = 0; o < dims[0]; o++) {
    const gi = Math.floor(o / outPer);
    for (let i = 0; i < inPer; i++) {
      const f = factor(gi * inPer + i);
      if (f === 1) continue;
      const base = (o * inPer + i) * inner;
      for (let q = 0; q < inner; q++) data[base + q] *= f;
    }
  }
}

export function int64Data(t: TensorProto): number[] {
  if (t.dataType !== DType.INT64) throw new FaceGateError('FG_MODEL_CONVERT', `tensor ${t.name} is not int64 (type ${t.dataType})`);
  const raw = rawCopy(t);
  return raw ? Array.from(new BigInt64Array(raw), Number) : (t.int64Data ?? []).map(toNum);
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function tensor(name: string, dataType: number, dims: readonly number[], data: ArrayBufferView): TensorProto {
  return { name, dataType, dims: [...dims], rawData: bytesOf(data) };
}

export const floatTensor = (name: string, dims: readonly number[], d: Float32Array) => tensor(name, DType.FLOAT, dims, d);
export const int64Tensor = (name: string, v: readonly number[]) => tensor(name, DType.INT64, [v.length], BigInt64Array.from(v, BigInt));

export function getAttr(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}
export function attrInt(n: NodeProto, name: string, dflt: number): number {
  const a = getAttr(n, name);
  return a ? toNum(a.i) : dflt;
}
export function attrFloat(n: NodeProto, name: string, dflt: number): number {
  const a = getAttr(n, name);
  return a?.f ?? dflt;
}
export function attrInts(n: NodeProto, name: string): number[] | undefined {
  const a = getAttr(n, name);
  return a ? (a.ints ?? []).map(toNum) : undefined;
}
const T = onnx.AttributeProto.AttributeType;
export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: T.INT, i });
export const floatAttr = (name: string, f: number): AttributeProto => ({ name, type: T.FLOAT, f });
export const intsAttr = (name: string, ints: readonly number[]): AttributeProto => ({ name, type: T.INTS, ints: [...ints] });

export function node(opType: string, inputs: string[], outputs: string[], name: string, attrs: AttributeProto[] = [], domain = ''): NodeProto {
  return { opType, input: inputs, output: outputs, name, attribute: attrs, domain };
}

/** Producer and consumer maps of a graph, plus its initialisers by name. */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly inits = new Map<string, TensorProto>();
  readonly graphInputs: Set<string>;
  readonly graphOutputs: Set<string>;

  constructor(g: GraphProto) {
    for (const t of g.initializer ?? []) this.inits.set(t.name!, t);
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        if (!list.includes(n)) list.push(n);
        this.consumers.set(i, list);
      }
    }
    this.graphInputs = new Set((g.input ?? []).map((v) => v.name!).filter((n) => !this.inits.has(n)));
    this.graphOutputs = new Set((g.output ?? []).map((v) => v.name!));
  }

  /** A Constant node's or initialiser's tensor. */
  constant(name: string): TensorProto | undefined {
    const init = this.inits.get(name);
    if (init) return init;
    const p = this.producer.get(name);
    return p?.opType === 'Constant' ? getAttr(p, 'value')?.t ?? undefined : undefined;
  }
}

/** A name not in `used`, derived from `base`; recorded as used. */
export function uniqueName(used: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

export function allNames(g: GraphProto): Set<string> {
  const s = new Set<string>();
  for (const n of g.node ?? []) {
    for (const x of [...(n.input ?? []), ...(n.output ?? [])]) if (x) s.add(x);
    if (n.name) s.add(n.name);
  }
  for (const t of g.initializer ?? []) s.add(t.name!);
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) s.add(v.name!);
  return s;
}

export function defaultOpset(model: ModelProto): number {
  const o = (model.opsetImport ?? []).find((x) => !x.domain);
  return o ? toNum(o.version) : 0;
}

/**
 * Raises the default-domain opset to `target` (13 is the first with per-channel
 * QuantizeLinear). Ops whose signature changed on the way are rewritten (Unsqueeze/Squeeze axes
 * and Slice bounds move from attributes to inputs); Softmax is accepted only on the last axis,
 * where opset 13's meaning equals the old one. Any other op whose definition changed between the
 * versions is refused by name rather than silently reinterpreted.
 */
export function upgradeOpset(model: ModelProto, target = 13): ModelProto {
  const from = defaultOpset(model);
  if (from >= target) return model;
  const g = graphOf(model);
  const used = allNames(g);
  const extra: TensorProto[] = [];
  const changedUnhandled = new Set(['Upsample', 'Resize', 'Clip', 'Pad', 'Split', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin',
    'TopK', 'Dropout', 'Scan', 'If', 'Loop', 'Expand', 'Mod', 'NonMaxSuppression', 'ScatterElements', 'Scatter']);
  for (const n of g.node ?? []) {
    const op = n.opType!;
    if ((op === 'Unsqueeze' || op === 'Squeeze') && from < 13) {
      const axes = attrInts(n, 'axes');
      n.attribute = (n.attribute ?? []).filter((a) => a.name !== 'axes');
      if (axes) {
        const name = uniqueName(used, `${n.output![0]}_axes`);
        extra.push(int64Tensor(name, axes));
        n.input = [n.input![0], name];
      }
    } else if (op === 'Slice' && from < 10) {
      const starts = attrInts(n, 'starts') ?? [];
      const ends = attrInts(n, 'ends') ?? [];
      const axes = attrInts(n, 'axes');
      n.attribute = [];
      const names = [['starts', starts], ['ends', ends], ...(axes ? [['axes', axes] as const] : [])] as const;
      const inputs = [n.input![0]];
      for (const [k, v] of names) {
        const name = uniqueName(used, `${n.output![0]}_${k}`);
        // INT64_MAX ("to the end") does not survive a double: any bound past the dim is the same.
        extra.push(int64Tensor(name, (v as number[]).map((x) => Math.max(-(2 ** 53), Math.min(2 ** 53, x)))));
        inputs.push(name);
      }
      n.input = inputs;
    } else if ((op === 'Softmax' || op === 'LogSoftmax') && from < 13) {
      const axis = attrInt(n, 'axis', 1);
      if (axis !== -1 && !lastAxisKnown(g, n.input![0], axis)) {
        throw new FaceGateError('FG_MODEL_CONVERT', `opset upgrade: ${op} ${n.name} on axis ${axis} is not provably the last axis`);
      }
    } else if (changedUnhandled.has(op)) {
      throw new FaceGateError('FG_MODEL_CONVERT', `opset upgrade ${from} -> ${target}: ${op} (${n.name}) changed meaning and is not handled`);
    }
  }
  g.initializer = [...(g.initializer ?? []), ...extra];
  model.opsetImport = [{ domain: '', version: target }, ...(model.opsetImport ?? []).filter((o) => o.domain)];
  if (toNum(model.irVersion) < 7) model.irVersion = 7;
  return model;
}

/** True when the rank of `value` is known (value_info/output) and `axis` is its last axis. */
function lastAxisKnown(g: GraphProto, value: string, axis: number): boolean {
  const infos = [...(g.valueInfo ?? []), ...(g.output ?? []), ...(g.input ?? [])];
  const vi = infos.find((v) => v.name === value);
  const rank = vi?.type?.tensorType?.shape?.dim?.length;
  if (rank) return axis === rank - 1;
  // The consumer's output has the same rank (Softmax keeps shape).
  const n = (g.node ?? []).find((x) => x.input?.[0] === value && (x.opType === 'Softmax' || x.opType === 'LogSoftmax'));
  const out = n && [...(g.output ?? []), ...(g.valueInfo ?? [])].find((v) => v.name === n.output![0]);
  const r2 = out?.type?.tensorType?.shape?.dim?.length;
  return r2 ? axis === r2 - 1 : false;
}

/**
 * ORT's own graph simplification at level 'basic' (constant folding, Conv+BatchNorm/Mul/Add
 * fusion, dead-node removal) — only standard ONNX ops, so the result is a plain model. This is
 * what ORT's quantisation tooling recommends before quantising; it also folds the Shape/Gather
 * chains exported from PyTorch into constants when input sizes are fixed.
 */
export async function preOptimize(bytes: Uint8Array): Promise<ModelProto> {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-quant-'));
  const path = join(dir, 'basic.onnx');
  try {
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic', optimizedModelFilePath: path });
    await s.release();
    const model = decodeModel(new Uint8Array(await readFile(path)));
    // ORT lists every domain it knows; keep the ones the graph uses.
    const domains = new Set((graphOf(model).node ?? []).map((n) => n.domain ?? ''));
    model.opsetImport = (model.opsetImport ?? []).filter((o) => domains.has(o.domain ?? '') || !o.domain);
    return model;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
