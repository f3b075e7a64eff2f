// Per-operator tests of the TFLite -> ONNX converter: tiny TFLite graphs built with the
// flatbuffers Builder, converted, run in onnxruntime-node and compared with answers worked
// out by hand (the arithmetic is in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertTflite } from '../../../models/convert/tflite-to-onnx.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { Act, Op, opts, Pad, TinyGraph, TType } from '../../helpers/tflite-builder.ts';
import { assertClose, onnxOpTypes, runOnnx } from '../../helpers/onnx-run.ts';

const iota = (n: number, from = 1) => Float32Array.from({ length: n }, (_, i) => i + from);

async function convertRun(g: TinyGraph, input: Float32Array, dims: number[], dynamicInput?: ('batch' | 'height' | 'width')[]) {
  const bytes = convertTflite(g.build(), { name: 'tiny', dynamicInput });
  return { out: await runOnnx(bytes, input, dims), ops: onnxOpTypes(bytes) };
}

/** 1x1 identity conv: moves a value into the converter's NCHW domain without changing it. */
function identityConv(g: TinyGraph, x: number, shape: number[]): number {
  const c = shape[3];
  const w = new Float32Array(c * c);
  for (let i = 0; i < c; i++) w[i * c + i] = 1;
  return g.op(Op.CONV_2D, [x, g.f32('id_w', [c, 1, 1, c], w), -1], shape, opts.conv({ padding: Pad.VALID }));
}

test('CONV_2D VALID: 2x2 filter over 3x3, bias, fused RELU', async () => {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]]:
  // y00 = 1+4+12+20 = 37, y01 = 2+6+15+24 = 47, y10 = 4+10+21+32 = 67, y11 = 5+12+24+36 = 77.
  const g = new TinyGraph();
  const x = g.input('x', [1, 3, 3, 1]);
  const y = g.op(Op.CONV_2D, [x, g.f32('w', [1, 2, 2, 1], [1, 2, 3, 4]), g.f32('b', [1], [0.5])], [1, 2, 2, 1], opts.conv({ padding: Pad.VALID }));
  const z = g.op(Op.CONV_2D, [x, g.f32('w2', [1, 2, 2, 1], [1, 2, 3, 4]), g.f32('b2', [1], [-50])], [1, 2, 2, 1], opts.conv({ padding: Pad.VALID, act: Act.RELU }));
  g.output(y, z);
  const { out } = await convertRun(g, iota(9), [1, 3, 3, 1]);
  const [ky, kz] = Object.keys(out);
  assert.deepEqual(out[ky].dims, [1, 2, 2, 1]);
  assertClose(out[ky].data, [37.5, 47.5, 67.5, 77.5]);
  assertClose(out[kz].data, [0, 0, 17, 27]);
});

test('CONV_2D SAME stride 2 pads like TFLite: the odd pixel at the end (bottom/right)', async () => {
  // x[r][c] = 4r+c+1 on 4x4, 3x3 ones kernel, stride 2: out 2x2, total pad 1 -> 0 before, 1 after.
  // y00 = rows0-2 x cols0-2 = 6+18+30 = 54; y01 = cols2-3: 7+15+23 = 45;
  // y10 = rows2-3 x cols0-2 = 30+42 = 72; y11 = 11+12+15+16 = 54. (Symmetric/lower padding differs.)
  const g = new TinyGraph();
  const x = g.input('x', [1, 4, 4, 1]);
  g.output(g.op(Op.CONV_2D, [x, g.f32('w', [1, 3, 3, 1], new Float32Array(9).fill(1)), -1], [1, 2, 2, 1], opts.conv({ padding: Pad.SAME, stride: [2, 2] })));
  const { out } = await convertRun(g, iota(16), [1, 4, 4, 1]);
  assertClose(Object.values(out)[0].data, [54, 45, 72, 54]);
});

