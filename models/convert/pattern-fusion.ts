/**
 * Recognises the decomposed PReLU and softmax that TOCO left in these TFLite files and replaces
 * each with one fused operator (ONNX PRelu / Softmax). Matching follows data flow, not operator
 * order, and only fuses when every intermediate tensor is private to the pattern (one reader,
 * not a graph output), so a fused graph computes exactly what the unfused one did.
 *
 * PReLU forms seen in the real graphs:
 *   MTCNN (facenet port):  relu(x) + alpha * neg(relu(neg(x)))          -> slope = alpha
 *   MobileFaceNet (slim):  relu(x) + c * (x - abs(x)),  c = alpha / 2     -> slope = 2c
 * (x - |x| = 2 min(x, 0) and doubling is exact in floating point, so 2c * x == c * (x - |x|).)
 * Softmax: e = exp(x - reduce_max(x, a, keep)); y = e / sum(e, a, keep) over one axis a.
 */
import type { ConstTensor } from './tensor-data.ts';
import { constInts, elementCount } from './tensor-data.ts';
import { consumersOf, type FusedPrelu, type FusedSoftmax, type GraphOp, type TfGraphOp } from './graph-ops.ts';
import type { TfModel } from './tflite-reader.ts';
import { Activation, F } from './tflite-schema.ts';

interface MatchContext {
  ops: GraphOp[];
  producer: Map<number, number>;
  consumers: Map<number, number[]>;
  graphOutputs: Set<number>;
  consts: Map<number, ConstTensor>;
  model: TfModel;
}

function tfOp(ctx: MatchContext, tensor: number, op: string): TfGraphOp | null {
  const pos = ctx.producer.get(tensor);
  if (pos === undefined) return null;
  const o = ctx.ops[pos];
  return o.kind === 'tflite' && o.op === op ? o : null;
}

/** The tensor is read only by the given number of operators and is not a model output. */
function isPrivate(ctx: MatchContext, tensor: number, readers = 1): boolean {
  return !ctx.graphOutputs.has(tensor) && (ctx.consumers.get(tensor)?.length ?? 0) === readers;
}

/** Binary/elementwise ops carry a fused activation in options slot 0; patterns need NONE. */
function noActivation(op: TfGraphOp): boolean {
  return !op.options || op.options.i8(F.binary.activation) === Activation.NONE;
}

/** Per-channel slope from a constant broadcast against x (shape [C], [1,..,C] or scalar). */
function slopeOf(ctx: MatchContext, constIndex: number, x: number, scale: number): Float32Array | null {
  const c = ctx.consts.get(constIndex);
  if (!c || !(c.data instanceof Float32Array)) return null;
  const xShape = ctx.model.tensors[x].shape;
  const channels = xShape[xShape.length - 1];
  const n = elementCount(c.shape);
  if (c.shape.slice(0, -1).some((d) => d !== 1)) return null;
  if (n !== 1 && n !== channels) return null;
  return Float32Array.from(c.data, (v) => v * scale);
}

function matchPrelu(ctx: MatchContext, add: TfGraphOp): FusedPrelu | null {
  if (add.inputs.length !== 2 || !noActivation(add)) return null;
  for (const [p, q] of [[add.inputs[0], add.inputs[1]], [add.inputs[1], add.inputs[0]]]) {
    const relu = tfOp(ctx, p, 'RELU');
    const mul = tfOp(ctx, q, 'MUL');
    if (!relu || !mul || !noActivation(mul) || !isPrivate(ctx, p) || !isPrivate(ctx, q)) continue;
    const x = relu.inputs[0];
    const [m0, m1] = mul.inputs;
    const [constIdx, t] = ctx.consts.has(m0) ? [m0, m1] : [m1, m0];
    if (!ctx.consts.has(constIdx) || ctx.consts.has(t) || !isPrivate(ctx, t)) continue;
    // Form A: alpha * neg(relu(neg(x)))
    const neg1 = tfOp(ctx, t, 'NEG');
    if (neg1) {
      const relu2 = tfOp(ctx, neg1.inputs[0], 'RELU');
      const neg0 = relu2 && isPrivate(ctx, neg1.inputs[0]) ? tfOp(ctx, relu2.inputs[0], 'NEG') : null;
      if (relu2 && neg0 && isPrivate(ctx, relu2.inputs[0]) && neg0.inputs[0] === x) {
        const slope = slopeOf(ctx, constIdx, x, 1);
        if (slope) return prelu(add, x, slope, [relu, neg0, relu2, neg1, mul, add]);
      }
    }
    // Form B: c * (x - abs(x))
    const sub = tfOp(ctx, t, 'SUB');
    if (sub && noActivation(sub) && sub.inputs[0] === x) {
      const abs = tfOp(ctx, sub.inputs[1], 'ABS');
      if (abs && abs.inputs[0] === x && isPrivate(ctx, sub.inputs[1])) {
        const slope = slopeOf(ctx, constIdx, x, 2);
        if (slope) return prelu(add, x, slope, [relu, abs, sub, mul, add]);
      }
    }
  }
  return null;
}

