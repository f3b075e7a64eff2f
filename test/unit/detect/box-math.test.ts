import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  overlap, nms, regressBox, squareBox, scaleBox, clipBox, padWindow, pyramidScales, cornersToBox, boxToCorners,
} from '../../../sdk/detect/box-math.ts';
import { pnetCandidates } from '../../../sdk/detect/mtcnn/pnet-decode.ts';
import { reduce68To5, landmarkCropRect } from '../../../sdk/detect/rfb/landmarks68.ts';

const near = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('overlap: IoU and intersection-over-min on hand-checked boxes', () => {
  const a = { x1: 0, y1: 0, x2: 10, y2: 10 };
  const b = { x1: 5, y1: 5, x2: 15, y2: 15 };
  near(overlap(a, b, 'union'), 25 / 175);
  near(overlap(a, b, 'min'), 25 / 100);
  assert.equal(overlap(a, { x1: 10, y1: 0, x2: 20, y2: 10 }), 0, 'touching edges do not overlap');
  near(overlap(a, { x1: 2, y1: 2, x2: 8, y2: 8 }, 'min'), 1); // nested box
});

test('nms keeps the best box of each cluster, highest score first; min mode drops nested boxes', () => {
  const boxes = [
    { x1: 0, y1: 0, x2: 10, y2: 10, score: 0.9 }, // A
    { x1: 1, y1: 1, x2: 11, y2: 11, score: 0.8 }, // B: IoU with A = 81/119
    { x1: 20, y1: 20, x2: 30, y2: 30, score: 0.95 }, // C: alone
    { x1: 2, y1: 2, x2: 8, y2: 8, score: 0.85 }, // D: inside A, IoU 0.36, min-overlap 1
  ];
  assert.deepEqual(nms(boxes, 0.5, 'union'), [2, 0, 3]);
  assert.deepEqual(nms(boxes, 0.7, 'min'), [2, 0]);
  assert.deepEqual(nms(boxes, 0.7, 'union'), [2, 0, 3, 1], 'B survives when 0.68 < threshold');
  assert.deepEqual(nms([], 0.5), []);
});

test('regression moves each corner by offset x size; squaring grows the short side about the centre', () => {
  const b = { x1: 10, y1: 20, x2: 30, y2: 60, score: 0.5 };
  const r = regressBox(b, 0.1, -0.05, 0.2, 0.25);
  assert.deepEqual([r.x1, r.y1, r.x2, r.y2, r.score], [12, 18, 34, 70, 0.5]);
  const s = squareBox(b);
  assert.deepEqual([s.x1, s.y1, s.x2, s.y2], [0, 20, 40, 60]);
  const wide = squareBox({ x1: 0, y1: 0, x2: 40, y2: 10 });
  assert.deepEqual([wide.x1, wide.y1, wide.x2, wide.y2], [0, -15, 40, 25]);
});

test('clipping and zero-padded crop windows', () => {
  assert.deepEqual(clipBox({ x: -5, y: 10, w: 20, h: 100 }, 100, 50), { x: 0, y: 10, w: 15, h: 40 });
  assert.deepEqual(clipBox({ x: 200, y: 0, w: 5, h: 5 }, 100, 50), { x: 100, y: 0, w: 0, h: 5 });
  assert.deepEqual(padWindow({ x: -5, y: -3, w: 10, h: 10 }, 8, 8), { src: { x: 0, y: 0, w: 5, h: 7 }, dst: { x: 5, y: 3 } });
  assert.deepEqual(cornersToBox(boxToCorners({ x: 1, y: 2, w: 3, h: 4 })), { x: 1, y: 2, w: 3, h: 4 });
});