test('CONV_2D SAME stride 2 with dynamic height/width equals the fixed-size conversion', async () => {
  const build = (h: number, w: number) => {
    const g = new TinyGraph();
    const x = g.input('x', [1, h, w, 1]);
    const oh = Math.ceil(h / 2);
    const ow = Math.ceil(w / 2);
    return g.output(g.op(Op.CONV_2D, [x, g.f32('w', [1, 3, 3, 1], iota(9)), -1], [1, oh, ow, 1], opts.conv({ padding: Pad.SAME, stride: [2, 2] })));
  };
  const dyn = convertTflite(build(4, 4).build(), { name: 'dyn', dynamicInput: ['height', 'width'] });
  for (const [h, w] of [[4, 4], [5, 7], [6, 3]]) {
    const fixed = convertTflite(build(h, w).build(), { name: 'fixed' });
    const x = iota(h * w);
    const a = Object.values(await runOnnx(dyn, x, [1, h, w, 1]))[0];
    const b = Object.values(await runOnnx(fixed, x, [1, h, w, 1]))[0];
    assert.deepEqual(a.dims, [1, Math.ceil(h / 2), Math.ceil(w / 2), 1]);
    assertClose(a.data, b.data, 1e-4, `${h}x${w}`);
  }
});

test('CONV_2D channel order: OHWI filter, NHWC in and out', async () => {
  // Pixel 0 channels (1,2), pixel 1 channels (3,4); w rows (out channels): [1,10], [100,1000], [-1,1].
  // y0 = [1+20, 100+2000, -1+2] = [21, 2100, 1]; y1 = [3+40, 300+4000, -3+4] = [43, 4300, 1].
  const g = new TinyGraph();
  const x = g.input('x', [1, 1, 2, 2]);
  g.output(g.op(Op.CONV_2D, [x, g.f32('w', [3, 1, 1, 2], [1, 10, 100, 1000, -1, 1]), -1], [1, 1, 2, 3], opts.conv({ padding: Pad.VALID })));
  const { out, ops } = await convertRun(g, iota(4), [1, 1, 2, 2]);
  assertClose(Object.values(out)[0].data, [21, 2100, 1, 43, 4300, 1]);
  // One Transpose into NCHW and one back to NHWC: nothing else.
  assert.deepEqual(ops.filter((o) => o === 'Transpose').length, 2);
});

test('DEPTHWISE_CONV_2D: depth multiplier 2 maps output c*2+m to input c', async () => {
  // px0 = (1,2), px1 = (3,4); w = [10,20,30,40], bias [1,2,3,4]:
  // px0 -> [1*10+1, 1*20+2, 2*30+3, 2*40+4] = [11,22,63,84]; px1 -> [31,62,123,164].
  const g = new TinyGraph();
  const x = g.input('x', [1, 1, 2, 2]);
  g.output(g.op(Op.DEPTHWISE_CONV_2D, [x, g.f32('w', [1, 1, 1, 4], [10, 20, 30, 40]), g.f32('b', [4], [1, 2, 3, 4])], [1, 1, 2, 4], opts.depthwise({ padding: Pad.VALID, multiplier: 2 })));
  const { out } = await convertRun(g, iota(4), [1, 1, 2, 2]);
  assertClose(Object.values(out)[0].data, [11, 22, 63, 84, 31, 62, 123, 164]);
});

test('DEPTHWISE_CONV_2D: 2x2 kernel per channel', async () => {
  // Channel 0 = [1,3,5,7] (x odd), channel 1 = [2,4,6,8]; kernels c0 = [1,2,3,4], c1 = [1,1,1,1]
  // (filter [1,2,2,2] interleaves them: [1,1, 2,1, 3,1, 4,1]). y = [1+6+15+28, 2+4+6+8] = [50, 20].
  const g = new TinyGraph();
  const x = g.input('x', [1, 2, 2, 2]);
  g.output(g.op(Op.DEPTHWISE_CONV_2D, [x, g.f32('w', [1, 2, 2, 2], [1, 1, 2, 1, 3, 1, 4, 1]), -1], [1, 1, 1, 2], opts.depthwise({ padding: Pad.VALID, multiplier: 1 })));
  const { out } = await convertRun(g, iota(8), [1, 2, 2, 2]);
  assertClose(Object.values(out)[0].data, [50, 20]);
});

