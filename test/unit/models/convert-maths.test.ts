// Pure helpers of the converter against known answers: fp16 decoding, permutations, FC weight
// reordering, TFLite SAME padding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fcWeightsNhwcToNchw, halfToFloat, permute } from '../../../models/convert/tensor-data.ts';
import { paddingAttrs } from '../../../models/convert/op-translators.ts';

test('halfToFloat: IEEE 754 binary16 known values', () => {
  const cases: [number, number][] = [
    [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504], [0x0001, 2 ** -24],
    [0x0400, 2 ** -14], [0x0000, 0], [0x7c00, Infinity], [0xfc00, -Infinity], [0x2e66, 0.0999755859375],
  ];
  for (const [h, v] of cases) assert.equal(halfToFloat(h), v, `0x${h.toString(16)}`);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
});

test('permute: NHWC [1,2,2,3] -> NCHW and back', () => {
  // element (h,w,c) = 100h + 10w + c
  const nhwc = Float32Array.from([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
  const p = permute(nhwc, [1, 2, 2, 3], [0, 3, 1, 2]);
  assert.deepEqual(p.shape, [1, 3, 2, 2]);
  assert.deepEqual(Array.from(p.data), [0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112]);
  assert.deepEqual(Array.from(permute(p.data, p.shape, [0, 2, 3, 1]).data), Array.from(nhwc));
});

test('fcWeightsNhwcToNchw reorders columns (h,w,c) -> (c,h,w)', () => {
  // One output row over H=1, W=2, C=2: NHWC columns [h0w0c0, h0w0c1, h0w1c0, h0w1c1] = [1,2,3,4].
  assert.deepEqual(Array.from(fcWeightsNhwcToNchw(Float32Array.of(1, 2, 3, 4), 1, 1, 2, 2)), [1, 3, 2, 4]);
});

test('paddingAttrs: TFLite SAME puts the odd pad after; dynamic stride-2 uses SAME_UPPER', () => {
  assert.deepEqual(paddingAttrs(0, 4, 4, 3, 3, 2, 2, 1, 1, false), { pads: { ints: [0, 0, 1, 1] } });
  assert.deepEqual(paddingAttrs(0, 5, 5, 3, 3, 2, 2, 1, 1, false), { pads: { ints: [1, 1, 1, 1] } });
  assert.deepEqual(paddingAttrs(0, 112, 112, 3, 3, 2, 2, 1, 1, false), { pads: { ints: [0, 0, 1, 1] } });
  assert.deepEqual(paddingAttrs(0, 7, 7, 3, 3, 1, 1, 2, 2, false), { pads: { ints: [2, 2, 2, 2] } }); // dilation 2: k_eff 5
  assert.deepEqual(paddingAttrs(0, 4, 4, 2, 2, 2, 2, 1, 1, false), {}); // exact fit: no padding
  assert.deepEqual(paddingAttrs(1, 4, 4, 3, 3, 2, 2, 1, 1, false), {}); // VALID
  assert.deepEqual(paddingAttrs(0, 4, 4, 3, 3, 2, 2, 1, 1, true), { auto_pad: { s: 'SAME_UPPER' } });
  assert.deepEqual(paddingAttrs(0, 4, 4, 3, 3, 1, 1, 1, 1, true), { pads: { ints: [1, 1, 1, 1] } }); // stride 1: size-free
});
