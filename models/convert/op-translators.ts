/**
 * One translator per TFLite operator (plus the fused PReLU/softmax): each reads its options,
 * asks the context for inputs in the layout it wants and records its output value.
 */
import { NHWC_AXIS_TO_NCHW, onnxElemType, type ConvertContext, type Value } from './convert-context.ts';
import type { GraphOp, TfGraphOp } from './graph-ops.ts';
import { float, int, ints, type Attr } from './onnx-builder.ts';
import { constInts, DEPTHWISE_TO_ONNX, elementCount, fcWeightsNhwcToNchw, OHWI_TO_OIHW, permute } from './tensor-data.ts';
import { Activation, F, Padding, TENSOR_TYPE_NAMES } from './tflite-schema.ts';

type Translator = (ctx: ConvertContext, op: TfGraphOp) => void;

/** Bounds beyond any real dimension, for "to the end" slices (ONNX clamps them). */
const SLICE_MAX = Number.MAX_SAFE_INTEGER;

function opt(op: TfGraphOp, ctx: ConvertContext) {
  if (!op.options) ctx.fail(`${op.op} (operator #${op.index}) has no options`);
  return op.options;
}

/** Applies a fused activation to `name`; returns the name holding the result. */
function activation(ctx: ConvertContext, name: string, act: number, outBase: string, op: TfGraphOp): string {
  switch (act) {
    case Activation.NONE: return name;
    case Activation.RELU: return ctx.g.node1('Relu', [name], outBase);
    case Activation.RELU6: return clip(ctx, name, 0, 6, outBase);
    case Activation.RELU_N1_TO_1: return clip(ctx, name, -1, 1, outBase);
    case Activation.TANH: return ctx.g.node1('Tanh', [name], outBase);
    default: return ctx.fail(`${op.op} (operator #${op.index}) has unsupported fused activation ${act}`);
  }
}

function clip(ctx: ConvertContext, name: string, lo: number, hi: number, outBase: string): string {
  const min = ctx.g.initializer(`clip_min_${lo}`, [], Float32Array.of(lo));
  const max = ctx.g.initializer(`clip_max_${hi}`, [], Float32Array.of(hi));
  return ctx.g.node1('Clip', [name, min, max], outBase);
}

/** Output base name: when a fused activation follows, the pre-activation value gets a suffix. */
function preActName(ctx: ConvertContext, op: TfGraphOp, act: number): string {
  const out = ctx.nameOf(op.outputs[0]);
  return act === Activation.NONE ? out : `${out}_preact`;
}

/**
 * Conv/pool padding attributes. TFLite SAME pads (total = max((ceil(in/s)-1)*s + k_eff - in, 0))
 * with the odd pixel at the end; written as explicit pads when the size is known, as
 * auto_pad SAME_UPPER (same rule, computed at run time) when the spatial size is dynamic.
 */
export function paddingAttrs(padding: number, inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number, dynamicSpatial: boolean): Record<string, Attr> {
  if (padding === Padding.VALID) return {};
  if (dynamicSpatial && (sH > 1 || sW > 1)) return { auto_pad: { s: 'SAME_UPPER' } };
  const total = (inp: number, k: number, s: number, d: number) => {
    const out = Math.ceil(inp / s);
    return Math.max((out - 1) * s + (k - 1) * d + 1 - inp, 0);
  };
  const th = total(inH, kH, sH, dH);
  const tw = total(inW, kW, sW, dW);
  const pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  return pads.some((p) => p !== 0) ? { pads: ints(pads) } : {};
}

function biasInit(ctx: ConvertContext, op: TfGraphOp): string[] {
  const b = op.inputs[2];
  if (b === undefined || b < 0) return [];
  return [ctx.constInit(b, 'plain', (c) => ({ dims: c.shape, data: c.data as Float32Array }))];
}

