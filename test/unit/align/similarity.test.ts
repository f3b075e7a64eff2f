import { test } from 'node:test';
import assert from 'node:assert/strict';
import { umeyamaSimilarity, applyAffine, invertAffine, type Affine, type Point } from '../../../sdk/align/similarity.ts';
import { ARCFACE_TEMPLATE, templateFor } from '../../../sdk/align/template.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

function similarity(scale: number, angle: number, tx: number, ty: number): Affine {
  const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}
const near = (a: number, b: number, eps: number, what = '') => assert.ok(Math.abs(a - b) <= eps, `${what} ${a} != ${b}`);

/** Landmarks of a face somewhere in a frame: an arbitrary, slightly irregular 5-point set. */
const FACE: Point[] = [[412.3, 301.7], [478.9, 296.2], [446.1, 341.8], [418.4, 380.5], [470.2, 377.9]];

test('a known rotation + scale + translation is recovered exactly', () => {
  for (const [scale, angle, tx, ty] of [[1.7, 0.3, 12, -5], [0.25, -2.9, 300, 40], [3, Math.PI / 2, 0, 0]]) {
    const truth = similarity(scale, angle, tx, ty);
    const dst = FACE.map((p) => applyAffine(truth, p));
    const fit = umeyamaSimilarity(FACE, dst);
    fit.matrix.forEach((v, i) => near(v, truth[i], 1e-9, `m[${i}]`));
    near(fit.scale, scale, 1e-12, 'scale');
    near(Math.cos(fit.rotation), Math.cos(angle), 1e-12, 'cos');
    near(Math.sin(fit.rotation), Math.sin(angle), 1e-12, 'sin');
    near(fit.rms, 0, 1e-9, 'rms');
    assert.equal(fit.reflected, false);
  }
});

test('with noisy points the fit is the least-squares optimum (every small perturbation is worse)', () => {
  const truth = similarity(0.45, 0.2, -120, -60);
  let seed = 7;
  const noise = () => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647 - 0.5) * 3; };
  const dst = FACE.map((p) => { const [x, y] = applyAffine(truth, p); return [x + noise(), y + noise()] as const; });
  const fit = umeyamaSimilarity(FACE, dst);
  const sse = (m: Affine) => FACE.reduce((s, p, i) => { const [x, y] = applyAffine(m, p); return s + (x - dst[i][0]) ** 2 + (y - dst[i][1]) ** 2; }, 0);
  const best = sse(fit.matrix);
  near(Math.sqrt(best / 5), fit.rms, 1e-9, 'rms');
  assert.ok(fit.rms > 0.1, 'noise is there');
  const ds = 1e-4;
  for (const [dScale, dAngle, dx, dy] of [[ds, 0, 0, 0], [-ds, 0, 0, 0], [0, ds, 0, 0], [0, -ds, 0, 0], [0, 0, 0.01, 0], [0, 0, -0.01, 0], [0, 0, 0, 0.01], [0, 0, 0, -0.01]]) {
    const m = similarity(fit.scale + dScale, fit.rotation + dAngle, fit.matrix[2] + dx, fit.matrix[5] + dy);
    assert.ok(sse(m) > best, `perturbation ${[dScale, dAngle, dx, dy]} improved the fit`);
  }
});

test('mirrored points are flagged and still get a proper rotation, never a reflection', () => {
  const mirrored = ARCFACE_TEMPLATE.map(([x, y]) => [112 - x, y] as const);
  const fit = umeyamaSimilarity(mirrored, ARCFACE_TEMPLATE);
  assert.equal(fit.reflected, true);
  const [a, b, , d, e] = fit.matrix;
  assert.ok(a * e - b * d > 0, 'determinant positive');
  assert.ok(fit.rms > 5, 'a rotation cannot undo a mirror');
  assert.equal(umeyamaSimilarity(ARCFACE_TEMPLATE, ARCFACE_TEMPLATE).reflected, false);
});

test('inverse composes to the identity; degenerate input is FG_INPUT_INVALID', () => {
  const m = similarity(1.3, 0.7, 5, -9);
  const inv = invertAffine(m);
  for (const p of FACE) {
    const [x, y] = applyAffine(inv, applyAffine(m, p));
    near(x, p[0], 1e-9); near(y, p[1], 1e-9);
  }
  const bad = (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID';
  assert.throws(() => umeyamaSimilarity([[1, 1], [1, 1], [1, 1]], [[0, 0], [1, 0], [0, 1]]), bad);
  assert.throws(() => umeyamaSimilarity([[1, 1], [NaN, 1]], [[0, 0], [1, 0]]), bad);
  assert.throws(() => umeyamaSimilarity([[1, 1]], [[0, 0]]), bad);
  assert.throws(() => invertAffine([0, 0, 1, 0, 0, 1]), bad);
});

test('the template scales with the input size about pixel centres', () => {
  assert.deepEqual(templateFor(112), ARCFACE_TEMPLATE.map(([x, y]) => [x, y]));
  const t224 = templateFor(224);
  near(t224[0][0], (38.2946 + 0.5) * 2 - 0.5, 1e-12);
});
