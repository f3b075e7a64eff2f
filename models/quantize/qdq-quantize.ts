/**
 * Static int8 quantisation in QDQ form: QuantizeLinear -> DequantizeLinear pairs around the ops
 * ONNX Runtime's CPU provider (and TensorRT) can run in int8, weights stored as int8.
 *
 * - Weights of Conv, Gemm and MatMul: per output channel, symmetric int8 (zero point 0); biases
 *   int32 with scale = input scale * weight scale, so ORT fuses DQ -> Conv -> Q into QLinearConv.
 * - Activations: per tensor, asymmetric uint8 (U8S8, ORT's CPU format), ranges from calibration.
 * - Ops that only move values (Transpose, Reshape, Flatten, MaxPool, ...) share one scale with
 *   their input, so ORT can drop their Q/DQ and run them on uint8.
 * - Relu after a quantised op is left bare before the Q: with the range starting at 0 the zero
 *   point is 0 and ORT folds the Relu into the quantisation (clamping at the zero point).
 * - Everything else (PRelu, Softmax, Mul, Exp...) stays float between a DQ and a Q.
 */
import { FaceGateError } from '../../sdk/errors.ts';
import {
  DType, GraphIndex, allNames, attrFloat, attrInt, dimsOf, floatData, floatTensor, graphOf, intAttr, node, tensor, uniqueName,
  type ModelProto, type NodeProto, type TensorProto,
} from './onnx-graph.ts';
import {
  INT8, correctBias, dequantizePerChannel, perChannelScales, quantizeBias, quantizePerChannel, uint8Params, type AffineParams,
} from './quant-math.ts';