test('FULLY_CONNECTED after a conv flattens in NHWC order (weights permuted, no Transpose)', async () => {
  // x (NHWC) = 1..8 -> identity conv -> FC: y0 = sum k*k = 204 (+0.5), y1 = 1-2+3-4+5-6+7-8 = -4.
  // NCHW flattening without permuted weights would give y0 = 190.
  const g = new TinyGraph();
  const x = g.input('x', [1, 2, 2, 2]);
  const t = identityConv(g, x, [1, 2, 2, 2]);
  const fcw = g.f32('fcw', [2, 8], [1, 2, 3, 4, 5, 6, 7, 8, 1, -1, 1, -1, 1, -1, 1, -1]);
  g.output(g.op(Op.FULLY_CONNECTED, [t, fcw, g.f32('fcb', [2], [0.5, 0])], [1, 2], opts.fc()));
  const { out, ops } = await convertRun(g, iota(8), [1, 2, 2, 2]);
  assertClose(Object.values(out)[0].data, [204.5, -4]);
  assert.equal(ops.filter((o) => o === 'Transpose').length, 1, `only the input Transpose: ${ops.join(',')}`);
});

test('FULLY_CONNECTED on a 2-D input with fused RELU and no bias', async () => {
  // x = [1,2,3]; w = [[1,1,1],[-1,0,0]]: [6, -1] -> relu -> [6, 0].
  const g = new TinyGraph();
  const x = g.input('x', [1, 3]);
  g.output(g.op(Op.FULLY_CONNECTED, [x, g.f32('w', [2, 3], [1, 1, 1, -1, 0, 0]), -1], [1, 2], opts.fc(Act.RELU)));
  const { out } = await convertRun(g, iota(3), [1, 3]);
  assertClose(Object.values(out)[0].data, [6, 0]);
});

test('MAX_POOL_2D and AVERAGE_POOL_2D SAME (pad at end; average over valid pixels), VALID', async () => {
  // x[r][c] = 4r+c+1, 3x3 stride 2 SAME: max [11,12,15,16]; avg [54/9, 45/6, 72/6, 54/4].
  // 2x2 stride 2 VALID max: [6,8,14,16].
  const g = new TinyGraph();
  const x = g.input('x', [1, 4, 4, 1]);
  const mx = g.op(Op.MAX_POOL_2D, [x], [1, 2, 2, 1], opts.pool({ padding: Pad.SAME, stride: [2, 2], filter: [3, 3] }));
  const av = g.op(Op.AVERAGE_POOL_2D, [x], [1, 2, 2, 1], opts.pool({ padding: Pad.SAME, stride: [2, 2], filter: [3, 3] }));
  const mv = g.op(Op.MAX_POOL_2D, [x], [1, 2, 2, 1], opts.pool({ padding: Pad.VALID, stride: [2, 2], filter: [2, 2] }));
  g.output(mx, av, mv);
  const { out } = await convertRun(g, iota(16), [1, 4, 4, 1]);
  const [a, b, c] = Object.values(out);
  assertClose(a.data, [11, 12, 15, 16]);
  assertClose(b.data, [6, 7.5, 12, 13.5]);
  assertClose(c.data, [6, 8, 14, 16]);
});

test('ADD/SUB/MUL/DIV with per-channel constants in the NCHW domain, fused RELU', async () => {
  // x = px0 (1,2), px1 (3,4). t - [1,5] = [0,-3,2,-1]; * [2,3] = [0,-9,4,-3];
  // + t, relu = [1,0,7,1]; / 2 = [0.5,0,3.5,0.5].
  const g = new TinyGraph();
  const x = g.input('x', [1, 1, 2, 2]);
  const t = identityConv(g, x, [1, 1, 2, 2]);
  const s = g.op(Op.SUB, [t, g.f32('c1', [2], [1, 5])], [1, 1, 2, 2], opts.sub());
  const m = g.op(Op.MUL, [g.f32('c2', [1, 1, 1, 2], [2, 3]), s], [1, 1, 2, 2], opts.mul());
  const a = g.op(Op.ADD, [m, t], [1, 1, 2, 2], opts.add(Act.RELU));
  g.output(g.op(Op.DIV, [a, g.f32('c3', [], [2])], [1, 1, 2, 2], opts.div()));
  const { out } = await convertRun(g, iota(4), [1, 1, 2, 2]);
  assertClose(Object.values(out)[0].data, [0.5, 0, 3.5, 0.5]);
});

