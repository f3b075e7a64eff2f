import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, ElemType, int, ints } from '../../../models/convert/onnx-builder.ts';
import { ActivationCalibrator } from '../../../models/quantize/activation-calibrator.ts';
import { cloneModel, prepareModel } from '../../../models/quantize/calibrate-pack.ts';
import { ChannelRanges } from '../../../models/quantize/activation-calibrator.ts';
import { equalize, findEqualizePairs } from '../../../models/quantize/equalize.ts';
import { convertToFp16 } from '../../../models/quantize/fp16-convert.ts';
import { decodeModel, encodeModel, upgradeOpset, type ModelProto } from '../../../models/quantize/onnx-graph.ts';
import { applyQdq, planQdq } from '../../../models/quantize/qdq-quantize.ts';
import { RangeHistogram } from '../../../models/quantize/range-histogram.ts';

/** Deterministic pseudo-random numbers (tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const randn = (r: () => number, n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

/**
 * A small MobileFaceNet-like block: Conv 3x3 -> 1x1 Conv -> PRelu (some slopes > 1, some < 0)
 * -> depthwise 3x3 -> PRelu -> 1x1 Conv + residual Add -> global pool -> Gemm.
 */
function tinyNet(): Uint8Array {
  const r = rng(7);
  const b = new OnnxGraphBuilder();
  const x = b.input('x', ElemType.FLOAT, ['n', 3, 16, 16]);
  const w0 = b.initializer('w0', [8, 3, 3, 3], randn(r, 8 * 27, 0.4));
  const b0 = b.initializer('b0', [8], randn(r, 8, 0.1));
  const c0 = b.node1('Conv', [x, w0, b0], 'c0', { pads: ints([1, 1, 1, 1]), kernel_shape: ints([3, 3]) });
  const w1 = b.initializer('w1', [8, 8, 1, 1], randn(r, 64, 0.4));
  const b1 = b.initializer('b1', [8], randn(r, 8, 0.1));
  const c1 = b.node1('Conv', [c0, w1, b1], 'c1', { kernel_shape: ints([1, 1]) });
  const s1 = b.initializer('s1', [8, 1, 1], Float32Array.of(0.25, 2.5, -0.3, 0.1, 1, 0, 3, 0.5));
  const p1 = b.node1('PRelu', [c1, s1], 'p1');
  const w2 = b.initializer('w2', [8, 1, 3, 3], randn(r, 72, 0.5));
  const c2 = b.node1('Conv', [p1, w2], 'c2', { pads: ints([1, 1, 1, 1]), kernel_shape: ints([3, 3]), group: int(8) });
  const s2 = b.initializer('s2', [8, 1, 1], Float32Array.of(0.2, 0.2, 1.5, 0.3, -0.1, 0.2, 0.7, 0.2));
  const p2 = b.node1('PRelu', [c2, s2], 'p2');
  const w3 = b.initializer('w3', [8, 8, 1, 1], randn(r, 64, 0.4));
  const c3 = b.node1('Conv', [p2, w3], 'c3', { kernel_shape: ints([1, 1]) });
  const sum = b.node1('Add', [c3, c0], 'sum');
  const pool = b.node1('GlobalAveragePool', [sum], 'pool');
  const flat = b.node1('Flatten', [pool], 'flat', { axis: int(1) });
  const wg = b.initializer('wg', [4, 8], randn(r, 32, 0.5));
  const bg = b.initializer('bg', [4], randn(r, 4, 0.1));
  const y = b.node1('Gemm', [flat, wg, bg], 'y', { transB: int(1) });
  b.output(y, 'out', ElemType.FLOAT, ['n', 4]);
  return b.encode({ graphName: 'tiny', opset: 17 });
}

const opts = (lvl: 'disabled' | 'basic' | 'extended' | 'all', dump?: string): ort.InferenceSession.SessionOptions => ({
  graphOptimizationLevel: lvl, intraOpNumThreads: 1, logSeverityLevel: 3, ...(dump ? { optimizedModelFilePath: dump } : {}),
});