function conv(ctx: ConvertContext, op: TfGraphOp, depthwise: boolean): void {
  const o = opt(op, ctx);
  const S = depthwise ? F.depthwise : F.conv2d;
  const x = ctx.value(op.inputs[0]);
  const [, inH, inW, inC] = x.shape;
  const filter = ctx.constOf(op.inputs[1], `${op.op} filter`);
  const [, kH, kW] = filter.shape;
  const sH = o.i32(S.strideH, 1);
  const sW = o.i32(S.strideW, 1);
  const dH = o.i32(S.dilationH, 1);
  const dW = o.i32(S.dilationW, 1);
  const w = ctx.constInit(op.inputs[1], depthwise ? 'dw_oihw' : 'oihw', (c) => {
    const p = permute(c.data as Float32Array, c.shape, depthwise ? DEPTHWISE_TO_ONNX : OHWI_TO_OIHW);
    return { dims: p.shape, data: p.data };
  });
  // Regular conv: filter [O,kh,kw,I]; I < input channels means a grouped conv.
  const group = depthwise ? inC : inC / filter.shape[3];
  if (!Number.isInteger(group) || group < 1) ctx.fail(`${op.op} (operator #${op.index}): filter channels ${filter.shape[3]} do not divide input channels ${inC}`);
  const act = o.i8(depthwise ? F.depthwise.activation : F.conv2d.activation);
  const attrs: Record<string, Attr> = {
    kernel_shape: ints([kH, kW]),
    strides: ints([sH, sW]),
    dilations: ints([dH, dW]),
    ...paddingAttrs(o.i8(S.padding), inH, inW, kH, kW, sH, sW, dH, dW, ctx.dynamic.spatial),
  };
  if (group !== 1) attrs.group = int(group);
  const y = ctx.g.node1('Conv', [ctx.nchw(x), w, ...biasInit(ctx, op)], preActName(ctx, op, act), attrs);
  ctx.set(op.outputs[0], activation(ctx, y, act, ctx.nameOf(op.outputs[0]), op), 'nchw');
}

function pool(ctx: ConvertContext, op: TfGraphOp, onnxOp: 'MaxPool' | 'AveragePool'): void {
  const o = opt(op, ctx);
  const x = ctx.value(op.inputs[0]);
  const [, inH, inW] = x.shape;
  const kH = o.i32(F.pool2d.filterH);
  const kW = o.i32(F.pool2d.filterW);
  const sH = o.i32(F.pool2d.strideH, 1);
  const sW = o.i32(F.pool2d.strideW, 1);
  const act = o.i8(F.pool2d.activation);
  // AveragePool's count_include_pad defaults to 0: TF averages over the valid pixels only.
  const y = ctx.g.node1(onnxOp, [ctx.nchw(x)], preActName(ctx, op, act), {
    kernel_shape: ints([kH, kW]),
    strides: ints([sH, sW]),
    ...paddingAttrs(o.i8(F.pool2d.padding), inH, inW, kH, kW, sH, sW, 1, 1, ctx.dynamic.spatial),
  });
  ctx.set(op.outputs[0], activation(ctx, y, act, ctx.nameOf(op.outputs[0]), op), 'nchw');
}

function fullyConnected(ctx: ConvertContext, op: TfGraphOp): void {
  const o = op.options;
  const act = o ? o.i8(F.fullyConnected.activation) : Activation.NONE;
  const x = ctx.value(op.inputs[0]);
  const weights = ctx.constOf(op.inputs[1], 'FULLY_CONNECTED weights');
  const [outDim, k] = weights.shape;
  if (o?.bool(F.fullyConnected.keepNumDims) && x.shape.length > 2) ctx.fail(`FULLY_CONNECTED (operator #${op.index}) with keep_num_dims is not supported`);
  const inner = elementCount(x.shape.slice(1));
  let input: string;
  let w: string;
  if (x.layout === 'nchw' && !ctx.layoutFree(x)) {
    // TFLite flattens NHWC; permuting the weight columns lets us flatten NCHW directly.
    const [, h, wd, c] = x.shape;
    if (h * wd * c !== k) ctx.fail(`FULLY_CONNECTED (operator #${op.index}): input ${x.shape} does not flatten to ${k}`);
    w = ctx.constInit(op.inputs[1], 'fc_nchw', (cst) => ({ dims: cst.shape, data: fcWeightsNhwcToNchw(cst.data as Float32Array, outDim, h, wd, c) }));
    input = ctx.g.node1('Flatten', [x.name], `${x.name}_flat`, { axis: int(1) });
  } else {
    w = ctx.constInit(op.inputs[1], 'plain', (cst) => ({ dims: cst.shape, data: cst.data as Float32Array }));
    const src = x.layout === 'nchw' ? x.name : ctx.plain(x);
    if (x.shape.length === 2 && x.shape[1] === k) input = src;
    else if (inner === k) input = ctx.g.node1('Flatten', [src], `${x.name}_flat`, { axis: int(1) });
    else input = ctx.g.node1('Reshape', [src, ctx.g.int64s('fc_shape', [-1, k])], `${x.name}_2d`);
  }
  const y = ctx.g.node1('Gemm', [input, w, ...biasInit(ctx, op)], preActName(ctx, op, act), { transB: int(1) });
  ctx.set(op.outputs[0], activation(ctx, y, act, ctx.nameOf(op.outputs[0]), op), 'plain');
}

