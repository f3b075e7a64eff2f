import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  correctBias, dequantizeLinear, dequantizePerChannel, float16BitsToFloat32, float32ToFloat16Bits, perChannelScales, quantizeBias,
  quantizeLinear, quantizePerChannel, roundHalfEven, uint8Params,
} from '../../../models/quantize/quant-math.ts';

test('roundHalfEven rounds ties to the even neighbour (as ONNX QuantizeLinear)', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map((v) => roundHalfEven(v) || 0), [0, 2, 2, 0, -2, -2, 2, 3, -3]);
});

test('uint8Params: range widened to hold 0, zero point exact for 0', () => {
  // [-1, 3]: scale 4/255, zero point round(1 / (4/255)) = round(63.75) = 64.
  const p = uint8Params(-1, 3);
  assert.equal(p.scale, 4 / 255);
  assert.equal(p.zeroPoint, 64);
  // All-positive range: lo widened to 0 -> zero point 0 (a ReLU output).
  assert.deepEqual(uint8Params(0.5, 2.55), { scale: 2.55 / 255, zeroPoint: 0 });
  // All-negative: zero point 255.
  assert.equal(uint8Params(-5.1, -1).zeroPoint, 255);
  // Degenerate range keeps 0 representable.
  assert.deepEqual(uint8Params(0, 0), { scale: 1, zeroPoint: 0 });
  assert.throws(() => uint8Params(2, 1), /invalid activation range/);
  assert.throws(() => uint8Params(NaN, 1), /invalid activation range/);
});

test('quantizeLinear/dequantizeLinear: rounding, zero point and saturation at both ends', () => {
  const p = { scale: 0.5, zeroPoint: 10 };
  const q = quantizeLinear(Float32Array.of(0, 0.25, 0.75, 1, -5, -6, 200, 122.5), p);
  // 0.25/0.5 = 0.5 -> 0 (even); 0.75/0.5 = 1.5 -> 2; -6/0.5 + 10 = -2 -> 0; 200/0.5 + 10 saturates at 255.
  assert.deepEqual(Array.from(q), [10, 10, 12, 12, 0, 0, 255, 255]);
  assert.deepEqual(Array.from(dequantizeLinear(q, p)), [0, 0, 1, 1, -5, -5, 122.5, 122.5]);
  // Signed range: int8 saturates at -128 / 127.
  assert.deepEqual(Array.from(quantizeLinear(Float32Array.of(-1000, 1000), { scale: 1, zeroPoint: 0 }, { min: -128, max: 127 })), [-128, 127]);
});

test('per-channel symmetric int8 weights: one scale per output channel, zero point 0', () => {
  // Shape [2, 3]: channel 0 max |w| 2.54 -> scale 0.02, channel 1 all zero -> scale 1.
  const w = Float32Array.of(2.54, -1.27, 0.004, 0, 0, 0);
  const s = perChannelScales(w, [2, 3], 0);
  assert.ok(Math.abs(s[0] - 0.02) < 1e-9);
  assert.equal(s[1], 1);
  const q = quantizePerChannel(w, [2, 3], 0, s);
  assert.deepEqual(Array.from(q), [127, -64, 0, 0, 0, 0]); // -1.27/0.02 = -63.5 -> -64 (even)
  const back = dequantizePerChannel(q, [2, 3], 0, s);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(back[i] - w[i]) <= s[0] / 2 + 1e-7);
  // Reduced range (7 bit): max maps to 63.
  const s7 = perChannelScales(w, [2, 3], 0, 63);
  assert.equal(quantizePerChannel(w, [2, 3], 0, s7)[0], 63);
});