test('ADD with fused RELU6 on plain tensors', async () => {
  // [1,2,3,4] + [5,-5,1,2] = [6,-3,4,6] -> clip [6,0,4,6]; + 1 = [7,1,5,7] -> clip [6,1,5,6].
  const g = new TinyGraph();
  const x = g.input('x', [1, 4]);
  const a = g.op(Op.ADD, [x, g.f32('c', [4], [5, -5, 1, 2])], [1, 4], opts.add(Act.RELU6));
  g.output(a, g.op(Op.ADD, [a, g.f32('one', [1], [1])], [1, 4], opts.add(Act.RELU6)));
  const { out } = await convertRun(g, iota(4), [1, 4]);
  const [p, q] = Object.values(out);
  assertClose(p.data, [6, 0, 4, 6]);
  assertClose(q.data, [6, 1, 5, 6]);
});

test('NEG, ABS, RELU, RELU6, LEAKY_RELU, EXP', async () => {
  const g = new TinyGraph();
  const x = g.input('x', [1, 5]);
  g.output(
    g.op(Op.NEG, [x], [1, 5]), g.op(Op.ABS, [x], [1, 5]), g.op(Op.RELU, [x], [1, 5]),
    g.op(Op.RELU6, [x], [1, 5]), g.op(Op.LEAKY_RELU, [x], [1, 5], opts.leakyRelu(0.2)), g.op(Op.EXP, [x], [1, 5]),
  );
  const xs = Float32Array.of(-2, -0.5, 0, 3, 8);
  const { out } = await convertRun(g, xs, [1, 5]);
  const [neg, abs, relu, relu6, leaky, exp] = Object.values(out);
  assertClose(neg.data, [2, 0.5, 0, -3, -8]);
  assertClose(abs.data, [2, 0.5, 0, 3, 8]);
  assertClose(relu.data, [0, 0, 0, 3, 8]);
  assertClose(relu6.data, [0, 0, 0, 3, 6]);
  assertClose(leaky.data, [-0.4, -0.1, 0, 3, 8], 1e-6);
  assertClose(exp.data, [Math.exp(-2), Math.exp(-0.5), 1, Math.exp(3), Math.exp(8)], 1e-2);
});

test('RESHAPE keeps NHWC element order and a hard-coded batch becomes dynamic', async () => {
  // [2,1,1,3] -> identity conv -> reshape [2,3]; run with batch 3: values pass through.
  const g = new TinyGraph();
  const x = g.input('x', [2, 1, 1, 3]);
  const t = identityConv(g, x, [2, 1, 1, 3]);
  g.output(g.op(Op.RESHAPE, [t, g.i32('shape', [2], [2, 3])], [2, 3], opts.reshape([2, 3])));
  const { out } = await convertRun(g, iota(9), [3, 1, 1, 3], ['batch']);
  assert.deepEqual(Object.values(out)[0].dims, [3, 3]);
  assertClose(Object.values(out)[0].data, iota(9));

  // Spatial tensor: flattening must follow NHWC order (h, w, c), i.e. the input order.
  const g2 = new TinyGraph();
  const x2 = g2.input('x', [1, 2, 2, 2]);
  g2.output(g2.op(Op.RESHAPE, [identityConv(g2, x2, [1, 2, 2, 2]), g2.i32('shape', [2], [1, 8])], [1, 8], opts.reshape([1, 8])));
  const r2 = await convertRun(g2, iota(8), [1, 2, 2, 2]);
  assertClose(Object.values(r2.out)[0].data, iota(8));
});

test('REDUCE_MAX (keep dims, NCHW domain) and SUM (drop dims)', async () => {
  // x NHWC = 1..8 on [1,2,2,2]: max over H -> [[max(1,5),max(2,6)],[max(3,7),max(4,8)]] = [5,6,7,8];
  // sum over C -> [1+2, 3+4, 5+6, 7+8] = [3,7,11,15] with shape [1,2,2].
  const g = new TinyGraph();
  const x = g.input('x', [1, 2, 2, 2]);
  const t = identityConv(g, x, [1, 2, 2, 2]);
  const mx = g.op(Op.REDUCE_MAX, [t, g.i32('ax1', [1], [1])], [1, 1, 2, 2], opts.reducer(true));
  const sm = g.op(Op.SUM, [t, g.i32('ax3', [], [3])], [1, 2, 2], opts.reducer(false));
  g.output(mx, sm);
  const { out } = await convertRun(g, iota(8), [1, 2, 2, 2]);
  const [a, b] = Object.values(out);
  assert.deepEqual(a.dims, [1, 1, 2, 2]);
  assertClose(a.data, [5, 6, 7, 8]);
  assert.deepEqual(b.dims, [1, 2, 2]);
  assertClose(b.data, [3, 7, 11, 15]);
});