/** Elementwise op with NumPy broadcasting; runs in NCHW when every activation operand is rank 4. */
function elementwise(ctx: ConvertContext, op: TfGraphOp, onnxOp: string, withActivation: boolean): void {
  const acts = op.inputs.filter((i) => !ctx.isConst(i)).map((i) => ctx.value(i));
  if (acts.length === 0) ctx.fail(`${op.op} (operator #${op.index}) has only constant inputs`);
  const nchw = acts.some((v) => v.layout === 'nchw') && acts.every((v) => v.shape.length === 4);
  const names = op.inputs.map((i) => {
    if (ctx.isConst(i)) return ctx.constOperand(i, nchw);
    const v = ctx.value(i);
    return nchw ? ctx.nchw(v) : ctx.plain(v);
  });
  const act = withActivation && op.options ? op.options.i8(F.binary.activation) : Activation.NONE;
  const y = ctx.g.node1(onnxOp, names, preActName(ctx, op, act));
  ctx.set(op.outputs[0], activation(ctx, y, act, ctx.nameOf(op.outputs[0]), op), nchw ? 'nchw' : 'plain');
}

function unary(onnxOp: string, attrs: (op: TfGraphOp) => Record<string, Attr> = () => ({})): Translator {
  return (ctx, op) => {
    const x = ctx.value(op.inputs[0]);
    const y = ctx.g.node1(onnxOp, [x.name], ctx.nameOf(op.outputs[0]), attrs(op));
    ctx.set(op.outputs[0], y, x.layout);
  };
}

function reshape(ctx: ConvertContext, op: TfGraphOp): void {
  const x = ctx.value(op.inputs[0]);
  const shapeIdx = op.inputs[1];
  let target: number[];
  if (shapeIdx !== undefined && shapeIdx >= 0 && ctx.isConst(shapeIdx)) target = constInts(ctx.constOf(shapeIdx, 'RESHAPE shape'));
  else if (op.options?.has(F.reshape.newShape)) target = op.options.i32s(F.reshape.newShape);
  else return ctx.fail(`RESHAPE (operator #${op.index}) with a computed shape is not supported`);
  if (ctx.dynamic.spatial) ctx.fail(`RESHAPE (operator #${op.index}) in a model with dynamic height/width cannot keep its fixed shape ${target}`);
  // A hard-coded batch would pin the batch size: 0 copies the input's (dynamic) batch instead.
  if (ctx.dynamic.batch && target.length > 0 && x.shape.length > 0 && target[0] === x.shape[0] && !target.slice(1).includes(0)) target = [0, ...target.slice(1)];
  const src = ctx.layoutFree(x) && x.layout === 'nchw' ? x.name : ctx.plain(x);
  const y = ctx.g.node1('Reshape', [src, ctx.g.int64s(`${ctx.nameOf(op.outputs[0])}_shape`, target)], ctx.nameOf(op.outputs[0]));
  ctx.set(op.outputs[0], y, 'plain');
}

function reduce(ctx: ConvertContext, op: TfGraphOp, onnxOp: 'ReduceMax' | 'ReduceSum'): void {
  const x = ctx.value(op.inputs[0]);
  const rank = x.shape.length;
  const keep = op.options?.bool(F.reducer.keepDims) ?? false;
  let axes = constInts(ctx.constOf(op.inputs[1], `${op.op} axes`)).map((a) => (a + rank) % rank);
  let layout = x.layout;
  let src = x.name;
  if (x.layout === 'nchw' && keep) axes = axes.map((a) => NHWC_AXIS_TO_NCHW[a]);
  else [src, layout] = [ctx.plain(x), 'plain'];
  const out = ctx.nameOf(op.outputs[0]);
  // Opset 17: ReduceSum takes axes as an input (since 13), ReduceMax still as an attribute.
  const y = onnxOp === 'ReduceSum'
    ? ctx.g.node1('ReduceSum', [src, ctx.g.int64s(`${out}_axes`, axes)], out, { keepdims: int(keep ? 1 : 0) })
    : ctx.g.node1('ReduceMax', [src], out, { axes: ints(axes), keepdims: int(keep ? 1 : 0) });
  ctx.set(op.outputs[0], y, layout);
}

