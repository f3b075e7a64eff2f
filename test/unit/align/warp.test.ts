import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warpInto } from '../../../sdk/align/warp.ts';
import { alignFaceInto } from '../../../sdk/align/align-face.ts';
import { applyAffine, type Affine } from '../../../sdk/align/similarity.ts';
import { ARCFACE_TEMPLATE } from '../../../sdk/align/template.ts';
import { tensorTarget, type TensorLayout } from '../../../sdk/image/tensor-target.ts';
import type { Frame, Landmarks5 } from '../../../sdk/types.ts';

const PLAIN: TensorLayout = { layout: 'NHWC', colour: 'RGB', mean: 0, scale: 1 };

/** 20x20 frame, pixel (x, y) = (x + 12y, 255 - x - 12y, 7x) */
function frame(w = 20, h = 20): Frame {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x + 12 * y, 255 - x - 12 * y, 7 * x], (y * w + x) * 3);
  return { data, width: w, height: h };
}
const px = (f: Frame, x: number, y: number) => Array.from(f.data.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3));
const out = (d: Float32Array, w: number, u: number, v: number) => Array.from(d.subarray((v * w + u) * 3, (v * w + u) * 3 + 3));

test('integer translation and a 90 degree turn copy pixels exactly', () => {
  const f = frame();
  const d = new Float32Array(10 * 10 * 3);
  warpInto(f, [1, 0, 5, 0, 1, 3], tensorTarget(d, PLAIN, 10, 10));
  for (let v = 0; v < 10; v++) for (let u = 0; u < 10; u++) assert.deepEqual(out(d, 10, u, v), px(f, u + 5, v + 3));
  // Output (u, v) samples frame (9 - v, u).
  warpInto(f, [0, -1, 9, 1, 0, 0], tensorTarget(d, PLAIN, 10, 10));
  for (let v = 0; v < 10; v++) for (let u = 0; u < 10; u++) assert.deepEqual(out(d, 10, u, v), px(f, 9 - v, u));
});

test('half-pixel shifts interpolate bilinearly; outside the frame is black, blended at the edge', () => {
  const f = frame();
  const d = new Float32Array(4 * 1 * 3);
  warpInto(f, [1, 0, -0.5, 0, 1, 2.5], tensorTarget(d, PLAIN, 4, 1));
  // u = 0 samples x = -0.5 (half black, half pixel 0); u = 1 samples x = 0.5; rows 2 and 3 mix.
  const mix = (x0: number, wx0: number, x1: number) => [0, 1, 2].map((c) =>
    0.5 * (wx0 * (x0 >= 0 ? px(f, x0, 2)[c] : 0) + (1 - wx0) * px(f, x1, 2)[c]) +
    0.5 * (wx0 * (x0 >= 0 ? px(f, x0, 3)[c] : 0) + (1 - wx0) * px(f, x1, 3)[c]));
  out(d, 4, 0, 0).forEach((v, c) => assert.ok(Math.abs(v - mix(-1, 0.5, 0)[c]) < 1e-4));
  out(d, 4, 1, 0).forEach((v, c) => assert.ok(Math.abs(v - mix(0, 0.5, 1)[c]) < 1e-4));
  warpInto(f, [1, 0, -30, 0, 1, 0], tensorTarget(d, PLAIN, 4, 1));
  assert.ok(d.every((v) => v === 0), 'wholly outside -> zero');
});

test('flip mirrors the output; NCHW BGR with mean/scale writes normalised planes', () => {
  const f = frame();
  const m: Affine = [1, 0, 2, 0, 1, 1];
  const a = new Float32Array(6 * 5 * 3);
  const b = new Float32Array(6 * 5 * 3);
  warpInto(f, m, tensorTarget(a, PLAIN, 6, 5));
  warpInto(f, m, tensorTarget(b, PLAIN, 6, 5), true);
  for (let v = 0; v < 5; v++) for (let u = 0; u < 6; u++) assert.deepEqual(out(b, 6, u, v), out(a, 6, 5 - u, v));

  const nchw: TensorLayout = { layout: 'NCHW', colour: 'BGR', mean: 127, scale: 1 / 128 };
  const c = new Float32Array(6 * 5 * 3);
  warpInto(f, m, tensorTarget(c, nchw, 6, 5));
  for (let v = 0; v < 5; v++) for (let u = 0; u < 6; u++) {
    const [r, g, bl] = px(f, u + 2, v + 1);
    assert.deepEqual([c[v * 6 + u], c[30 + v * 6 + u], c[60 + v * 6 + u]], [(bl - 127) / 128, (g - 127) / 128, (r - 127) / 128]);
  }
});

test('alignment lands five dots placed by a known similarity on the template points', () => {
  // Draw 5 bright 3x3 dots where a face turned by 20 degrees, 1.6x larger and shifted would have
  // its landmarks; aligning must bring each dot back to its template position in 112x112.
  const W = 320, H = 240;
  const ang = (20 * Math.PI) / 180, s = 1.6;
  const toFrame: Affine = [s * Math.cos(ang), -s * Math.sin(ang), 90, s * Math.sin(ang), s * Math.cos(ang), 20];
  const lms = ARCFACE_TEMPLATE.map((p) => applyAffine(toFrame, p)) as Landmarks5;
  const data = new Uint8Array(W * H * 3);
  for (const [x, y] of lms) {
    const cx = Math.round(x), cy = Math.round(y);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) data.fill(255, ((cy + dy) * W + cx + dx) * 3, ((cy + dy) * W + cx + dx) * 3 + 3);
  }
  const d = new Float32Array(112 * 112 * 3);
  const al = alignFaceInto({ data, width: W, height: H }, lms, tensorTarget(d, PLAIN, 112, 112));
  assert.ok(al.fit.rms < 1e-9);
  for (const [tx, ty] of ARCFACE_TEMPLATE) {
    // The dot was drawn at the rounded frame position: allow 1 px (dot radius / scale) of slack.
    const u = Math.round(tx), v = Math.round(ty);
    assert.ok(out(d, 112, u, v)[0] > 120, `dot expected at (${u}, ${v}), got ${out(d, 112, u, v)[0]}`);
    assert.equal(out(d, 112, u + 4, v)[0], 0, 'dark away from the dot');
  }
  let bright = 0;
  for (let i = 0; i < d.length; i += 3) if (d[i] > 120) bright++;
  assert.ok(bright >= 5 && bright <= 5 * 4, `only the dots are bright (${bright} px)`);
});