test('CONCATENATION along channels of NCHW values and along the last axis of 2-D', async () => {
  // x = [1,2] over W; conv A (w 10) -> [10,20]; conv B (w [1,-1]) -> [[1,-1],[2,-2]];
  // concat axis 3 -> [10,1,-1, 20,2,-2].
  const g = new TinyGraph();
  const x = g.input('x', [1, 1, 2, 1]);
  const a = g.op(Op.CONV_2D, [x, g.f32('wa', [1, 1, 1, 1], [10]), -1], [1, 1, 2, 1], opts.conv({ padding: Pad.VALID }));
  const b = g.op(Op.CONV_2D, [x, g.f32('wb', [2, 1, 1, 1], [1, -1]), -1], [1, 1, 2, 2], opts.conv({ padding: Pad.VALID }));
  const c = g.op(Op.CONCATENATION, [a, b], [1, 1, 2, 3], opts.concat(3));
  const r1 = g.op(Op.RESHAPE, [x, g.i32('s', [2], [1, 2])], [1, 2], opts.reshape([1, 2]));
  const d = g.op(Op.CONCATENATION, [r1, r1], [1, 4], opts.concat(-1));
  g.output(c, d);
  const { out } = await convertRun(g, Float32Array.of(1, 2), [1, 1, 2, 1]);
  const [p, q] = Object.values(out);
  assertClose(p.data, [10, 1, -1, 20, 2, -2]);
  assertClose(q.data, [1, 2, 1, 2]);
});

test('STRIDED_SLICE: begin/end/stride, shrink axis, and identity slices vanish', async () => {
  // x = [0..5] as [1,6]: [:, 1:5:2] -> [1,3]; shrink axis 0 -> shape [2]; masks-only -> x itself.
  const g = new TinyGraph();
  const x = g.input('x', [1, 6]);
  const b = g.i32('b', [2], [0, 1]);
  const e = g.i32('e', [2], [1, 5]);
  const s = g.i32('s', [2], [1, 2]);
  const sliced = g.op(Op.STRIDED_SLICE, [x, b, e, s], [1, 2], opts.stridedSlice({}));
  const shrunk = g.op(Op.STRIDED_SLICE, [x, b, e, s], [2], opts.stridedSlice({ shrink: 1 }));
  const ident = g.op(Op.STRIDED_SLICE, [x, g.i32('b0', [2], [0, 0]), g.i32('e0', [2], [0, 0]), g.i32('s1', [2], [1, 1])], [1, 6], opts.stridedSlice({ begin: 3, end: 3 }));
  const doubled = g.op(Op.ADD, [ident, ident], [1, 6], opts.add());
  g.output(sliced, shrunk, doubled);
  const { out, ops } = await convertRun(g, iota(6, 0), [1, 6]);
  const [p, q, r] = Object.values(out);
  assert.deepEqual(p.dims, [1, 2]);
  assertClose(p.data, [1, 3]);
  assert.deepEqual(q.dims, [2]);
  assertClose(q.data, [1, 3]);
  assertClose(r.data, [0, 2, 4, 6, 8, 10]);
  assert.equal(ops.filter((o) => o === 'Slice').length, 2, 'the identity slice emits no node');
});

test('GREATER_EQUAL, LESS, CAST bool->float, MUL of the masks', async () => {
  // x = [0.2,0.5,0.7,1]: x>=0.5 -> [0,1,1,1]; x<0.7 -> [1,1,0,0]; product [0,1,0,0].
  const g = new TinyGraph();
  const x = g.input('x', [1, 4]);
  const ge = g.op(Op.GREATER_EQUAL, [x, g.f32('half', [], [0.5])], [1, 4], undefined, TType.BOOL);
  const lt = g.op(Op.LESS, [x, g.f32('c07', [], [0.7])], [1, 4], undefined, TType.BOOL);
  const gef = g.op(Op.CAST, [ge], [1, 4], opts.cast(TType.BOOL, TType.FLOAT32));
  const ltf = g.op(Op.CAST, [lt], [1, 4], opts.cast(TType.BOOL, TType.FLOAT32));
  g.output(gef, ltf, g.op(Op.MUL, [gef, ltf], [1, 4], opts.mul()));
  const { out } = await convertRun(g, Float32Array.of(0.2, 0.5, 0.7, 1), [1, 4]);
  const [a, b, c] = Object.values(out);
  assertClose(a.data, [0, 1, 1, 1]);
  assertClose(b.data, [1, 1, 0, 0]);
  assertClose(c.data, [0, 1, 0, 0]);
});