async function run(model: Uint8Array | ModelProto, input: Float32Array, n: number, lvl: 'disabled' | 'basic' | 'extended' | 'all' = 'extended'): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model instanceof Uint8Array ? model : encodeModel(model), opts(lvl));
  const out = await s.run({ x: new ort.Tensor('float32', input, [n, 3, 16, 16]) });
  await s.release();
  return out.out.data as Float32Array;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Op types of what ORT actually runs after optimising `model` at `lvl`. */
async function optimizedOps(model: Uint8Array, lvl: 'extended' | 'all'): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-qdq-'));
  try {
    const path = join(dir, 'opt.onnx');
    await (await ort.InferenceSession.create(model, opts(lvl, path))).release();
    const counts: Record<string, number> = {};
    for (const n of decodeModel(new Uint8Array(await readFile(path))).graph!.node!) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
    return counts;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('PRelu rewrite (Max form, sign folding, slope as Conv) and equalisation keep the float function', async () => {
  const fp32 = tinyNet();
  const input = randn(rng(1), 2 * 3 * 256);
  const ref = await run(fp32, input, 2, 'disabled');
  for (const slopeAsConv of [false, true]) {
    const p = await prepareModel('tiny', fp32, { slopeAsConv });
    assert.equal(p.prelu.rewritten, 2);
    assert.equal(p.prelu.signFolded, 2, 'both PRelus have a slope > 1 to fold');
    assert.ok(!p.model.graph!.node!.some((n) => n.opType === 'PRelu'));
    assert.ok(maxAbsDiff(ref, await run(p.model, input, 2, 'disabled')) < 1e-5);
    // Equalisation: measured on other data, applied, function unchanged.
    const groups = findEqualizePairs(p.model);
    assert.ok(groups.length >= 2, `found ${groups.length} groups`);
    const ch = await ChannelRanges.create(p.model, [...new Set(groups.flatMap((g) => g.measured))]);
    await ch.add({ x: new ort.Tensor('float32', randn(rng(2), 4 * 768), [4, 3, 16, 16]) });
    await ch.release();
    const rep = equalize(p.model, groups, (t) => ch.ranges.get(t)!);
    assert.ok(rep.spreadAfter < rep.spreadBefore, `channel spread ${rep.spreadBefore} -> ${rep.spreadAfter}`);
    assert.ok(maxAbsDiff(ref, await run(p.model, input, 2, 'disabled')) < 1e-4 * maxAbs(ref) + 1e-5);
  }
});

test('static int8 QDQ of a tiny net: ORT fuses it into integer kernels and the error stays small', async () => {
  const fp32 = tinyNet();
  const p = await prepareModel('tiny', fp32, { slopeAsConv: true });
  const plan = planQdq(p.model, { reduceRange: true });
  const cal = await ActivationCalibrator.create(p.model, plan.calibrate);
  const r = rng(3);
  for (let i = 0; i < 8; i++) await cal.add({ x: new ort.Tensor('float32', randn(r, 4 * 768), [4, 3, 16, 16]) });
  await cal.release();
  const { model, report } = applyQdq(cloneModel(p.model), plan, cal.ranges('minmax'), { reduceRange: true });
  assert.equal(report.quantizedWeights, 7, '4 Convs, 2 slope Convs and the Gemm');
  assert.ok(report.weightBytesAfter < report.weightBytesBefore / 2);
  const bytes = encodeModel(model);

  const ops = await optimizedOps(bytes, 'extended');
  assert.equal(ops.Conv ?? 0, 0, `no float Conv left: ${JSON.stringify(ops)}`);
  assert.equal(ops.QLinearConv, 6, JSON.stringify(ops));
  assert.equal(ops.QLinearAdd, 1, JSON.stringify(ops));
  assert.equal(ops.Max, 2, 'PRelu as a uint8 Max');
  assert.equal(ops.QuantizeLinear, 1, `only the input is quantised from float: ${JSON.stringify(ops)}`);

  // Held-out inputs: int8 output within a few quantisation steps of fp32.
  const input = randn(rng(4), 4 * 768);
  const ref = await run(fp32, input, 4, 'disabled');
  const q = await run(bytes, input, 4, 'extended');
  const err = maxAbsDiff(ref, q) / maxAbs(ref);
  assert.ok(err < 0.05, `relative max error ${err.toFixed(4)}`);
  assert.ok(err > 0, 'int8 must differ from fp32 at all (else nothing was quantised)');
  // ORT's fused kernels agree with plain QDQ arithmetic (no fusion: DQ -> float op -> Q).
  const fake = await run(bytes, input, 4, 'disabled');
  assert.ok(maxAbsDiff(fake, q) / maxAbs(ref) < 0.02, 'fused integer kernels match the QDQ arithmetic');
});

test('bias correction: calibration keeps channel means; only the biases of quantised Convs change', async () => {
  const p = await prepareModel('tiny', tinyNet(), { slopeAsConv: true });
  const plan = planQdq(p.model, { reduceRange: true });
  const cal = await ActivationCalibrator.create(p.model, plan.calibrate);
  // Inputs with a per-channel offset (+0.5, 0, -0.5), so the means are not zero.
  const feeds = [0, 1].map((k) => {
    const d = randn(rng(10 + k), 2 * 768);
    for (let i = 0; i < d.length; i++) d[i] += 0.5 - 0.5 * (Math.floor(i / 256) % 3);
    return d;
  });
  for (const d of feeds) await cal.add({ x: new ort.Tensor('float32', d, [2, 3, 16, 16]) });
  await cal.release();
  const want = [0, 1, 2].map((c) => {
    let s = 0;
    for (const d of feeds) for (let b = 0; b < 2; b++) for (let i = 0; i < 256; i++) s += d[(b * 3 + c) * 256 + i];
    return s / 1024;
  });
  const means = cal.channelMeans();
  assert.deepEqual(Array.from(means.get('x')!, (v) => Number(v.toFixed(5))), want.map((v) => Number(v.toFixed(5))));
  const ranges = cal.ranges('minmax');
  const opts = { reduceRange: true, biasCorrection: true };
  assert.throws(() => applyQdq(cloneModel(p.model), plan, ranges, opts), /channel means/);
  const plain = applyQdq(cloneModel(p.model), plan, ranges, { reduceRange: true });
  const corrected = applyQdq(cloneModel(p.model), plan, ranges, opts, { channelMeans: means });
  assert.equal(plain.report.biasCorrected, 0);
  assert.equal(corrected.report.biasCorrected, 2, 'c0 and c1 have biases (c2, c3 and the slope Convs have none; the Gemm is not a Conv)');
  const inits = (m: ModelProto) => new Map(m.graph!.initializer!.map((t) => [t.name!, Buffer.from(t.rawData ?? new Uint8Array()).toString('hex')]));
  const [a, b] = [inits(plain.model), inits(corrected.model)];
  const changed = [...a.keys()].filter((k) => a.get(k) !== b.get(k));
  assert.ok(changed.length === 2 && changed.every((k) => k.startsWith('b0') || k.startsWith('b1')) && changed.every((k) => k.endsWith('_quantized')), `changed: ${changed.join(' ')}`);
});

test('integerMax off: PRelu stays float between DQ and Q', async () => {
  const p = await prepareModel('tiny', tinyNet(), { slopeAsConv: false });
  const plan = planQdq(p.model, { integerMax: false });
  assert.equal(plan.intMax.length, 0);
  const ranges = new Map(plan.calibrate.map((t) => [t, [-4, 4] as [number, number]]));
  const ops = await optimizedOps(encodeModel(applyQdq(cloneModel(p.model), plan, ranges).model), 'extended');
  assert.equal(ops.Mul, 2);
  assert.ok((ops.DequantizeLinear ?? 0) >= 2 && (ops.QuantizeLinear ?? 0) >= 3, JSON.stringify(ops));
});

test('floatTail and exclude keep chosen layers in float', async () => {
  const p = await prepareModel('tiny', tinyNet(), { slopeAsConv: true });
  const tail = planQdq(p.model, { floatTail: 1 });
  assert.ok(!tail.weightNodes.some((k) => k.includes('Gemm')), 'the last Gemm stays float');
  const ex = planQdq(p.model, { exclude: ['/c2/'] });
  assert.ok(!ex.weightNodes.some((k) => k.endsWith(':c2')), `excluded by pattern: ${ex.weightNodes.join(' ')}`);
  assert.ok(ex.weightNodes.length < planQdq(p.model).weightNodes.length);
});

test('calibration ranges: min-max, percentile clips rare outliers, entropy clips a long tail', () => {
  const h = new RangeHistogram(2048);
  const r = rng(5);
  // 100k samples around 0 (|x| < 1) and 5 outliers at 50.
  const data = Float32Array.from({ length: 100_000 }, () => (r() + r() + r() - 1.5) / 1.5);
  h.add(data);
  h.add(Float32Array.of(50, 50, 50, 50, 50));
  assert.equal(h.max, 50);
  assert.deepEqual(h.range('minmax'), [h.min, 50]);
  const [plo, phi] = h.range('percentile', { percentile: 0.9999 });
  assert.ok(phi < 1.01 && phi > 0.8, `percentile hi ${phi}`);
  assert.ok(plo > -1.01 && plo < -0.8, `percentile lo ${plo}`);
  const [, ehi] = h.range('entropy');
  assert.ok(ehi < 5, `entropy threshold ${ehi} ignores the outliers`);
  // Quantile of the histogram matches the exact one within a bin.
  const sorted = Float64Array.from(data).sort();
  const exact = sorted[Math.floor(0.9 * sorted.length)];
  assert.ok(Math.abs(h.quantile(0.9 * (data.length / (data.length + 5))) - exact) < 2 * h.width);
  // Growing the range merges bins exactly: counts are kept.
  assert.equal(h.counts.reduce((a, b) => a + b, 0), 100_005);
});

test('opset upgrade 9 -> 13 moves Slice/Unsqueeze attributes to inputs with the same result', async () => {
  const b = new OnnxGraphBuilder();
  const x = b.input('x', ElemType.FLOAT, [2, 6]);
  const sl = b.node1('Slice', [x], 'sl', { starts: ints([1]), ends: ints([4]), axes: ints([1]) });
  const un = b.node1('Unsqueeze', [sl], 'un', { axes: ints([0]) });
  const sm = b.node1('Softmax', [un], 'sm', { axis: int(2) });
  b.output(sm, 'y', ElemType.FLOAT, [1, 2, 3]);
  const old = b.encode({ graphName: 'o9', opset: 9 });
  const input = Float32Array.from({ length: 12 }, (_, i) => i / 3);
  const run9 = async (bytes: Uint8Array) => {
    const s = await ort.InferenceSession.create(bytes, opts('disabled'));
    const o = (await s.run({ x: new ort.Tensor('float32', input, [2, 6]) })).y;
    await s.release();
    return o;
  };
  const a = await run9(old);
  const up = upgradeOpset(decodeModel(old), 13);
  const c = await run9(encodeModel(up));
  assert.deepEqual(c.dims, a.dims);
  assert.ok(maxAbsDiff(a.data as Float32Array, c.data as Float32Array) < 1e-7);
});

test('fp16 conversion: float32 I/O kept, weights half, output close to fp32', async () => {
  const fp32 = tinyNet();
  const { model, report } = convertToFp16(decodeModel(fp32));
  assert.equal(report.initializers, 10);
  assert.equal(report.casts, 2, 'one Cast in, one out');
  const g = model.graph!;
  assert.equal(g.input![0].type!.tensorType!.elemType, ElemType.FLOAT);
  assert.ok(g.initializer!.filter((t) => t.name !== 'x').every((t) => t.dataType !== ElemType.FLOAT));
  const input = randn(rng(6), 3 * 256);
  const ref = await run(fp32, input, 1, 'disabled');
  const half = await run(model, input, 1, 'basic'); // CPU runs fp16 via inserted casts: slow, exact enough to check
  const err = maxAbsDiff(ref, half) / maxAbs(ref);
  assert.ok(err < 5e-3 && err > 0, `fp16 relative error ${err}`);
});
