/**
 * Reads a TFLite flatbuffer into plain objects: the tensors (with constant data as views into
 * the file), the operators in execution order (options left as flatbuffer tables, read by each
 * translator) and the subgraph inputs/outputs. Only subgraph 0 is read (the main model).
 */
import { FaceGateError } from '../../sdk/errors.ts';
import { FbTable } from './flatbuffer-table.ts';
import { F, opName } from './tflite-schema.ts';

export interface TfTensor {
  index: number;
  name: string;
  /** Static shape as stored (NHWC for images). */
  shape: number[];
  /** Shape with -1 for dimensions the converter marked dynamic, when the file has one. */
  shapeSignature: number[] | null;
  type: number;
  /** Constant contents (view into the file), null for activations. */
  data: Uint8Array | null;
  /** True when the tensor carries affine quantisation parameters (scale/zero point). */
  quantized: boolean;
}

export interface TfOperator {
  index: number;
  op: string;
  inputs: number[];
  outputs: number[];
  /** Builtin options table (layout per op, see tflite-schema.ts `F`), null when absent. */
  options: FbTable | null;
}

export interface TfModel {
  version: number;
  description: string;
  tensors: TfTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfOperator[];
}

function readBuffer(buf: FbTable, file: Uint8Array): Uint8Array | null {
  const data = buf.bytes(F.buffer.data);
  if (data && data.byteLength) return data;
  // Files over 2 GB keep data outside the flatbuffer, addressed by absolute offset.
  const offset = Number(buf.u64(F.buffer.offset));
  const size = Number(buf.u64(F.buffer.size));
  if (offset > 1 && size > 0) {
    if (offset + size > file.byteLength) throw new RangeError(`buffer at ${offset}+${size} runs past the end of the file`);
    return file.subarray(offset, offset + size);
  }
  return null;
}

export function readTflite(bytes: Uint8Array, modelName: string): TfModel {
  if (bytes.byteLength < 8 || new TextDecoder().decode(bytes.subarray(4, 8)) !== 'TFL3') {
    throw new FaceGateError('FG_MODEL_CONVERT', `${modelName}: not a TFLite file (no TFL3 identifier at byte 4)`);
  }
  try {
    const root = FbTable.root(bytes);
    const codes = root.tables(F.model.operatorCodes).map((c) => {
      // Schema v3a moved codes > 127 to an int field; older files only fill the byte field.
      const code = Math.max(c.i8(F.operatorCode.deprecatedBuiltinCode), c.i32(F.operatorCode.builtinCode));
      const custom = c.string(F.operatorCode.customCode);
      return custom ? `CUSTOM:${custom}` : opName(code);
    });
    const buffers = root.tables(F.model.buffers).map((b) => readBuffer(b, bytes));
    const subgraphs = root.tables(F.model.subgraphs);
    if (subgraphs.length === 0) throw new FaceGateError('FG_MODEL_CONVERT', `${modelName}: TFLite file has no subgraph`);
    const g = subgraphs[0];
    const tensors: TfTensor[] = g.tables(F.subgraph.tensors).map((t, index) => {
      const q = t.table(F.tensor.quantization);
      const sig = t.i32s(F.tensor.shapeSignature);
      return {
        index,
        name: t.string(F.tensor.name) ?? `tensor_${index}`,
        shape: t.i32s(F.tensor.shape),
        shapeSignature: sig.length ? sig : null,
        type: t.i8(F.tensor.type),
        data: buffers[t.u32(F.tensor.buffer)] ?? null,
        quantized: q !== null && q.has(F.quantization.scale) && q.has(F.quantization.zeroPoint),
      };
    });
    const operators: TfOperator[] = g.tables(F.subgraph.operators).map((o, index) => {
      const codeIndex = o.u32(F.operator.opcodeIndex);
      const op = codes[codeIndex];
      if (op === undefined) throw new FaceGateError('FG_MODEL_CONVERT', `${modelName}: operator ${index} refers to missing opcode ${codeIndex}`);
      return {
        index,
        op,
        inputs: o.i32s(F.operator.inputs),
        outputs: o.i32s(F.operator.outputs),
        options: o.u8(F.operator.builtinOptionsType) ? o.table(F.operator.builtinOptions) : null,
      };
    });
    return {
      version: root.u32(F.model.version),
      description: root.string(F.model.description) ?? '',
      tensors,
      inputs: g.i32s(F.subgraph.inputs),
      outputs: g.i32s(F.subgraph.outputs),
      operators,
    };
  } catch (e) {
    if (e instanceof FaceGateError) throw e;
    throw new FaceGateError('FG_MODEL_CONVERT', `${modelName}: malformed TFLite flatbuffer (${(e as Error).message})`, { cause: e });
  }
}
