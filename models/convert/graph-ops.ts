/**
 * The operator list the translators work on: TFLite operators plus the fused PReLU/softmax the
 * pattern pass produces, and the table of constant tensors (file buffers plus folded
 * DEQUANTIZE outputs).
 */
import { FaceGateError } from '../../sdk/errors.ts';
import { decodeConst, type ConstTensor } from './tensor-data.ts';
import type { TfModel, TfOperator } from './tflite-reader.ts';
import { TensorType, TENSOR_TYPE_NAMES } from './tflite-schema.ts';

/** PReLU recognised from its decomposed form: y = x >= 0 ? x : slope * x. */
export interface FusedPrelu {
  kind: 'prelu';
  index: number;
  op: 'FUSED_PRELU';
  inputs: [number];
  outputs: [number];
  /** Slope, broadcast over the last (channel) axis of x; length 1 or C. */
  slope: Float32Array;
  /** TFLite operator indices this replaced (for diagnostics). */
  replaced: number[];
}

/** Softmax recognised from exp(x - max) / sum(exp(x - max)) over one axis. */
export interface FusedSoftmax {
  kind: 'softmax';
  index: number;
  op: 'FUSED_SOFTMAX';
  inputs: [number];
  outputs: [number];
  /** Axis in TFLite (NHWC) order, non-negative. */
  axis: number;
  replaced: number[];
}

export type TfGraphOp = TfOperator & { kind: 'tflite' };
export type GraphOp = TfGraphOp | FusedPrelu | FusedSoftmax;

/**
 * Decodes every constant tensor and folds DEQUANTIZE of constants (fp16 weights) into fp32
 * constants, removing those operators. Returns the remaining operators.
 */
export function foldConstants(model: TfModel, modelName: string): { consts: Map<number, ConstTensor>; ops: GraphOp[] } {
  const consts = new Map<number, ConstTensor>();
  for (const t of model.tensors) {
    if (!t.data) continue;
    try {
      consts.set(t.index, decodeConst(t.type, t.data, t.shape));
    } catch (e) {
      throw new FaceGateError('FG_MODEL_CONVERT', `${modelName}: tensor ${t.name}: ${(e as Error).message}`, { cause: e });
    }
  }
  const ops: GraphOp[] = [];
  for (const op of model.operators) {
    if (op.op === 'DEQUANTIZE' && consts.has(op.inputs[0])) {
      const src = model.tensors[op.inputs[0]];
      if (src.type !== TensorType.FLOAT16 || src.quantized) {
        throw new FaceGateError('FG_MODEL_CONVERT',
          `${modelName}: DEQUANTIZE of ${TENSOR_TYPE_NAMES[src.type] ?? src.type}${src.quantized ? ' (affine-quantised)' : ''} tensor ${src.name} is not supported (only fp16 weights)`);
      }
      // decodeConst already widened fp16 to fp32: the dequantised value is the same numbers.
      consts.set(op.outputs[0], { ...consts.get(op.inputs[0])!, shape: model.tensors[op.outputs[0]].shape });
      continue;
    }
    ops.push({ ...op, kind: 'tflite' });
  }
  return { consts, ops };
}

/** For each tensor, the operators (positions in `ops`) that read it. */
export function consumersOf(ops: readonly GraphOp[]): Map<number, number[]> {
  const map = new Map<number, number[]>();
  ops.forEach((op, pos) => {
    for (const t of op.inputs) {
      if (t < 0) continue;
      const list = map.get(t);
      if (list) list.push(pos);
      else map.set(t, [pos]);
    }
  });
  return map;
}
