/**
 * TFLite -> ONNX converter (entry). Pipeline: read the flatbuffer, decode constants (fp16 ->
 * fp32, folding DEQUANTIZE), fuse the decomposed PReLU/softmax, translate each operator with
 * activations kept NCHW inside the graph, and write a ModelProto (opset 17).
 *
 * Model I/O keeps the TFLite semantics: the input is NHWC and called 'input'; outputs keep
 * their TFLite shapes and layout. Output names come from `outputNames`, else from the model
 * spec's `outputs` keys when `name` is a pack model id, else from the TFLite tensor names.
 */
import { FaceGateError } from '../../sdk/errors.ts';
import { specById } from '../manifest/specs.ts';
import { ConvertContext, onnxElemType, type LayoutStrategy } from './convert-context.ts';
import { foldConstants } from './graph-ops.ts';
import { OnnxGraphBuilder, type Dim } from './onnx-builder.ts';
import { translate } from './op-translators.ts';
import { fusePatterns, type FusionReport } from './pattern-fusion.ts';
import { readTflite } from './tflite-reader.ts';
import { TensorType, TENSOR_TYPE_NAMES } from './tflite-schema.ts';

export type DynamicDim = 'batch' | 'height' | 'width';

export interface ConvertOptions {
  name: string;
  dynamicInput?: DynamicDim[];
  /** ONNX names for the TFLite outputs, in TFLite output order. */
  outputNames?: string[];
  /** Layout handling; 'per-op' exists only to measure what the default saves (test/bench). */
  layout?: LayoutStrategy;
}

export const ONNX_OPSET = 17;

export interface ConversionResult {
  bytes: Uint8Array;
  fusion: FusionReport;
  /** Transpose nodes the layout handling had to emit (input and output ones included). */
  transposes: number;
  opTypes: Record<string, number>;
}

function resolveOutputNames(opts: ConvertOptions, tfNames: string[]): string[] {
  if (opts.outputNames) {
    if (opts.outputNames.length !== tfNames.length) {
      throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: ${opts.outputNames.length} output names given for ${tfNames.length} outputs (${tfNames.join(', ')})`);
    }
    return opts.outputNames;
  }
  const specKeys = Object.keys(specById(opts.name)?.outputs ?? {});
  if (specKeys.length === tfNames.length) return specKeys;
  return tfNames;
}

/** Converts and reports what the conversion did (fusions, transposes, op histogram). */
export function convertTfliteDetailed(bytes: Uint8Array, opts: ConvertOptions): ConversionResult {
  try {
    return convertUnchecked(bytes, opts);
  } catch (e) {
    if (e instanceof FaceGateError) throw e;
    throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: conversion failed: ${(e as Error).message}`, { cause: e });
  }
}

function convertUnchecked(bytes: Uint8Array, opts: ConvertOptions): ConversionResult {
  const model = readTflite(bytes, opts.name);
  const dyn = new Set(opts.dynamicInput ?? []);
  if (model.inputs.length !== 1) throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: ${model.inputs.length} inputs; the converter handles single-input models`);
  for (const t of model.tensors) {
    if (t.quantized && !t.data) throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: tensor ${t.name} is affine-quantised (${TENSOR_TYPE_NAMES[t.type]}); quantised models are not supported`);
  }
  const { consts, ops: folded } = foldConstants(model, opts.name);
  const { ops, report } = fusePatterns(folded, model, consts);

  const inputTensor = model.tensors[model.inputs[0]];
  if (inputTensor.type !== TensorType.FLOAT32) throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: input type ${TENSOR_TYPE_NAMES[inputTensor.type]} (float32 expected)`);
  const inShape = inputTensor.shape;
  if ((dyn.has('height') || dyn.has('width')) && inShape.length !== 4) {
    throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: dynamic height/width needs an NHWC rank-4 input, got [${inShape}]`);
  }
  const g = new OnnxGraphBuilder();
  const ctx = new ConvertContext(model, opts.name, g, consts, { batch: dyn.has('batch'), spatial: dyn.has('height') || dyn.has('width') }, opts.layout);
  const inDims: Dim[] = inShape.map((d, a) => (a === 0 && dyn.has('batch') ? 'batch' : a === 1 && dyn.has('height') ? 'height' : a === 2 && dyn.has('width') ? 'width' : d));
  ctx.set(model.inputs[0], g.input('input', onnxElemType(inputTensor.type, 'input'), inDims), 'plain');

  const names = resolveOutputNames(opts, model.outputs.map((i) => model.tensors[i].name));
  if (new Set(names).size !== names.length || names.includes('input')) {
    throw new FaceGateError('FG_MODEL_CONVERT', `${opts.name}: output names must be distinct and not 'input': ${names.join(', ')}`);
  }
  g.reserve(names);

  for (const op of ops) translate(ctx, op);

  model.outputs.forEach((t, k) => {
    const tensor = model.tensors[t];
    const v = ctx.value(t);
    // Spatial output sizes follow the input size but are not equal to it: their own symbols.
    const dims: Dim[] = tensor.shape.map((d, a) => (a === 0 && dyn.has('batch') ? 'batch'
      : tensor.shape.length === 4 && a === 1 && dyn.has('height') ? 'out_height'
        : tensor.shape.length === 4 && a === 2 && dyn.has('width') ? 'out_width' : d));
    g.output(ctx.plain(v), names[k], onnxElemType(tensor.type, `output ${tensor.name}`), dims);
  });

  const opTypes: Record<string, number> = {};
  for (const t of g.opTypes()) opTypes[t] = (opTypes[t] ?? 0) + 1;
  const out = g.encode({
    graphName: opts.name,
    opset: ONNX_OPSET,
    docString: `Converted from TFLite (${model.description || 'no description'}) by FaceGate; NHWC input, TFLite output semantics.`,
  });
  return { bytes: out, fusion: report, transposes: ctx.transposes, opTypes };
}

export function convertTflite(bytes: Uint8Array, opts: ConvertOptions): Uint8Array {
  return convertTfliteDetailed(bytes, opts).bytes;
}
