import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProjection, encodeProjection, fitProjection, project, upperDistance } from '../../../sdk/gallery/projection.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { euclidean, gaussian, mulberry32, normalise, randomUnit } from './synthetic.ts';

const DIM = 40;

/** count vectors = mean + a random combination of `basis` (+ isotropic noise of sd `noise`), normalised. */
function inSubspace(count: number, basis: Float32Array[], noise: number, seed: number): Float32Array {
  const g = gaussian(mulberry32(seed));
  const mean = randomUnit(DIM, g);
  const out = new Float32Array(count * DIM);
  for (let n = 0; n < count; n++) {
    const v = Float32Array.from(mean, (x) => x * 0.5);
    for (const b of basis) {
      const z = g();
      for (let i = 0; i < DIM; i++) v[i] += z * b[i];
    }
    for (let i = 0; i < DIM; i++) v[i] += noise * g();
    out.set(normalise(v), n * DIM);
  }
  return out;
}

const row = (m: Float32Array, i: number) => m.subarray(i * DIM, (i + 1) * DIM);

test('vectors on a 5-d subspace: rank 5, distances kept exactly, residuals ~0', () => {
  const g = gaussian(mulberry32(3));
  const basis = Array.from({ length: 5 }, () => randomUnit(DIM, g));
  const data = new Float32Array(400 * DIM);
  for (let n = 0; n < 400; n++) {
    const v = new Float32Array(DIM);
    for (const b of basis) {
      const z = g();
      for (let i = 0; i < DIM; i++) v[i] += z * b[i];
    }
    data.set(v, n * DIM);
  }
  const p = fitProjection(data, 400, DIM, { multiple: 1 });
  assert.ok(p);
  assert.equal(p.rank, 5);
  assert.ok(p.residualShare < 1e-9, String(p.residualShare));
  const a = new Float32Array(5);
  const b = new Float32Array(5);
  for (let i = 0; i < 50; i++) {
    const ra = project(p, row(data, i), a);
    const rb = project(p, row(data, i + 50), b);
    assert.ok(ra < 1e-4 && rb < 1e-4, `${ra} ${rb}`);
    const truth = euclidean(row(data, i), row(data, i + 50));
    assert.ok(Math.abs(euclidean(a, b) - truth) < 1e-4 * Math.max(1, truth));
  }
});

test('off-subspace noise: the reported bound is never below the true distance and close to it', () => {
  const g = gaussian(mulberry32(4));
  const basis = Array.from({ length: 6 }, () => randomUnit(DIM, g));
  const data = inSubspace(500, basis, 1e-3, 5);
  const p = fitProjection(data, 500, DIM, { maxResidualShare: 1e-3, multiple: 8 });
  assert.ok(p);
  assert.ok(p.rank >= 6 && p.rank <= 16, String(p.rank));
  const a = new Float32Array(p.rank);
  const b = new Float32Array(p.rank);
  let worst = 0;
  for (let i = 0; i < 250; i++) {
    const ra = project(p, row(data, i), a);
    const rb = project(p, row(data, 499 - i), b);
    const truth = euclidean(row(data, i), row(data, 499 - i));
    const bound = upperDistance(euclidean(a, b), ra, rb);
    assert.ok(bound >= truth - 1e-6, `bound ${bound} < true ${truth}`);
    worst = Math.max(worst, bound - truth);
  }
  assert.ok(worst < 1e-3, `bound slack ${worst}`);
});

test('no projection for isotropic vectors or too few of them', () => {
  const g = gaussian(mulberry32(6));
  const iso = new Float32Array(2000 * DIM);
  for (let n = 0; n < 2000; n++) iso.set(randomUnit(DIM, g), n * DIM);
  assert.equal(fitProjection(iso, 2000, DIM), null);
  const basis = [randomUnit(DIM, g)];
  assert.equal(fitProjection(inSubspace(50, basis, 0, 7), 50, DIM), null, '50 vectors cannot vouch for a 40-d covariance');
});

test('upperDistance: sqrt(dp^2 + (ra + rb)^2)', () => {
  assert.equal(upperDistance(3, 1, 3), 5);
  assert.equal(upperDistance(0.5, 0, 0), 0.5);
});

test('encode/decode round trip; a damaged projection is refused, naming the problem', () => {
  const g = gaussian(mulberry32(8));
  const basis = Array.from({ length: 3 }, () => randomUnit(DIM, g));
  const p = fitProjection(inSubspace(300, basis, 1e-4, 9), 300, DIM, { maxResidualShare: 1e-3, multiple: 4 });
  assert.ok(p);
  const bytes = encodeProjection(p);
  const back = decodeProjection(bytes, DIM);
  assert.deepEqual(back, p);
  const corrupt = (why: RegExp, b: Uint8Array, dim = DIM) => assert.throws(() => decodeProjection(b, dim), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_CORRUPT' && why.test(e.message));
  corrupt(/dim/, bytes, DIM + 1);
  corrupt(/truncated|length/, bytes.subarray(0, bytes.length - 4));
  const flipped = Uint8Array.from(bytes);
  flipped[12 + 4 * DIM + 4 * 5 + 3] ^= 0x40; // an exponent bit of a basis value
  corrupt(/orthonormal|non-finite/, flipped);
  const magic = Uint8Array.from(bytes);
  magic[0] ^= 1;
  corrupt(/not a projection/, magic);
});
