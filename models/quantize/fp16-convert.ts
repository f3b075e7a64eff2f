/**
 * fp16 variant for GPU execution providers: weights and activations in float16, graph inputs and
 * outputs kept float32 with a Cast at each edge, so callers feed and read Float32Array exactly as
 * with the fp32 model (the SDK's tensors stay one type, and the casts cost one pass over the
 * input and output only).
 */
import { FaceGateError } from '../../sdk/errors.ts';
import {
  DType, GraphIndex, allNames, dimsOf, floatData, getAttr, graphOf, intAttr, node, tensor, toNum, uniqueName,
  type ModelProto, type NodeProto, type TensorProto,
} from './onnx-graph.ts';
import { toFloat16Array } from './quant-math.ts';

/** Inputs that ONNX requires in float32 whatever the data type (Resize/Upsample scales, roi). */
const FLOAT32_INPUTS: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };

export interface Fp16Report {
  initializers: number;
  constants: number;
  casts: number;
  /** Weights whose magnitude exceeded fp16's range and were saturated to +-65504. */
  saturated: number;
}

function toHalf(t: TensorProto, report: Fp16Report): TensorProto {
  const data = floatData(t);
  for (const v of data) if (Math.abs(v) > 65504) report.saturated++;
  return tensor(t.name!, DType.FLOAT16, dimsOf(t), toFloat16Array(data));
}

export function convertToFp16(model: ModelProto): { model: ModelProto; report: Fp16Report } {
  const g = graphOf(model);
  const idx = new GraphIndex(g);
  const used = allNames(g);
  const report: Fp16Report = { initializers: 0, constants: 0, casts: 0, saturated: 0 };

  const keep32 = new Set<string>();
  for (const n of g.node ?? []) for (const i of FLOAT32_INPUTS[n.opType!] ?? []) if (n.input?.[i]) keep32.add(n.input[i]);
  const isFloatInput = (name: string) => (g.input ?? []).some((v) => v.name === name && v.type?.tensorType?.elemType === DType.FLOAT);

  g.initializer = (g.initializer ?? []).map((t) => {
    if (t.dataType !== DType.FLOAT || keep32.has(t.name!)) return t;
    report.initializers++;
    return toHalf(t, report);
  });

  const head: NodeProto[] = [];
  const renameIn = new Map<string, string>();
  for (const v of g.input ?? []) {
    if (!idx.graphInputs.has(v.name!) || !isFloatInput(v.name!)) continue;
    const half = uniqueName(used, `${v.name}_fp16`);
    head.push(node('Cast', [v.name!], [half], uniqueName(used, `${v.name}_Cast_fp16`), [intAttr('to', DType.FLOAT16)]));
    renameIn.set(v.name!, half);
    report.casts++;
  }
  const tail: NodeProto[] = [];
  const floatOutputs = new Set((g.output ?? []).filter((v) => v.type?.tensorType?.elemType === DType.FLOAT || !v.type).map((v) => v.name!));
  for (const n of g.node ?? []) {
    n.input = (n.input ?? []).map((i) => renameIn.get(i) ?? i);
    if (n.opType === 'Constant') {
      const a = getAttr(n, 'value');
      if (a?.t && a.t.dataType === DType.FLOAT && !keep32.has(n.output![0])) {
        a.t = toHalf(a.t, report);
        report.constants++;
      }
    }
    if (n.opType === 'Cast') {
      const to = getAttr(n, 'to');
      if (to && toNum(to.i) === DType.FLOAT) to.i = DType.FLOAT16;
    }
    if (['RandomNormal', 'RandomUniform', 'EyeLike', 'ConstantOfShape'].includes(n.opType!)) {
      throw new FaceGateError('FG_MODEL_CONVERT', `fp16: ${n.opType} (${n.name}) has an output type attribute; not handled`);
    }
    n.output = (n.output ?? []).map((o) => {
      if (!floatOutputs.has(o)) return o;
      const half = uniqueName(used, `${o}_fp16`);
      tail.push(node('Cast', [half], [o], uniqueName(used, `${o}_Cast_fp32`), [intAttr('to', DType.FLOAT)]));
      report.casts++;
      return half;
    });
  }
  // Readers of a renamed output inside the graph read the fp16 value.
  const outRename = new Map(tail.map((c) => [c.output![0], c.input![0]]));
  for (const n of g.node ?? []) n.input = (n.input ?? []).map((i) => outRename.get(i) ?? i);
  g.node = [...head, ...(g.node ?? []), ...tail];
  g.valueInfo = [];
  return { model, report };
}
