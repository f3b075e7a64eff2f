import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHalfBits, fromHalfBits, encodeHalf, decodeHalf } from '../../../sdk/runtime/float16.ts';

test('float16: known bit patterns (IEEE 754 binary16)', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [2 ** -14, 0x0400], [2 ** -24, 0x0001], [0.1, 0x2e66], [1 / 3, 0x3555], [Infinity, 0x7c00], [-Infinity, 0xfc00],
  ];
  for (const [v, bits] of cases) assert.equal(toHalfBits(v), bits, `${v}`);
  const decoded: [number, number][] = [
    [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x0400, 2 ** -14],
    [0x2e66, 0.0999755859375], [0x3555, 0.333251953125], [0x7c00, Infinity], [0x8000, -0],
  ];
  for (const [bits, v] of decoded) assert.equal(fromHalfBits(bits), v, `bits ${bits.toString(16)}`);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
});

test('float16: rounding to nearest even, overflow and underflow', () => {
  assert.equal(toHalfBits(65520), 0x7c00, 'halfway above max rounds to even = Inf');
  assert.equal(toHalfBits(65519), 0x7bff);
  assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00, 'tie rounds down to even mantissa');
  assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds up to even mantissa');
  assert.equal(toHalfBits(2 ** -25), 0x0000, 'half the smallest subnormal ties to zero');
  assert.equal(toHalfBits(1.5 * 2 ** -25), 0x0001);
  assert.equal(toHalfBits(1e-10), 0);
});

test('float16: every finite half value survives decode -> encode', () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue; // Inf/NaN
    assert.equal(toHalfBits(fromHalfBits(h)), h);
  }
});

test('float16: array encode/decode error is within half an ulp for values in [-1, 1]', () => {
  const src = Float32Array.from({ length: 10_000 }, (_, i) => Math.sin(i * 0.37));
  const bits = new Uint16Array(src.length);
  const back = new Float32Array(src.length);
  encodeHalf(src, bits);
  decodeHalf(bits, back);
  for (let i = 0; i < src.length; i++) {
    const ulp = Math.abs(src[i]) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(src[i]))) - 10);
    assert.ok(Math.abs(back[i] - src[i]) <= ulp / 2 + 1e-12, `${src[i]} -> ${back[i]}`);
  }
});