/** Ops computed in int8 when their inputs and outputs are quantised. */
const COMPUTE_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'AveragePool', 'GlobalAveragePool', 'Concat', 'LeakyRelu', 'Sigmoid']);
/** Ops that only move or select values: input and output share quantisation parameters. */
const PASS_OPS = new Set(['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'MaxPool']);

export interface QdqOptions {
  /** 7-bit weights ([-63, 63]) against int16 saturation in AVX2 (non-VNNI) u8s8 GEMM kernels (depthwise convs keep 8 bits). */
  reduceRange?: boolean;
  /** Nodes to keep in float: node names, op types, or /regular expressions/ matched against names. */
  exclude?: readonly string[];
  /**
   * Keep the last N Conv/Gemm/MatMul nodes (in graph order) in float: an embedder's head (global
   * depthwise conv + linear layers on a 1x1 map) is the most sensitive part and costs almost nothing.
   */
  floatTail?: number;
  /**
   * Max(x, s x) (PRelu, see prelu-rewrite.ts) computed on uint8: x, s x and the result share one
   * scale, so the Max is exact on the integers and no DQ/float/Q round trip is needed (default true).
   */
  integerMax?: boolean;
  /** Quantise graph outputs produced by quantised ops (default true: lets the last op run in int8). */
  quantizeOutputs?: boolean;
  /**
   * Correct each quantised Conv's bias for the mean shift its weight rounding causes
   * (quant-math.ts correctBias); needs the input channel means from calibration (applyQdq's `stats`).
   */
  biasCorrection?: boolean;
}

/** Calibration statistics beyond ranges. */
export interface QdqStats {
  /** Mean per channel of measured NCHW tensors (ActivationCalibrator.channelMeans). */
  channelMeans?: ReadonlyMap<string, Float32Array>;
}

export interface QdqPlan {
  /** Activation tensors that get a Q/DQ pair. */
  tensors: string[];
  /** Tensors sharing parameters (pass-through ops): each tensor -> the group's representative. */
  tie: Map<string, string>;
  /** Nodes whose weights are quantised (by node name). */
  weightNodes: string[];
  /** Float tensors ranges must be calibrated for. */
  calibrate: string[];
  /** Nodes that run quantised (compute or pass-through): each gets a DQ of its own. */
  quantNodes: string[];
  /** Max nodes run directly on uint8 inputs and output (see QdqOptions.integerMax). */
  intMax: string[];
  /** Tensors whose range is left out of their tie group's (a Max discards their low side). */
  rangeless: string[];
}

export interface QdqReport {
  quantizedTensors: number;
  quantizedWeights: number;
  /** Conv biases corrected for weight rounding (QdqOptions.biasCorrection). */
  biasCorrected: number;
  weightBytesBefore: number;
  weightBytesAfter: number;
}

function isFloatActivation(idx: GraphIndex, name: string): boolean {
  return !!name && !idx.inits.has(name) && !idx.constant(name);
}

/** Index of the weight input and its channel axis, when the op has constant float weights. */
function weightSpec(n: NodeProto, idx: GraphIndex): { input: number; axis: number } | null {
  const op = n.opType;
  if (op === 'Conv') return idx.inits.has(n.input![1]) ? { input: 1, axis: 0 } : null;
  if (op === 'Gemm') {
    if (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) return null;
    return idx.inits.has(n.input![1]) ? { input: 1, axis: attrInt(n, 'transB', 0) ? 0 : 1 } : null;
  }
  if (op === 'MatMul') {
    const w = idx.inits.get(n.input![1]);
    return w && dimsOf(w).length === 2 ? { input: 1, axis: 1 } : null;
  }
  return null;
}

function nodeKey(n: NodeProto): string {
  return n.name || `${n.opType}:${n.output?.[0]}`;
}

/** Decides which tensors get Q/DQ (before calibration, so only those are measured). */
export function planQdq(model: ModelProto, opts: QdqOptions = {}): QdqPlan {
  const g = graphOf(model);
  const idx = new GraphIndex(g);
  const excluded = new Set(opts.exclude ?? []);
  const patterns = (opts.exclude ?? []).filter((e) => e.length > 2 && e.startsWith('/') && e.endsWith('/')).map((e) => new RegExp(e.slice(1, -1)));
  const tail = new Set((g.node ?? []).filter((n) => ['Conv', 'Gemm', 'MatMul'].includes(n.opType!)).slice(-(opts.floatTail ?? 0) || Infinity).map(nodeKey));
  if (!opts.floatTail) tail.clear();
  const isExcluded = (n: NodeProto) => excluded.has(nodeKey(n)) || excluded.has(n.opType!) || tail.has(nodeKey(n)) || patterns.some((p) => p.test(nodeKey(n)));
  const quantOp = (n: NodeProto): boolean => {
    if (isExcluded(n) || !COMPUTE_OPS.has(n.opType!)) return false;
    if (['Conv', 'Gemm', 'MatMul'].includes(n.opType!)) return weightSpec(n, idx) !== null && isFloatActivation(idx, n.input![0]);
    // Element-wise/pooling ops: every input must be an activation (a constant addend stays float).
    return (n.input ?? []).filter(Boolean).every((i) => isFloatActivation(idx, i));
  };
  const q = new Set<string>();
  const mark = (t: string) => { if (t) q.add(t); };
  for (const n of g.node ?? []) {
    if (!quantOp(n)) continue;
    for (const i of n.input ?? []) if (isFloatActivation(idx, i)) mark(i);
    for (const o of n.output ?? []) {
      // Relu right after: quantise the Relu's output instead (ORT folds Relu into that Q).
      const cons = idx.consumers.get(o) ?? [];
      if (cons.length === 1 && cons[0].opType === 'Relu' && !idx.graphOutputs.has(o) && !isExcluded(cons[0])) mark(cons[0].output![0]);
      else if (!idx.graphOutputs.has(o) || opts.quantizeOutputs !== false) mark(o);
    }
  }
  // Pass-through ops next to a quantised tensor join it: same parameters on both sides.
  const parent = new Map<string, string>();
  const find = (t: string): string => {
    let r = t;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const n of g.node ?? []) {
      if (!PASS_OPS.has(n.opType!) || isExcluded(n)) continue;
      const i = n.input![0];
      const o = n.output![0];
      if (!isFloatActivation(idx, i)) continue;
      if (q.has(i) || q.has(o)) {
        if (!q.has(i) || !q.has(o)) changed = true;
        const keepOutputFloat = idx.graphOutputs.has(o) && opts.quantizeOutputs === false;
        if (keepOutputFloat) continue;
        q.add(i);
        q.add(o);
        const [ri, ro] = [find(i), find(o)];
        if (ri !== ro) parent.set(ro, ri);
      }
    }
  }
  const intMax: string[] = [];
  const rangeless: string[] = [];
  if (opts.integerMax !== false) {
    for (const n of g.node ?? []) {
      const [a, b] = n.input ?? [];
      const y = n.output?.[0];
      if (n.opType !== 'Max' || n.input!.length !== 2 || isExcluded(n) || !q.has(a) || !q.has(b) || !y || !q.has(y)) continue;
      // The slope branch (s x) only matters where it wins the Max, i.e. inside y's range.
      const slope = [a, b].find((t) => (idx.producer.get(t)?.input ?? []).includes(t === a ? b : a));
      if (slope) rangeless.push(slope);
      for (const t of [b, y]) {
        const [r1, r2] = [find(a), find(t)];
        if (r1 !== r2) parent.set(r2, r1);
      }
      intMax.push(nodeKey(n));
    }
  }
  const tensors = [...q];
  const tie = new Map(tensors.map((t) => [t, find(t)]));
  const weightNodes = (g.node ?? []).filter((n) => quantOp(n) && weightSpec(n, idx)).map(nodeKey);
  const quantNodes = (g.node ?? []).filter((n) => quantOp(n) || (PASS_OPS.has(n.opType!) && q.has(n.input![0]) && q.has(n.output![0]))).map(nodeKey);
  return { tensors, tie, weightNodes, calibrate: tensors, quantNodes, intMax, rangeless };
}

/**
 * Writes the QDQ model. `ranges` gives the calibrated [lo, hi] of every tensor in plan.calibrate;
 * tied tensors use the union of their group's ranges.
 */
export function applyQdq(
  model: ModelProto, plan: QdqPlan, ranges: ReadonlyMap<string, readonly [number, number]>, opts: QdqOptions = {}, stats: QdqStats = {},
): { model: ModelProto; report: QdqReport } {
  if (opts.biasCorrection && !stats.channelMeans) throw new FaceGateError('FG_MODEL_CONVERT', 'bias correction needs the calibration channel means');
  const g = graphOf(model);
  const idx = new GraphIndex(g);
  const used = allNames(g);
  const inits: TensorProto[] = [];
  const removedInits = new Set<string>();

  // Parameters per tie group.
  const groupRange = new Map<string, [number, number]>();
  const rangeless = new Set(plan.rangeless);
  for (const t of plan.tensors) {
    if (rangeless.has(t)) continue;
    const r = ranges.get(t);
    if (!r) throw new FaceGateError('FG_MODEL_CONVERT', `no calibration range for tensor ${t}`);
    const root = plan.tie.get(t) ?? t;
    const cur = groupRange.get(root);
    groupRange.set(root, cur ? [Math.min(cur[0], r[0]), Math.max(cur[1], r[1])] : [r[0], r[1]]);
  }
  const params = new Map<string, AffineParams & { scaleName: string; zpName: string }>();
  for (const [root, [lo, hi]] of groupRange) {
    const p = uint8Params(lo, hi);
    const scaleName = uniqueName(used, `${root}_scale`);
    const zpName = uniqueName(used, `${root}_zero_point`);
    inits.push(floatTensor(scaleName, [], Float32Array.of(p.scale)), tensor(zpName, DType.UINT8, [], Uint8Array.of(p.zeroPoint)));
    params.set(root, { ...p, scaleName, zpName });
  }
  const paramsOf = (t: string) => params.get(plan.tie.get(t) ?? t)!;

  const qset = new Set(plan.tensors);
  const weightNodes = new Set(plan.weightNodes);
  const quantNodes = new Set(plan.quantNodes);
  const out: NodeProto[] = [];
  const report: QdqReport = { quantizedTensors: qset.size, quantizedWeights: 0, biasCorrected: 0, weightBytesBefore: 0, weightBytesAfter: 0 };
  // Value a consumer should read instead of a quantised tensor: one DQ per consumer (ORT wants a
  // DQ to feed a single node unit).
  const dqFor = new Map<string, string>(); // `${tensor}\u0000${consumerKey}#${k}` -> dq output

  const intMax = new Set(plan.intMax);
  const emitQdq = (t: string, floatName: string) => {
    const p = paramsOf(t);
    const qName = uniqueName(used, `${t}_quantized`);
    out.push(node('QuantizeLinear', [floatName, p.scaleName, p.zpName], [qName], uniqueName(used, `${t}_QuantizeLinear`)));
    emitDqs(t, qName);
  };
  /** DQs of quantised tensor `t` (stored as `qName`) for its readers; integer Maxes read `qName`. */
  const emitDqs = (t: string, qName: string) => {
    const p = paramsOf(t);
    let shared: string | null = null; // float consumers read one DQ together
    for (const c of idx.consumers.get(t) ?? []) {
      const own = quantNodes.has(nodeKey(c));
      (c.input ?? []).forEach((inp, k) => {
        if (inp !== t) return;
        if (intMax.has(nodeKey(c))) {
          dqFor.set(`${t}\u0000${nodeKey(c)}#${k}`, qName);
          return;
        }
        let dq = own ? null : shared;
        if (!dq) {
          dq = uniqueName(used, `${t}_dequantized`);
          out.push(node('DequantizeLinear', [qName, p.scaleName, p.zpName], [dq], uniqueName(used, `${t}_DequantizeLinear`)));
          if (!own) shared = dq;
        }
        dqFor.set(`${t}\u0000${nodeKey(c)}#${k}`, dq);
      });
    }
    if (idx.graphOutputs.has(t)) out.push(node('DequantizeLinear', [qName, p.scaleName, p.zpName], [t], uniqueName(used, `${t}_DequantizeLinear`)));
  };

  // Graph inputs first.
  for (const t of idx.graphInputs) if (qset.has(t)) emitQdq(t, t);

  for (const n of g.node ?? []) {
    const key = nodeKey(n);
    if (weightNodes.has(key)) emitWeights(n);
    n.input = (n.input ?? []).map((inp, k) => dqFor.get(`${inp}\u0000${key}#${k}`) ?? inp);
    // A quantised graph output is renamed at its producer; the final DQ restores the name.
    const renamed: [string, string][] = [];
    n.output = (n.output ?? []).map((o) => {
      if (qset.has(o) && idx.graphOutputs.has(o)) {
        const f = uniqueName(used, `${o}_float`);
        renamed.push([o, f]);
        return f;
      }
      return o;
    });
    if (intMax.has(key)) {
      // Output already uint8: readers get DQs of it, no Q.
      const y = n.output[0];
      const yq = uniqueName(used, `${y}_quantized`);
      n.output = [yq];
      out.push(n);
      emitDqs(y, yq);
      continue;
    }
    out.push(n);
    for (const o of n.output) {
      const orig = renamed.find(([, f]) => f === o)?.[0] ?? o;
      if (qset.has(orig)) emitQdq(orig, o);
    }
  }

  function emitWeights(n: NodeProto): void {
    const spec = weightSpec(n, idx)!;
    const wName = n.input![spec.input];
    const w = idx.inits.get(wName)!;
    const dims = dimsOf(w);
    const wf = floatData(w);
    // Depthwise convs run in MLAS's depthwise kernel, which widens to int32 and never saturates:
    // they keep all 8 bits even with reduceRange (which guards the u8s8 GEMM path).
    const depthwise = n.opType === 'Conv' && dims[1] === 1 && attrInt(n, 'group', 1) === dims[0] && dims[0] > 1;
    const qmax = opts.reduceRange && !depthwise ? 63 : INT8.max;
    const scales = perChannelScales(wf, dims, spec.axis, qmax);
    const wq = quantizePerChannel(wf, dims, spec.axis, scales);
    const base = uniqueName(used, `${wName}_${nodeKey(n).replace(/[^A-Za-z0-9_]/g, '_')}`);
    const qn = `${base}_quantized`;
    const sn = `${base}_scale`;
    const zn = `${base}_zero_point`;
    const dqn = `${base}_dequantized`;
    [qn, sn, zn, dqn].forEach((x) => used.add(x));
    inits.push(tensor(qn, DType.INT8, dims, wq), floatTensor(sn, [scales.length], scales), tensor(zn, DType.INT8, [scales.length], new Int8Array(scales.length)));
    out.push(node('DequantizeLinear', [qn, sn, zn], [dqn], uniqueName(used, `${base}_DequantizeLinear`), [intAttr('axis', spec.axis)]));
    report.weightBytesBefore += wf.byteLength;
    report.weightBytesAfter += wq.byteLength + scales.byteLength;
    report.quantizedWeights++;
    removedInits.add(wName);
    const inputs = [...n.input!];
    inputs[spec.input] = dqn;
    // Bias (Conv input 2, Gemm input C): int32 on the accumulator's scale.
    const bName = n.input![2];
    const b = bName ? idx.inits.get(bName) : undefined;
    if (b && dimsOf(b).length === 1 && dimsOf(b)[0] === scales.length) {
      const xScale = paramsOf(n.input![0]).scale;
      let bf = floatData(b);
      const means = opts.biasCorrection && n.opType === 'Conv' ? stats.channelMeans?.get(n.input![0]) : undefined;
      if (means) {
        bf = correctBias(bf, wf, dequantizePerChannel(wq, dims, spec.axis, scales), dims, attrInt(n, 'group', 1), means);
        report.biasCorrected++;
      }
      const bq = quantizeBias(bf, xScale, scales);
      const bb = uniqueName(used, `${bName}_${nodeKey(n).replace(/[^A-Za-z0-9_]/g, '_')}`);
      const [bqn, bsn, bdq] = [`${bb}_quantized`, `${bb}_scale`, `${bb}_dequantized`];
      [bqn, bsn, bdq].forEach((x) => used.add(x));
      inits.push(tensor(bqn, DType.INT32, [bq.q.length], bq.q), floatTensor(bsn, [bq.scales.length], bq.scales));
      out.push(node('DequantizeLinear', [bqn, bsn], [bdq], uniqueName(used, `${bb}_DequantizeLinear`), [intAttr('axis', 0)]));
      inputs[2] = bdq;
      removedInits.add(bName);
      report.weightBytesBefore += b.rawData?.byteLength ?? 0;
      report.weightBytesAfter += bq.q.byteLength + bq.scales.byteLength;
    }
    n.input = inputs;
  }

  // Initialisers still read by some float node stay (e.g. a weight shared with an excluded op).
  const stillRead = new Set(out.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []).filter((t) => !removedInits.has(t.name!) || stillRead.has(t.name!)), ...inits];
  g.node = out;
  g.valueInfo = []; // shapes/types changed; ORT re-infers
  // Opset 13: per-channel (axis) DequantizeLinear.
  if (!(model.opsetImport ?? []).some((o) => !o.domain && Number(o.version) >= 13)) {
    throw new FaceGateError('FG_MODEL_CONVERT', 'QDQ needs default-domain opset >= 13 (upgrade the model first)');
  }
  return { model, report };
}