test('DEQUANTIZE of fp16 weights gives exact fp32 initialisers', async () => {
  // fp16(0.1) = 0.0999755859375 exactly; 3 * that = 0.2999267578125 (exact in fp32).
  const g = new TinyGraph();
  const x = g.input('x', [1, 1, 1, 1]);
  const w16 = g.f16('w16', [1, 1, 1, 1], [0.1]);
  const w = g.op(Op.DEQUANTIZE, [w16], [1, 1, 1, 1]);
  const b16 = g.f16('b16', [1], [-0.5]);
  const b = g.op(Op.DEQUANTIZE, [b16], [1]);
  g.output(g.op(Op.CONV_2D, [x, w, b], [1, 1, 1, 1], opts.conv({ padding: Pad.VALID })));
  const { out, ops } = await convertRun(g, Float32Array.of(3), [1, 1, 1, 1]);
  assert.equal(Object.values(out)[0].data[0], Math.fround(3 * 0.0999755859375 - 0.5));
  assert.ok(!ops.includes('Cast') && !ops.includes('DequantizeLinear'), 'weights folded, no run-time dequantisation');
});

function preluGraph(form: 'mtcnn' | 'slim', exposeRelu = false): TinyGraph {
  const g = new TinyGraph();
  const x = g.input('x', [1, 1, 2, 2]);
  const t = identityConv(g, x, [1, 1, 2, 2]);
  const s = [1, 1, 2, 2];
  const r = g.op(Op.RELU, [t], s);
  let m: number;
  if (form === 'mtcnn') {
    // relu(x) + alpha * neg(relu(neg(x))), alpha = [0.1, 0.2]
    const n1 = g.op(Op.NEG, [g.op(Op.RELU, [g.op(Op.NEG, [t], s)], s)], s);
    m = g.op(Op.MUL, [g.f32('alpha', [2], [0.1, 0.2]), n1], s, opts.mul());
  } else {
    // relu(x) + c * (x - abs(x)), c = alpha / 2 = [0.05, 0.1]
    const d = g.op(Op.SUB, [t, g.op(Op.ABS, [t], s)], s, opts.sub());
    m = g.op(Op.MUL, [g.f32('c', [2], [0.05, 0.1]), d], s, opts.mul());
  }
  g.output(g.op(Op.ADD, [r, m], s, opts.add()));
  if (exposeRelu) g.output(r);
  return g;
}

test('decomposed PReLU (both forms seen in the real files) becomes one ONNX PRelu', async () => {
  // x = px0 (-2, 3), px1 (4, -5); slopes (0.1, 0.2): y = [-0.2, 3, 4, -1].
  for (const form of ['mtcnn', 'slim'] as const) {
    const { out, ops } = await convertRun(preluGraph(form), Float32Array.of(-2, 3, 4, -5), [1, 1, 2, 2]);
    assertClose(Object.values(out)[0].data, [-0.2, 3, 4, -1], 1e-6, form);
    assert.equal(ops.filter((o) => o === 'PRelu').length, 1, `${form}: ${ops.join(',')}`);
    assert.ok(!ops.some((o) => ['Neg', 'Abs', 'Relu', 'Mul', 'Add', 'Sub'].includes(o)), `${form}: pattern ops left: ${ops.join(',')}`);
  }
});

test('a PReLU pattern whose intermediate is also an output is left unfused (same numbers)', async () => {
  const { out, ops } = await convertRun(preluGraph('mtcnn', true), Float32Array.of(-2, 3, 4, -5), [1, 1, 2, 2]);
  const [y, r] = Object.values(out);
  assertClose(y.data, [-0.2, 3, 4, -1], 1e-6);
  assertClose(r.data, [0, 3, 4, 0]);
  assert.ok(!ops.includes('PRelu'));
});

