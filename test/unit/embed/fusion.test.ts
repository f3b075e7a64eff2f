import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstPartOf, fuseEmbeddings } from '../../../sdk/embed/fusion.ts';
import { l2Distance } from '../../../sdk/embed/l2.ts';

test('fused vectors are unit and their squared distance is the weighted mean of the parts', () => {
  const a1 = Float32Array.from([1, 0]);
  const a2 = Float32Array.from([0, 1]); // d_a = √2
  const b1 = Float32Array.from([1, 0, 0]);
  const b2 = Float32Array.from([0.6, 0.8, 0]); // d_b² = 0.16 + 0.64 = 0.8
  const f1 = fuseEmbeddings(a1, b1, 0.25);
  const f2 = fuseEmbeddings(a2, b2, 0.25);
  assert.equal(f1.length, 5);
  assert.ok(Math.abs(Math.hypot(...f1) - 1) < 1e-6);
  const d = l2Distance(f1, f2);
  assert.ok(Math.abs(d * d - (0.25 * 2 + 0.75 * 0.8)) < 1e-6, `d² ${d * d}`);
  assert.throws(() => fuseEmbeddings(a1, b1, 1), /fusion weight/);
});

test('firstPartOf takes the first unit embedding back out of a fused one', () => {
  const a = Float32Array.from([0.6, 0.8]);
  const b = Float32Array.from([0, 0, 1]);
  const fused = fuseEmbeddings(a, b, 0.25); // [0.3, 0.4, 0, 0, sqrt(0.75)]
  assert.deepEqual([...fused.subarray(0, 2)].map((x) => Math.round(x * 1e6) / 1e6), [0.3, 0.4]);
  const back = firstPartOf(fused, 2, 0.25);
  assert.equal(back.length, 2);
  assert.ok(Math.abs(back[0] - 0.6) < 1e-6 && Math.abs(back[1] - 0.8) < 1e-6, `${[...back]}`);
  assert.throws(() => firstPartOf(fused, 5, 0.25), /does not fit/);
  assert.throws(() => firstPartOf(fused, 2, 0), /fusion weight/);
});
