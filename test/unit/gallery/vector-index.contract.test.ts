// One contract, run against both VectorIndex implementations (exact and HNSW).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../../sdk/gallery/exact-index.ts';
import { HnswIndex } from '../../../sdk/gallery/hnsw-index.ts';
import { ProjectedIndex } from '../../../sdk/gallery/projected-index.ts';
import { symmetricEigen } from '../../../sdk/gallery/eigen.ts';
import type { Projection } from '../../../sdk/gallery/projection.ts';
import type { VectorIndex } from '../../../sdk/gallery/vector-index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { euclidean, gaussian, mulberry32, randomUnit } from './synthetic.ts';

const DIM = 16;

function reference(points: Map<number, Float32Array>, q: Float32Array, k: number): { label: number; distance: number }[] {
  return [...points].map(([label, v]) => ({ label, distance: euclidean(q, v) }))
    .sort((a, b) => a.distance - b.distance).slice(0, k);
}

function contract(name: string, make: (dim: number) => VectorIndex): void {
  describe(`VectorIndex contract: ${name}`, () => {
    test('an empty index returns no neighbours', () => {
      const ix = make(DIM);
      assert.equal(ix.size, 0);
      assert.deepEqual(ix.search(randomUnit(DIM, gaussian(mulberry32(1))), 5), []);
    });

    test('distances are plain Euclidean, not squared', () => {
      const ix = make(4);
      ix.add(1, new Float32Array([1, 0, 0, 0]));
      ix.add(2, new Float32Array([0, 1, 0, 0]));
      ix.add(3, new Float32Array([0.6, 0.8, 0, 0]));
      const r = ix.search(new Float32Array([1, 0, 0, 0]), 3);
      assert.deepEqual(r.map((n) => n.label), [1, 3, 2]);
      assert.ok(Math.abs(r[0].distance) < 1e-6);
      // |(1,0)-(0.6,0.8)| = sqrt(0.16 + 0.64) = 0.894427; |(1,0)-(0,1)| = sqrt(2)
      assert.ok(Math.abs(r[1].distance - Math.sqrt(0.8)) < 1e-6, String(r[1].distance));
      assert.ok(Math.abs(r[2].distance - Math.SQRT2) < 1e-6, String(r[2].distance));
    });

    test('k larger than the index returns every live vector, ascending', () => {
      const ix = make(DIM);
      const g = gaussian(mulberry32(2));
      for (let i = 0; i < 7; i++) ix.add(100 + i, randomUnit(DIM, g));
      const r = ix.search(randomUnit(DIM, g), 50);
      assert.equal(r.length, 7);
      for (let i = 1; i < r.length; i++) assert.ok(r[i - 1].distance <= r[i].distance);
    });

    test('search matches brute force on 400 random vectors, growing past the initial capacity', () => {
      const ix = make(DIM);
      const g = gaussian(mulberry32(3));
      const pts = new Map<number, Float32Array>();
      for (let i = 0; i < 400; i++) {
        const v = randomUnit(DIM, g);
        pts.set(i * 3 + 1, v);
        ix.add(i * 3 + 1, v);
      }
      assert.equal(ix.size, 400);
      for (let q = 0; q < 25; q++) {
        const query = randomUnit(DIM, g);
        const got = ix.search(query, 5);
        const want = reference(pts, query, 5);
        assert.deepEqual(got.map((n) => n.label), want.map((n) => n.label));
        for (let i = 0; i < 5; i++) assert.ok(Math.abs(got[i].distance - want[i].distance) < 1e-5);
      }
    });

    test('removed labels are never returned; churn reuses space and stays exact', () => {
      const ix = make(DIM);
      const g = gaussian(mulberry32(4));
      const pts = new Map<number, Float32Array>();
      for (let i = 0; i < 200; i++) {
        const v = randomUnit(DIM, g);
        pts.set(i, v);
        ix.add(i, v);
      }
      for (let i = 0; i < 200; i += 2) {
        assert.equal(ix.remove(i), true);
        pts.delete(i);
      }
      assert.equal(ix.remove(0), false, 'second removal reports absence');
      assert.equal(ix.remove(99999), false);
      assert.equal(ix.has(0), false);
      assert.equal(ix.has(1), true);
      for (let i = 1000; i < 1100; i++) {
        const v = randomUnit(DIM, g);
        pts.set(i, v);
        ix.add(i, v);
      }
      assert.equal(ix.size, 200);
      assert.deepEqual(ix.labels().sort((a, b) => a - b), [...pts.keys()].sort((a, b) => a - b));
      for (const [label, v] of [...pts].slice(0, 40)) {
        const r = ix.search(v, 1);
        assert.equal(r[0].label, label);
      }
      // a query right on a removed vector finds something else
      for (let q = 0; q < 10; q++) {
        const query = randomUnit(DIM, g);
        const got = ix.search(query, 10).map((n) => n.label);
        assert.deepEqual(got, reference(pts, query, 10).map((n) => n.label));
      }
    });

    test('a removed label can be added again; adding an existing label replaces its vector', () => {
      const ix = make(4);
      ix.add(7, new Float32Array([1, 0, 0, 0]));
      ix.add(8, new Float32Array([0, 0, 1, 0]));
      ix.remove(7);
      ix.add(7, new Float32Array([0, 1, 0, 0]));
      let r = ix.search(new Float32Array([0, 1, 0, 0]), 1);
      assert.equal(r[0].label, 7);
      assert.ok(r[0].distance < 1e-6);
      ix.add(8, new Float32Array([0, 0, 0, 1]));
      assert.equal(ix.size, 2);
      r = ix.search(new Float32Array([0, 0, 0, 1]), 1);
      assert.equal(r[0].label, 8);
      assert.ok(r[0].distance < 1e-6);
    });

    test('wrong dimension, bad label and bad k are clear errors', () => {
      const ix = make(DIM);
      ix.add(1, randomUnit(DIM, gaussian(mulberry32(5))));
      const code = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID');
      code(() => ix.add(2, new Float32Array(DIM + 1)));
      code(() => ix.search(new Float32Array(DIM - 1), 1));
      code(() => ix.add(-1, new Float32Array(DIM)));
      code(() => ix.add(1.5, new Float32Array(DIM)));
      code(() => ix.search(new Float32Array(DIM), 0));
      assert.equal(ix.size, 1, 'failed calls leave the index unchanged');
    });
  });
}

contract('ExactIndex', (dim) => new ExactIndex(dim, 4));
contract('HnswIndex', (dim) => HnswIndex.create(dim, { m: 16, efConstruction: 200, ef: 200, seed: 7 }, 16));

/** A full-rank projection: a random rotation about a non-zero mean (distances are preserved). */
function rotation(dim: number): Projection {
  const g = gaussian(mulberry32(dim));
  const a = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = i; j < dim; j++) a[i * dim + j] = a[j * dim + i] = g();
  const { vectors } = symmetricEigen(a, dim);
  return { dim, rank: dim, mean: Float32Array.from({ length: dim }, () => g() * 0.1), basis: Float32Array.from(vectors), residualShare: 0 };
}
contract('ProjectedIndex (full rank)', (dim) => ProjectedIndex.create(rotation(dim), { m: 16, efConstruction: 200, ef: 200, seed: 7 }, 16));