test('pyramid scales: first maps the min face to 12 px, then x0.709 while the short side covers 12 px', () => {
  const s = pyramidScales(640, 480, 80);
  assert.equal(s.length, 6); // short side 72, 51, 36, 25.7, 18.2, 12.9 px (next 9.1 < 12)
  near(s[0], 0.15);
  near(s[1], 0.15 * 0.709);
  near(s[5], 0.15 * 0.709 ** 5);
  assert.equal(pyramidScales(250, 250, 20).length, 8); // 150 px * 0.709^7 = 13.4 >= 12, ^8 = 9.5
  assert.deepEqual(pyramidScales(100, 100, 200), []); // face larger than the image
  assert.deepEqual(pyramidScales(100, 100, 0), []);
});

test('P-Net maps decode to windows, honouring transposed outputs', () => {
  // Map of 3 (x) by 2 (y) cells; the face probability is set at flat index 3 only.
  const prob = new Float32Array(12);
  prob[2 * 3 + 1] = 0.9;
  prob[2 * 4 + 1] = 0.5; // below the threshold
  const reg = new Float32Array(24);
  reg.set([0.1, 0.2, 0.3, 0.4], 4 * 3);
  // Not transposed: index = y * 3 + x -> cell (0, 1). Scale 0.5: window 24 px from (0, 4).
  const [a] = pnetCandidates(prob, reg, 3, 2, 0.5, 0.6, false);
  assert.deepEqual({ ...a }, { x1: 0, y1: 4, x2: 24, y2: 28, score: prob[7], reg: [reg[12], reg[13], reg[14], reg[15]] });
  // Transposed: index = x * 2 + y -> cell (1, 1): window from (4, 4).
  const t = pnetCandidates(prob, reg, 3, 2, 0.5, 0.6, true);
  assert.equal(t.length, 1);
  assert.deepEqual([t[0].x1, t[0].y1, t[0].x2, t[0].y2], [4, 4, 28, 28]);
});

test('68 -> 5 points: eyelid means, nose tip, averaged lip corners', () => {
  const pts = new Float32Array(136);
  for (let i = 0; i < 68; i++) { pts[2 * i] = i; pts[2 * i + 1] = 2 * i; }
  assert.deepEqual(reduce68To5(pts), [[39, 78], [45, 90], [30, 60], [54, 108], [59, 118]]);
});

test('landmark crop: whole pixels, shifted inside the frame, shrunk when larger than it', () => {
  assert.deepEqual(landmarkCropRect({ x: -10, y: 5, w: 50.7, h: 40.2 }, 100, 100), { x: 0, y: 5, w: 50, h: 40 });
  assert.deepEqual(landmarkCropRect({ x: 70, y: 70, w: 40, h: 40 }, 100, 100), { x: 60, y: 60, w: 40, h: 40 });
  assert.deepEqual(landmarkCropRect({ x: 0, y: 0, w: 200, h: 100 }, 100, 80), { x: 0, y: 25, w: 100, h: 50 });
});

test('scaleBox grows or shrinks about the centre', () => {
  assert.deepEqual(scaleBox({ x1: 10, y1: 20, x2: 30, y2: 60, score: 0.5 }, 1.5), { x1: 5, y1: 10, x2: 35, y2: 70, score: 0.5 });
  assert.deepEqual(scaleBox({ x1: 0, y1: 0, x2: 8, y2: 4 }, 0.5), { x1: 2, y1: 1, x2: 6, y2: 3 });
});

test('pyramidScales: maxFace drops the levels for faces larger than it', () => {
  // 640x480, min face 60: cells stand for 60, 84.6, 119.4, 168.3, 237.4, 334.9, 472.3 px faces.
  assert.equal(pyramidScales(640, 480, 60).length, 7);
  assert.equal(pyramidScales(640, 480, 60, 0.709, 12, 240).length, 5);
  assert.equal(pyramidScales(640, 480, 60, 0.709, 12, 60).length, 1);
  assert.deepEqual(pyramidScales(640, 480, 60, 0.709, 12, 240), pyramidScales(640, 480, 60).slice(0, 5));
});
