import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mostCentralFace, largestFace, hasRivalFace } from '../../../sdk/detect/face-choice.ts';
import { centreCropFace } from '../../../sdk/pipeline/centre-crop.ts';
import { faceQuality, interEyePx } from '../../../sdk/pipeline/quality.ts';
import { umeyamaSimilarity } from '../../../sdk/align/similarity.ts';
import { ARCFACE_TEMPLATE } from '../../../sdk/align/template.ts';
import type { DetectedFace, Landmarks5 } from '../../../sdk/types.ts';

const L: Landmarks5 = [[0, 0], [10, 0], [5, 5], [2, 9], [8, 9]];
const face = (x: number, y: number, s: number): DetectedFace => ({ box: { x, y, w: s, h: s }, score: 0.9, landmarks5: L });

test('most central and largest face; none -> -1', () => {
  // Frame 200x100, centre (100, 50). Face A centre (30, 50), B (110, 60), C (180, 20).
  const faces = [face(10, 30, 40), face(100, 50, 20), face(160, 0, 40)];
  assert.equal(mostCentralFace(faces, 200, 100), 1);
  assert.equal(largestFace(faces), 0); // ties keep the first
  assert.equal(mostCentralFace([], 200, 100), -1);
  assert.equal(largestFace([]), -1);
});

test('a second face of similar size is a rival; a small background face is not', () => {
  const faces = [face(0, 0, 100), face(200, 0, 85), face(400, 0, 30)];
  assert.equal(hasRivalFace(faces, 0), true);
  assert.equal(hasRivalFace(faces, 0, 0.9), false);
  assert.equal(hasRivalFace([faces[0], faces[2]], 0), false);
  assert.equal(hasRivalFace(faces, 5), false);
});

test('quality: size is the longer box side, inter-eye distance between eye landmarks', () => {
  assert.equal(interEyePx([[3, 4], [6, 8], [0, 0], [0, 0], [0, 0]]), 5);
  assert.deepEqual(faceQuality({ x: 0, y: 0, w: 30, h: 42 }, L, 12.5), { sizePx: 42, interEyePx: 10, blur: 12.5 });
});

test('centre crop: the template scaled onto a centred square', () => {
  const f = centreCropFace(300, 200, 0.5, 0.5);
  assert.deepEqual(f.box, { x: 100, y: 50, w: 100, h: 100 });
  assert.equal(f.score, 0);
  // Aligning these landmarks maps the centred 100 px square onto 112 px: scale 1.12, no rotation.
  const fit = umeyamaSimilarity(f.landmarks5, ARCFACE_TEMPLATE);
  assert.ok(Math.abs(fit.scale - 1.12) < 1e-9 && Math.abs(fit.rotation) < 1e-12 && fit.rms < 1e-9);
  const [cx, cy] = [fit.matrix[0] * 149.5 + fit.matrix[2], fit.matrix[4] * 99.5 + fit.matrix[5]];
  assert.ok(Math.abs(cx - 55.5) < 1e-9 && Math.abs(cy - 55.5) < 1e-9, 'image centre -> template centre');
});

test('centre crop defaults: square of 0.51 of the short side, centred at y = 0.465 (measured on lfw-dev)', () => {
  const f = centreCropFace(250, 250);
  assert.ok(Math.abs(f.box.w - 127.5) < 1e-9);
  assert.ok(Math.abs(f.box.x + f.box.w / 2 - 125) < 1e-9 && Math.abs(f.box.y + f.box.h / 2 - 116.25) < 1e-9);
});