function concatenation(ctx: ConvertContext, op: TfGraphOp): void {
  const o = opt(op, ctx);
  const rank = ctx.tensor(op.outputs[0]).shape.length;
  let axis = (o.i32(F.concatenation.axis) + rank) % rank;
  const acts = op.inputs.filter((i) => !ctx.isConst(i)).map((i) => ctx.value(i));
  const nchw = rank === 4 && acts.length > 0 && acts.every((v) => v.layout === 'nchw');
  if (nchw) axis = NHWC_AXIS_TO_NCHW[axis];
  const names = op.inputs.map((i) => {
    if (!ctx.isConst(i)) return nchw ? ctx.nchw(ctx.value(i)) : ctx.plain(ctx.value(i));
    if (nchw) return ctx.constInit(i, 'nchw_full', (c) => { const p = permute(c.data as Float32Array, c.shape, [0, 3, 1, 2]); return { dims: p.shape, data: p.data }; });
    return ctx.constOperand(i, false);
  });
  const act = o.i8(F.concatenation.activation);
  const y = ctx.g.node1('Concat', names, preActName(ctx, op, act), { axis: int(axis) });
  ctx.set(op.outputs[0], activation(ctx, y, act, ctx.nameOf(op.outputs[0]), op), nchw ? 'nchw' : 'plain');
}

function stridedSlice(ctx: ConvertContext, op: TfGraphOp): void {
  const o = opt(op, ctx);
  const x = ctx.value(op.inputs[0]);
  const shape = x.shape;
  const begin = constInts(ctx.constOf(op.inputs[1], 'STRIDED_SLICE begin'));
  const end = constInts(ctx.constOf(op.inputs[2], 'STRIDED_SLICE end'));
  const strides = op.inputs[3] !== undefined && op.inputs[3] >= 0 ? constInts(ctx.constOf(op.inputs[3], 'STRIDED_SLICE strides')) : begin.map(() => 1);
  const beginMask = o.i32(F.stridedSlice.beginMask);
  const endMask = o.i32(F.stridedSlice.endMask);
  const shrinkMask = o.i32(F.stridedSlice.shrinkAxisMask);
  const useOffset = o.bool(F.stridedSlice.offset);
  if (o.i32(F.stridedSlice.ellipsisMask) || o.i32(F.stridedSlice.newAxisMask)) ctx.fail(`STRIDED_SLICE (operator #${op.index}) with ellipsis/new-axis masks is not supported`);
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const squeeze: number[] = [];
  let identity = true;
  for (let a = 0; a < begin.length; a++) {
    const s = strides[a];
    if (s === 0) ctx.fail(`STRIDED_SLICE (operator #${op.index}) has stride 0`);
    let b = beginMask & (1 << a) ? (s > 0 ? 0 : SLICE_MAX) : begin[a];
    let e = endMask & (1 << a) ? (s > 0 ? SLICE_MAX : -SLICE_MAX) : useOffset ? begin[a] + end[a] : end[a];
    if (shrinkMask & (1 << a)) {
      b = begin[a];
      e = b === -1 ? SLICE_MAX : b + 1;
      squeeze.push(a);
    }
    // "Up to the static size" means "to the end": keeps dynamic axes (batch) correct.
    if (s > 0 && e >= shape[a]) e = SLICE_MAX;
    const full = s === 1 && (b === 0 || b === -shape[a]) && e === SLICE_MAX;
    if (!full || squeeze.includes(a)) identity = false;
    starts.push(b); ends.push(e); axes.push(a); steps.push(s);
  }
  if (identity) return ctx.alias(op.outputs[0], x);
  const out = ctx.nameOf(op.outputs[0]);
  const src = ctx.plain(x);
  let y = ctx.g.node1('Slice', [src, ctx.g.int64s(`${out}_starts`, starts), ctx.g.int64s(`${out}_ends`, ends), ctx.g.int64s(`${out}_axes`, axes), ctx.g.int64s(`${out}_steps`, steps)],
    squeeze.length ? `${out}_unsqueezed` : out);
  if (squeeze.length) y = ctx.g.node1('Squeeze', [y, ctx.g.int64s(`${out}_squeeze_axes`, squeeze)], out);
  ctx.set(op.outputs[0], y, 'plain');
}

