import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisTaps, halveFrame, MipChain, resampleInto } from '../../../sdk/image/resample.ts';
import { tensorDims, tensorTarget, type TensorLayout } from '../../../sdk/image/tensor-target.ts';
import { laplacianVariance } from '../../../sdk/image/laplacian.ts';
import type { Frame } from '../../../sdk/types.ts';

const PLAIN: TensorLayout = { layout: 'NHWC', colour: 'RGB', mean: 0, scale: 1 };

function taps(t: ReturnType<typeof axisTaps>, i: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = t.start[i]; k < t.start[i] + t.count[i]; k++) out.push([t.idx[k], Math.round(t.w[k] * 1e6) / 1e6]);
  return out;
}

/** A frame whose pixel (x, y) has channels (x + 10y, 100 + x + 10y, 200 - x - 10y). */
function ramp(w: number, h: number): Frame {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    data[o] = x + 10 * y; data[o + 1] = 100 + x + 10 * y; data[o + 2] = 200 - x - 10 * y;
  }
  return { data, width: w, height: h };
}

test('area taps: 4 -> 2 averages pairs; 4 -> 3 splits pixels by coverage', () => {
  const half = axisTaps(4, 0, 4, 2);
  assert.deepEqual(taps(half, 0), [[0, 0.5], [1, 0.5]]);
  assert.deepEqual(taps(half, 1), [[2, 0.5], [3, 0.5]]);
  const third = axisTaps(4, 0, 4, 3);
  assert.deepEqual(taps(third, 0), [[0, 0.75], [1, 0.25]]);
  assert.deepEqual(taps(third, 1), [[1, 0.5], [2, 0.5]]);
  assert.deepEqual(taps(third, 2), [[2, 0.25], [3, 0.75]]);
});

test('taps outside the source are dropped (zero padding)', () => {
  const t = axisTaps(4, -2, 4, 2);
  assert.deepEqual(taps(t, 0), []);
  assert.deepEqual(taps(t, 1), [[0, 0.5], [1, 0.5]]);
});

test('bilinear taps when upscaling, clamped to the rectangle', () => {
  const t = axisTaps(4, 0, 4, 8);
  assert.deepEqual(taps(t, 0), [[0, 1]]); // centre -0.25 clamps to pixel 0
  assert.deepEqual(taps(t, 1), [[0, 0.75], [1, 0.25]]); // centre 0.25
  assert.deepEqual(taps(t, 4), [[1, 0.25], [2, 0.75]]); // centre 1.75
  assert.deepEqual(taps(t, 7), [[3, 1]]); // centre 3.25 clamps to pixel 3
});

test('a 2x downscale into NHWC is the mean of each 2x2 block', () => {
  const f = ramp(4, 4);
  const data = new Float32Array(2 * 2 * 3);
  resampleInto(f, { x: 0, y: 0, w: 4, h: 4 }, tensorTarget(data, PLAIN, 2, 2));
  // Block (0,0): values x + 10y over x,y in {0,1} -> mean 5.5; block (1,0): 7.5; (0,1): 25.5; (1,1): 27.5.
  assert.deepEqual(Array.from(data), [5.5, 105.5, 194.5, 7.5, 107.5, 192.5, 25.5, 125.5, 174.5, 27.5, 127.5, 172.5]);
});

test('layouts: NCHW BGR, transposed NHWC and grey put each pixel where the strides say', () => {
  const f = ramp(3, 2);
  const px = (x: number, y: number) => Array.from(f.data.subarray((y * 3 + x) * 3, (y * 3 + x) * 3 + 3));
  const full = { x: 0, y: 0, w: 3, h: 2 };

  const nchw: TensorLayout = { layout: 'NCHW', colour: 'BGR', mean: 127.5, scale: 1 / 128 };
  assert.deepEqual(tensorDims(nchw, 1, 3, 2), [1, 3, 2, 3]);
  const a = new Float32Array(18);
  resampleInto(f, full, tensorTarget(a, nchw, 3, 2));
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) {
    const [r, g, b] = px(x, y);
    assert.deepEqual([a[y * 3 + x], a[6 + y * 3 + x], a[12 + y * 3 + x]], [(b - 127.5) / 128, (g - 127.5) / 128, (r - 127.5) / 128]);
  }

  const tr: TensorLayout = { layout: 'NHWC', colour: 'RGB', mean: 0, scale: 1, transposed: true };
  assert.deepEqual(tensorDims(tr, 2, 3, 2), [2, 3, 2, 3]); // [N, W, H, C]
  const b = new Float32Array(36);
  resampleInto(f, full, tensorTarget(b, tr, 3, 2, 1));
  assert.ok(b.subarray(0, 18).every((v) => v === 0), 'slot 0 untouched');
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) {
    const o = 18 + (x * 2 + y) * 3;
    assert.deepEqual(Array.from(b.subarray(o, o + 3)), px(x, y));
  }

  const grey: TensorLayout = { layout: 'NCHW', colour: 'GREY', mean: 0, scale: 1 / 256 };
  const c = new Float32Array(6);
  resampleInto(f, full, tensorTarget(c, grey, 3, 2));
  const [r, g, bl] = px(2, 1);
  assert.ok(Math.abs(c[5] - (0.299 * r + 0.587 * g + 0.114 * bl) / 256) < 1e-6);
});

