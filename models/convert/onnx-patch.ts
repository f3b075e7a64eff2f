/**
 * Makes fixed-size dimensions of an existing ONNX model symbolic, e.g. fr_feature.onnx
 * (exported with input [1,3,112,112]) so one run embeds a batch. Inputs are taken as NCHW
 * (the ONNX convention): batch = axis 0, height = 2, width = 3.
 *
 * Besides the I/O shapes, a batch baked into the graph is undone: Reshape target shapes whose
 * first entry is the exported batch become -1 (or 0, "copy", when -1 is taken), Flatten with
 * axis 0 becomes axis 1, and stale value_info shapes are dropped so nothing pins the old size.
 */
import onnxProto from 'onnx-proto';
import { FaceGateError } from '../../sdk/errors.ts';

const { onnx } = onnxProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IGraphProto = onnxProto.onnx.IGraphProto;

export type DynamicDim = 'batch' | 'height' | 'width';

const AXIS: Record<DynamicDim, number> = { batch: 0, height: 2, width: 3 };
const INT64 = 7;

export interface PatchReport {
  inputs: string[];
  reshapesPatched: number;
  flattensPatched: number;
  valueInfoDropped: number;
}

function dimsOf(v: IValueInfoProto) {
  return v.type?.tensorType?.shape?.dim ?? [];
}

function int64Values(t: ITensorProto): number[] {
  if (t.dataType !== INT64) throw new Error(`shape tensor ${t.name} is not int64`);
  if (t.rawData && t.rawData.byteLength) {
    const copy = new Uint8Array(t.rawData); // a copy: Buffer.slice would share (and misalign)
    return Array.from(new BigInt64Array(copy.buffer, 0, copy.byteLength >> 3), Number);
  }
  return (t.int64Data ?? []).map((v) => Number(String(v)));
}

function setInt64Values(t: ITensorProto, values: number[]): void {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  t.rawData = new Uint8Array(data.buffer);
  t.int64Data = [];
}

/** The constant tensor feeding `name`: an initialiser or a Constant node's value. */
function constTensor(g: IGraphProto, name: string): ITensorProto | null {
  const init = g.initializer?.find((t) => t.name === name);
  if (init) return init;
  const node = g.node?.find((n) => n.opType === 'Constant' && n.output?.[0] === name);
  return node?.attribute?.find((a) => a.name === 'value')?.t ?? null;
}

/** Number of node inputs reading `name` (a shared shape constant is cloned before editing). */
function readers(g: IGraphProto, name: string): number {
  return (g.node ?? []).reduce((k, n) => k + (n.input ?? []).filter((i) => i === name).length, 0);
}

export function makeOnnxInputsDynamicDetailed(bytes: Uint8Array, dims: DynamicDim[]): { bytes: Uint8Array; report: PatchReport } {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new FaceGateError('FG_MODEL_CONVERT', `not an ONNX model (${(e as Error).message})`, { cause: e });
  }
  const g = model.graph;
  if (!g) throw new FaceGateError('FG_MODEL_CONVERT', 'ONNX model has no graph');
  const initNames = new Set((g.initializer ?? []).map((t) => t.name));
  // Before IR 4 initialisers were listed as inputs too; only real inputs are patched.
  const inputs = (g.input ?? []).filter((i) => !initNames.has(i.name));
  const report: PatchReport = { inputs: inputs.map((i) => i.name!), reshapesPatched: 0, flattensPatched: 0, valueInfoDropped: g.valueInfo?.length ?? 0 };
  if (inputs.length === 0) throw new FaceGateError('FG_MODEL_CONVERT', 'ONNX model has no non-constant input');

  let staticBatch: number | null = null;
  for (const input of inputs) {
    const d = dimsOf(input);
    for (const name of dims) {
      const axis = AXIS[name];
      if (axis >= d.length) throw new FaceGateError('FG_MODEL_CONVERT', `input ${input.name} has rank ${d.length}: no ${name} axis (${axis}) to make dynamic`);
      if (name === 'batch' && d[0].dimValue != null) staticBatch = Number(String(d[0].dimValue));
      d[axis] = { dimParam: name };
    }
  }
  for (const output of g.output ?? []) {
    const d = dimsOf(output);
    if (dims.includes('batch') && d.length > 0) d[0] = { dimParam: 'batch' };
    // Spatial output sizes follow the input in model-specific ways: leave them unknown.
    if (dims.includes('height') || dims.includes('width')) for (let a = 1; a < d.length; a++) d[a] = {};
  }
  g.valueInfo = [];

  if (dims.includes('batch') && staticBatch !== null) {
    for (const node of g.node ?? []) {
      if (node.opType === 'Reshape') {
        const shapeName = node.input?.[1];
        const t = shapeName ? constTensor(g, shapeName) : null;
        if (!t) continue; // computed shapes (Shape -> Gather -> Concat) already follow the batch
        const values = int64Values(t);
        if (values.length === 0 || values[0] !== staticBatch) continue;
        const patched = [values.includes(-1) ? 0 : -1, ...values.slice(1)];
        if (readers(g, shapeName!) > 1 || !initNames.has(shapeName!)) {
          const clone: ITensorProto = { name: `${shapeName}_dynamic_batch`, dims: [patched.length], dataType: INT64 };
          setInt64Values(clone, patched);
          g.initializer!.push(clone);
          node.input![1] = clone.name!;
        } else {
          setInt64Values(t, patched);
        }
        report.reshapesPatched++;
      } else if (node.opType === 'Flatten') {
        const axis = node.attribute?.find((a) => a.name === 'axis');
        if (axis && Number(String(axis.i)) === 0) {
          axis.i = 1;
          report.flattensPatched++;
        }
      }
    }
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}

export function makeOnnxInputsDynamic(bytes: Uint8Array, dims: DynamicDim[]): Uint8Array {
  return makeOnnxInputsDynamicDetailed(bytes, dims).bytes;
}
