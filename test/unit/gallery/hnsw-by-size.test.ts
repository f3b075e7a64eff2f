// HNSW parameters by gallery size: the measured table's rows, what lies between and beyond them,
// and explicit values winning over the automatic choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceGateError } from '../../../sdk/errors.ts';
import {
  checkHnswSizeTable, EF_MAX, HNSW_SIZE_TABLE, hnswBeamsForSize, hnswBuildForSize, hnswBuildParams, hnswParamsForSize, hnswRebuildReason, hnswServingBeams,
} from '../../../sdk/gallery/hnsw-by-size.ts';

test('the table rows: M 32 below 100k, M 48 from 100k; the measured beams at 10k, 100k and 1M', () => {
  for (const n of [0, 2000, 99_999]) assert.deepEqual(hnswBuildForSize(n), { m: 32, efConstruction: 200 });
  for (const n of [100_000, 1_000_000, 50_000_000]) assert.deepEqual(hnswBuildForSize(n), { m: 48, efConstruction: 200 });
  assert.deepEqual(hnswParamsForSize(10_000), { m: 32, efConstruction: 200, efFirst: 24, ef: 48 });
  assert.deepEqual(hnswParamsForSize(100_000), { m: 48, efConstruction: 200, efFirst: 64, ef: 128 });
  assert.deepEqual(hnswParamsForSize(1_000_000), { m: 48, efConstruction: 200, efFirst: 288, ef: 384 });
  // below the first measured size: its beams
  assert.deepEqual(hnswParamsForSize(2000), { m: 32, efConstruction: 200, efFirst: 24, ef: 48 });
});

test('between rows: linear in log(size), rounded up to a multiple of 8', () => {
  // 316,227 is (just under) half a decade above 100k: M 48, halfway between 64/128 and 288/384
  assert.deepEqual(hnswBeamsForSize(316_227, 48), { efFirst: 176, ef: 256 });
  // a graph built with M 32 that has grown to 50k (log5/log10 = 0.699 of the way from 10k to 100k)
  assert.deepEqual(hnswBeamsForSize(50_000, 32), { efFirst: 56, ef: 104 });
  let last = { efFirst: 0, ef: 0 };
  for (let n = 1000; n <= 20_000_000; n = Math.round(n * 1.3)) {
    const b = hnswBeamsForSize(n, 48);
    assert.ok(b.efFirst >= last.efFirst && b.ef >= last.ef && b.ef >= b.efFirst, `beams never shrink as the gallery grows (${n})`);
    assert.equal(b.efFirst % 8, 0);
    last = b;
  }
});

test('beyond the last row: the last decade\'s slope continues, up to EF_MAX', () => {
  assert.deepEqual(hnswBeamsForSize(10_000_000, 48), { efFirst: 512, ef: 640 });
  assert.deepEqual(hnswBeamsForSize(1e10, 48), { efFirst: EF_MAX, ef: EF_MAX });
});

test('an M without rows of its own uses the largest tabled M not above it (the smallest for a sparser graph)', () => {
  assert.deepEqual(hnswBeamsForSize(100_000, 64), hnswBeamsForSize(100_000, 48));
  assert.deepEqual(hnswBeamsForSize(100_000, 40), hnswBeamsForSize(100_000, 32));
  assert.deepEqual(hnswBeamsForSize(100_000, 16), hnswBeamsForSize(100_000, 32));
});

test('explicit values win field by field; M never falls below the graph being replaced', () => {
  const p = hnswBuildParams(1_000_000, { m: 32 }, null);
  assert.deepEqual([p.m, p.efConstruction, p.efFirst, p.ef], [32, 200, 384, 384]);
  assert.deepEqual(hnswServingBeams(1_000_000, 48, { ef: 100 }), { ef: 100, efFirst: 100 });
  assert.deepEqual(hnswServingBeams(10_000, 32, { efFirst: 80 }), { ef: 80, efFirst: 80 }, 'the wide beam is never narrower than an explicit first one');
  assert.equal(hnswBuildParams(50_000, {}, { m: 48, efConstruction: 200 }).m, 48);
  assert.equal(hnswBuildParams(50_000, {}, null).m, 32);
  const q = hnswBuildParams(5000, { seed: 7, project: false }, null);
  assert.deepEqual([q.seed, q.project, q.m], [7, false, 32]);
});

test('rebuild reasons: a band that needs a larger M, or an explicit build the graph does not have', () => {
  assert.match(hnswRebuildReason(150_000, { m: 32, efConstruction: 200 }, {}) ?? '', /150000 templates need M 48 \(graph built with 32\)/);
  assert.equal(hnswRebuildReason(50_000, { m: 48, efConstruction: 200 }, {}), null, 'a larger M than needed is kept');
  assert.equal(hnswRebuildReason(150_000, { m: 32, efConstruction: 200 }, { m: 32 }), null, 'explicit M: no automatic rebuild');
  assert.match(hnswRebuildReason(5000, { m: 48, efConstruction: 200 }, { m: 32 }) ?? '', /built with M 48, configured 32/);
  assert.match(hnswRebuildReason(5000, { m: 32, efConstruction: 100 }, {}) ?? '', /need efConstruction 200/);
});

test('bad sizes and tables are refused with typed errors', () => {
  assert.throws(() => hnswParamsForSize(-1), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID');
  assert.throws(() => hnswParamsForSize(1.5), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID');
  const bad = (t: typeof HNSW_SIZE_TABLE) => assert.throws(() => checkHnswSizeTable(t), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID');
  bad({ ...HNSW_SIZE_TABLE, bands: [{ from: 10, m: 32, efConstruction: 200 }] });
  bad({ ...HNSW_SIZE_TABLE, bands: [{ from: 0, m: 32, efConstruction: 200 }, { from: 0, m: 48, efConstruction: 200 }] });
  bad({ ...HNSW_SIZE_TABLE, beams: [] });
  bad({ ...HNSW_SIZE_TABLE, beams: [{ size: 100, m: 32, efFirst: 0, ef: 8, recall: 1 }] });
  assert.equal(checkHnswSizeTable(HNSW_SIZE_TABLE), HNSW_SIZE_TABLE);
});