function prelu(add: TfGraphOp, x: number, slope: Float32Array, parts: TfGraphOp[]): FusedPrelu {
  return { kind: 'prelu', index: add.index, op: 'FUSED_PRELU', inputs: [x], outputs: [add.outputs[0]], slope, replaced: parts.map((o) => o.index) };
}

function reduceAxis(ctx: MatchContext, op: TfGraphOp, rank: number): number | null {
  const axes = ctx.consts.get(op.inputs[1]);
  if (!axes || !op.options?.bool(F.reducer.keepDims)) return null;
  const list = constInts(axes);
  if (list.length !== 1) return null;
  return (list[0] + rank) % rank;
}

function matchSoftmax(ctx: MatchContext, div: TfGraphOp): FusedSoftmax | null {
  if (div.inputs.length !== 2 || !noActivation(div)) return null;
  const [e, z] = div.inputs;
  const sum = tfOp(ctx, z, 'SUM');
  const exp = tfOp(ctx, e, 'EXP');
  if (!sum || !exp || sum.inputs[0] !== e || !isPrivate(ctx, z) || !isPrivate(ctx, e, 2)) return null;
  const sub = tfOp(ctx, exp.inputs[0], 'SUB');
  if (!sub || !noActivation(sub) || !isPrivate(ctx, exp.inputs[0])) return null;
  const [x, m] = sub.inputs;
  const max = tfOp(ctx, m, 'REDUCE_MAX');
  if (!max || max.inputs[0] !== x || !isPrivate(ctx, m)) return null;
  const rank = ctx.model.tensors[x].shape.length;
  const axis = reduceAxis(ctx, max, rank);
  if (axis === null || reduceAxis(ctx, sum, rank) !== axis) return null;
  return { kind: 'softmax', index: div.index, op: 'FUSED_SOFTMAX', inputs: [x], outputs: [div.outputs[0]], axis, replaced: [max, sub, exp, sum, div].map((o) => o.index) };
}

export interface FusionReport {
  prelu: number;
  softmax: number;
}

/** Returns the operator list with recognised patterns fused, plus how many of each. */
export function fusePatterns(ops: GraphOp[], model: TfModel, consts: Map<number, ConstTensor>): { ops: GraphOp[]; report: FusionReport } {
  const producer = new Map<number, number>();
  ops.forEach((op, pos) => op.outputs.forEach((t) => producer.set(t, pos)));
  const ctx: MatchContext = { ops, producer, consumers: consumersOf(ops), graphOutputs: new Set(model.outputs), consts, model };
  const replacedAt = new Map<number, GraphOp>(); // position of the pattern's last op -> fused op
  const removed = new Set<number>(); // TFLite operator indices swallowed by a pattern
  const report: FusionReport = { prelu: 0, softmax: 0 };
  ops.forEach((op, pos) => {
    if (op.kind !== 'tflite') return;
    const fused = op.op === 'ADD' ? matchPrelu(ctx, op) : op.op === 'DIV' ? matchSoftmax(ctx, op) : null;
    if (!fused || fused.replaced.some((i) => removed.has(i))) return;
    for (const i of fused.replaced) removed.add(i);
    replacedAt.set(pos, fused);
    report[fused.kind]++;
  });
  const out: GraphOp[] = [];
  ops.forEach((op, pos) => {
    const fused = replacedAt.get(pos);
    if (fused) out.push(fused);
    else if (!(op.kind === 'tflite' && removed.has(op.index))) out.push(op);
  });
  return { ops: out, report };
}