test('per-channel along an inner axis (Gemm B without transB, MatMul B: axis 1)', () => {
  // [K=2, N=3]: column maxima 4, 0.5, 1.27.
  const w = Float32Array.of(4, -0.5, 1.27, -2.1, 0.3, 0);
  const s = perChannelScales(w, [2, 3], 1);
  assert.deepEqual(Array.from(s).map((v) => +v.toFixed(6)), [4 / 127, 0.5 / 127, 1.27 / 127].map((v) => +v.toFixed(6)));
  assert.deepEqual(Array.from(quantizePerChannel(w, [2, 3], 1, s)), [127, -127, 127, -67, 76, 0]);
  assert.throws(() => quantizePerChannel(w, [2, 3], 1, Float32Array.of(1, 1)), /need 3 scales/);
  assert.throws(() => perChannelScales(w, [4, 3], 0), /has 12 elements/);
});

test('quantizeBias: int32 on scale inputScale * weightScale, saturating', () => {
  const { q, scales } = quantizeBias(Float32Array.of(0.3, -0.05, 1e30), 0.1, Float32Array.of(0.5, 0.01, 1));
  assert.deepEqual(Array.from(scales).map((v) => +v.toFixed(6)), [0.05, 0.001, 0.1]);
  assert.deepEqual(Array.from(q), [6, -50, 2147483647]);
});

test('float16: exact values, round to nearest even, subnormals, saturation instead of inf', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [1e6, 0x7bff], // saturates (a weight must not become inf)
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // below half of it -> 0
    [1 + 2 ** -11, 0x3c00], // tie -> even (mantissa 0)
    [1 + 3 * 2 ** -11, 0x3c02], // tie -> even (mantissa 2)
  ];
  for (const [x, bits] of cases) assert.equal(float32ToFloat16Bits(x), bits, `f16(${x})`);
  assert.equal(float32ToFloat16Bits(Infinity), 0x7c00);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  for (const x of [0.1, -3.14159, 1234.5, 6.1e-5]) {
    const back = float16BitsToFloat32(float32ToFloat16Bits(x));
    assert.ok(Math.abs(back - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${x} -> ${back}`);
  }
});

test('correctBias: subtracts the mean output shift of the rounded weights (dense and depthwise)', () => {
  // Dense [2 out, 2 in, 1, 2]. Channel 0: rounding adds (0.025 + 0.05) on input 0 and (-0.05 - 0.025) on
  // input 1, so with E[x] = [2, 4] its output shifts by 0.075*2 - 0.075*4 = -0.15: bias 1 -> 1.15.
  // Channel 1: only input 1 changes (+0.025), shift 0.025*4 = 0.1: bias -0.5 -> -0.6.
  const w = Float32Array.of(0.1, 0.2, 0.3, 0.4, -0.5, 0, 0.25, 0.1);
  const wq = Float32Array.of(0.125, 0.25, 0.25, 0.375, -0.5, 0, 0.25, 0.125);
  const b = correctBias(Float32Array.of(1, -0.5), w, wq, [2, 2, 1, 2], 1, Float32Array.of(2, 4));
  assert.ok(Math.abs(b[0] - 1.15) < 1e-6 && Math.abs(b[1] + 0.6) < 1e-6, `got ${Array.from(b)}`);
  // Depthwise [2, 1, 1, 2], group 2: channel c reads only input c. Shifts 0.5*10 = 5 and -1*(-1) = 1.
  const d = correctBias(Float32Array.of(0, 0), Float32Array.of(1, 2, 3, 4), Float32Array.of(1.5, 2, 3, 3), [2, 1, 1, 2], 2, Float32Array.of(10, -1));
  assert.deepEqual(Array.from(d), [-5, -1]);
  // Exact weights: bias unchanged.
  assert.deepEqual(Array.from(correctBias(Float32Array.of(0.5), Float32Array.of(1, 2), Float32Array.of(1, 2), [1, 2, 1, 1], 1, Float32Array.of(3, 7))), [0.5]);
  assert.throws(() => correctBias(Float32Array.of(0, 0), w, wq, [2, 2, 1, 2], 1, Float32Array.of(1)), /input means/);
  assert.throws(() => correctBias(Float32Array.of(0), w, wq, [2, 2, 1, 2], 1, Float32Array.of(1, 2)), /bias has 1 values/);
});