test('the part of a crop outside the frame is zero before normalisation', () => {
  const f = ramp(3, 2);
  const norm: TensorLayout = { layout: 'NHWC', colour: 'RGB', mean: 127.5, scale: 1 / 128 };
  const d = new Float32Array(3 * 2 * 3);
  resampleInto(f, { x: -1, y: 0, w: 3, h: 2 }, tensorTarget(d, norm, 3, 2));
  assert.deepEqual(Array.from(d.subarray(0, 3)), [-127.5 / 128, -127.5 / 128, -127.5 / 128]);
  assert.deepEqual(Array.from(d.subarray(3, 6)), [(0 - 127.5) / 128, (100 - 127.5) / 128, (200 - 127.5) / 128]); // pixel (0,0)
});

test('halveFrame rounds 2x2 means; the mip chain matches direct area resampling', () => {
  const h = halveFrame({ data: new Uint8Array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]), width: 2, height: 2 });
  assert.deepEqual([h.width, h.height, ...h.data], [1, 1, 2, 2, 2]); // (0+1+2+3+2)>>2
  // 3x3 -> 1x1 from the top-left 2x2 block; the odd last row and column are dropped.
  const odd = halveFrame({ data: Uint8Array.from({ length: 27 }, (_, i) => Math.floor(i / 3) * 10), width: 3, height: 3 });
  assert.deepEqual([odd.width, odd.height, ...odd.data], [1, 1, 20, 20, 20]); // (0 + 10 + 30 + 40 + 2) >> 2

  const w = 64, hh = 48;
  const data = new Uint8Array(w * hh * 3);
  let s = 1;
  for (let i = 0; i < data.length; i++) { s = (s * 16807) % 2147483647; data[i] = s & 255; }
  const f = { data, width: w, height: hh };
  const direct = new Float32Array(8 * 6 * 3);
  const viaMips = new Float32Array(8 * 6 * 3);
  const rect = { x: 0, y: 0, w, h: hh };
  resampleInto(f, rect, tensorTarget(direct, PLAIN, 8, 6));
  const mips = new MipChain(f);
  mips.resampleInto(rect, tensorTarget(viaMips, PLAIN, 8, 6));
  assert.equal(mips.levels.length, 4, 'ratio 8 reads level 3');
  const worst = Math.max(...direct.map((v, i) => Math.abs(v - viaMips[i])));
  assert.ok(worst <= 1.5, `mip resample differs by ${worst}`); // three roundings of at most 0.5
});

test('laplacian variance: 0 on a flat patch, hand-computed on a single bright pixel', () => {
  const grey: TensorLayout = { layout: 'NCHW', colour: 'GREY', mean: 0, scale: 1 };
  const flat = new Float32Array(25).fill(77);
  assert.equal(laplacianVariance(tensorTarget(flat, grey, 5, 5)), 0);
  const dot = new Float32Array(25);
  dot[12] = 100;
  // Interior 3x3: centre -400, four neighbours +100, corners 0 -> mean 0, variance (160000 + 40000) / 9.
  assert.ok(Math.abs(laplacianVariance(tensorTarget(dot, grey, 5, 5)) - 200000 / 9) < 1e-6);
  // Normalisation is undone: the same image stored as (p - 127.5) / 128 gives the same value.
  const scaled = Float32Array.from(dot, (v) => (v - 127.5) / 128);
  const t = tensorTarget(scaled, { ...grey, mean: 127.5, scale: 1 / 128 }, 5, 5);
  assert.ok(Math.abs(laplacianVariance(t) - 200000 / 9) < 1e-2);
});

test('mip chain: a crop reads level 0 rather than halving the whole frame', () => {
  const w = 64, hh = 48;
  const f = ramp(w, hh);
  const mips = new MipChain(f);
  const crop = new Float32Array(4 * 4 * 3);
  mips.resampleInto({ x: 8, y: 8, w: 16, h: 16 }, tensorTarget(crop, PLAIN, 4, 4));
  assert.equal(mips.levels.length, 1, 'a 16x16 crop of a 64x48 frame builds no level');
  const direct = new Float32Array(4 * 4 * 3);
  resampleInto(f, { x: 8, y: 8, w: 16, h: 16 }, tensorTarget(direct, PLAIN, 4, 4));
  assert.deepEqual([...crop], [...direct]);
  const whole = new Float32Array(8 * 6 * 3);
  mips.resampleInto({ x: 0, y: 0, w, h: hh }, tensorTarget(whole, PLAIN, 8, 6));
  assert.equal(mips.levels.length, 4, 'the whole frame at ratio 8 builds levels 1-3');
  mips.resampleInto({ x: 8, y: 8, w: 16, h: 16 }, tensorTarget(crop, PLAIN, 4, 4));
  const fromLevel2 = new Float32Array(4 * 4 * 3);
  resampleInto(mips.levels[2], { x: 2, y: 2, w: 4, h: 4 }, tensorTarget(fromLevel2, PLAIN, 4, 4));
  assert.deepEqual([...crop], [...fromLevel2], 'once built, the crop reads its ideal level');
});