function cast(ctx: ConvertContext, op: TfGraphOp): void {
  const x = ctx.value(op.inputs[0]);
  const to = onnxElemType(ctx.tensor(op.outputs[0]).type, `CAST (operator #${op.index})`);
  ctx.set(op.outputs[0], ctx.g.node1('Cast', [x.name], ctx.nameOf(op.outputs[0]), { to: int(to) }), x.layout);
}

function dequantize(ctx: ConvertContext, op: TfGraphOp): void {
  // Constant DEQUANTIZE (fp16 weights) was folded earlier; a run-time fp16 tensor is a cast.
  const t = ctx.tensor(op.inputs[0]);
  if (t.type !== 1 || t.quantized) ctx.fail(`DEQUANTIZE (operator #${op.index}) of a run-time ${TENSOR_TYPE_NAMES[t.type] ?? t.type} tensor is not supported`);
  const x = ctx.value(op.inputs[0]);
  ctx.set(op.outputs[0], ctx.g.node1('Cast', [x.name], ctx.nameOf(op.outputs[0]), { to: int(1) }), x.layout);
}

const TRANSLATORS: Record<string, Translator> = {
  CONV_2D: (ctx, op) => conv(ctx, op, false),
  DEPTHWISE_CONV_2D: (ctx, op) => conv(ctx, op, true),
  FULLY_CONNECTED: fullyConnected,
  MAX_POOL_2D: (ctx, op) => pool(ctx, op, 'MaxPool'),
  AVERAGE_POOL_2D: (ctx, op) => pool(ctx, op, 'AveragePool'),
  ADD: (ctx, op) => elementwise(ctx, op, 'Add', true),
  SUB: (ctx, op) => elementwise(ctx, op, 'Sub', true),
  MUL: (ctx, op) => elementwise(ctx, op, 'Mul', true),
  DIV: (ctx, op) => elementwise(ctx, op, 'Div', true),
  GREATER_EQUAL: (ctx, op) => elementwise(ctx, op, 'GreaterOrEqual', false),
  LESS: (ctx, op) => elementwise(ctx, op, 'Less', false),
  NEG: unary('Neg'),
  ABS: unary('Abs'),
  EXP: unary('Exp'),
  RELU: unary('Relu'),
  RELU6: (ctx, op) => {
    const x = ctx.value(op.inputs[0]);
    ctx.set(op.outputs[0], clip(ctx, x.name, 0, 6, ctx.nameOf(op.outputs[0])), x.layout);
  },
  LEAKY_RELU: unary('LeakyRelu', (op) => ({ alpha: float(op.options?.f32(F.leakyRelu.alpha) ?? 0) })),
  RESHAPE: reshape,
  REDUCE_MAX: (ctx, op) => reduce(ctx, op, 'ReduceMax'),
  SUM: (ctx, op) => reduce(ctx, op, 'ReduceSum'),
  CONCATENATION: concatenation,
  STRIDED_SLICE: stridedSlice,
  CAST: cast,
  DEQUANTIZE: dequantize,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(TRANSLATORS);

function fusedPrelu(ctx: ConvertContext, x: Value, slope: Float32Array, out: number): void {
  const nchw = x.layout === 'nchw';
  const dims = slope.length === 1 ? [1] : nchw ? [slope.length, 1, 1] : [slope.length];
  const s = ctx.g.initializer(`${ctx.nameOf(out)}_slope`, dims, slope);
  ctx.set(out, ctx.g.node1('PRelu', [x.name, s], ctx.nameOf(out)), x.layout);
}

function fusedSoftmax(ctx: ConvertContext, x: Value, axis: number, out: number): void {
  const onnxAxis = x.layout === 'nchw' ? NHWC_AXIS_TO_NCHW[axis] : axis;
  ctx.set(out, ctx.g.node1('Softmax', [x.name], ctx.nameOf(out), { axis: int(onnxAxis) }), x.layout);
}

export function translate(ctx: ConvertContext, op: GraphOp): void {
  if (op.kind === 'prelu') return fusedPrelu(ctx, ctx.value(op.inputs[0]), op.slope, op.outputs[0]);
  if (op.kind === 'softmax') return fusedSoftmax(ctx, ctx.value(op.inputs[0]), op.axis, op.outputs[0]);
  const t = TRANSLATORS[op.op];
  if (!t) ctx.fail(`TFLite operator ${op.op} (operator #${op.index}) is not supported by the converter (supported: ${SUPPORTED_OPS.join(', ')})`);
  t(ctx, op);
}