function softmaxGraph(shape: number[], axis: number, viaConv: boolean): TinyGraph {
  const g = new TinyGraph();
  const x0 = g.input('x', shape);
  const x = viaConv ? identityConv(g, x0, shape) : x0;
  const red = [...shape.slice(0, -1), 1];
  const mx = g.op(Op.REDUCE_MAX, [x, g.i32('ax', [], [axis])], red, opts.reducer(true));
  const e = g.op(Op.EXP, [g.op(Op.SUB, [x, mx], shape, opts.sub())], shape);
  const z = g.op(Op.SUM, [e, g.i32('ax2', [], [axis])], red, opts.reducer(true));
  return g.output(g.op(Op.DIV, [e, z], shape, opts.div()));
}

test('decomposed softmax becomes ONNX Softmax (2-D and over NHWC channels)', async () => {
  // [0, ln 3] -> [1/4, 3/4]; pixel 2 of the 4-D case [ln 4, 0] -> [0.8, 0.2].
  const a = await convertRun(softmaxGraph([1, 2], 1, false), Float32Array.of(0, Math.log(3)), [1, 2]);
  assertClose(Object.values(a.out)[0].data, [0.25, 0.75], 1e-6);
  assert.deepEqual(a.ops, ['Softmax']);
  const b = await convertRun(softmaxGraph([1, 1, 2, 2], 3, true), Float32Array.of(0, Math.log(3), Math.log(4), 0), [1, 1, 2, 2]);
  assertClose(Object.values(b.out)[0].data, [0.25, 0.75, 0.8, 0.2], 1e-6);
  assert.equal(b.ops.filter((o) => o === 'Softmax').length, 1);
});

test('unknown operator -> FG_MODEL_CONVERT naming the operator and the model', () => {
  const g = new TinyGraph();
  const x = g.input('x', [1, 4]);
  g.output(g.op(Op.TANH, [x], [1, 4]));
  assert.throws(() => convertTflite(g.build(), { name: 'my-model' }), (e: unknown) =>
    e instanceof FaceGateError && e.code === 'FG_MODEL_CONVERT' && /TANH/.test(e.message) && /my-model/.test(e.message));
});

test('not a TFLite file, or a truncated one -> FG_MODEL_CONVERT', () => {
  const isConvertError = (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_CONVERT' && e.message.includes('bad');
  assert.throws(() => convertTflite(new TextEncoder().encode('{"not":"a model"}'), { name: 'bad' }), isConvertError);
  const bytes = preluGraph('mtcnn').build();
  assert.throws(() => convertTflite(bytes.subarray(0, bytes.length >> 1), { name: 'bad' }), isConvertError);
});

test('layout "per-op" (Transposes around every NCHW op, for benchmarks) computes the same', async () => {
  const g = new TinyGraph();
  const x = g.input('x', [1, 2, 2, 2]);
  const t = g.op(Op.CONV_2D, [x, g.f32('w', [2, 1, 1, 2], [1, 2, 3, 4]), -1], [1, 2, 2, 2], opts.conv({ padding: Pad.VALID }));
  const p = g.op(Op.MAX_POOL_2D, [t], [1, 1, 1, 2], opts.pool({ padding: Pad.VALID, stride: [2, 2], filter: [2, 2] }));
  g.output(g.op(Op.FULLY_CONNECTED, [t, g.f32('fcw', [1, 8], iota(8)), -1], [1, 1], opts.fc()), p);
  const bytes = g.build();
  const a = convertTflite(bytes, { name: 'nchw' });
  const b = convertTflite(bytes, { name: 'per-op', layout: 'per-op' });
  const ra = Object.values(await runOnnx(a, iota(8), [1, 2, 2, 2]));
  const rb = Object.values(await runOnnx(b, iota(8), [1, 2, 2, 2]));
  ra.forEach((o, k) => assertClose(rb[k].data, o.data, 1e-4));
  const count = (m: Uint8Array) => onnxOpTypes(m).filter((o) => o === 'Transpose').length;
  assert.ok(count(b) > count(a), `per-op ${count(b)} vs nchw ${count(a)} Transposes`);
});
