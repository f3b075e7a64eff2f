import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  summarizeVerification, chooseThreshold, evaluateThreshold, holdoutCheck, pairDistances, FAILED_PAIR_DISTANCE,
  type ScoredPairs,
} from '../../../calibration/evaluation.ts';
import { writeConfigThreshold, preflightConfig } from '../../../device/config/write-config.ts';
import { seededRandom } from '../../../calibration/random.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('pair distances: L2 between embeddings, maximum distance when an image failed', () => {
  const e = new Map<string, Float32Array | null>([['a', new Float32Array([1, 0])], ['b', new Float32Array([0, 1])], ['c', null]]);
  const d = pairDistances([{ a: 'a', b: 'b', same: false, fold: 0 }, { a: 'a', b: 'c', same: true, fold: 0 }], e);
  close(d[0], Math.SQRT2);
  assert.equal(d[1], FAILED_PAIR_DISTANCE);
});

test('summary of the hand-worked set: k-fold over CSV folds, AUC, EER, TAR', () => {
  const s: ScoredPairs = {
    distances: Float64Array.from([0.2, 0.3, 0.9, 1.0, 0.25, 0.7, 0.6, 1.1, 0.1, 0.35, 0.8, 0.95]),
    same: Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]),
    folds: Int32Array.from([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]),
  };
  const { summary } = summarizeVerification(s);
  assert.equal(summary.pairs, 12);
  close(summary.accuracy, 11 / 12);
  assert.match(summary.accuracy_protocol, /^3-fold/);
  assert.equal(summary.accuracy_10fold, null); // fewer than 10 pairs of each label
  // genuine .1 .2 .25 .3 .35 .7 vs impostor .6 .8 .9 .95 1.0 1.1: only (.7, .6) is out of order.
  close(summary.auc, 1 - 1 / 36);
  close(summary.tar_at_far['0.01'], 5 / 6);
  close(summary.far_floor, 0.5);
  assert.ok(summary.d_prime > 2);
});

function synthetic(nPerFold: number, folds: number, seed: number): ScoredPairs {
  // Genuine ~ N(0.8, 0.15), impostor ~ N(1.4, 0.1) by Box-Muller on a seeded PRNG.
  const r = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const d: number[] = [];
  const same: number[] = [];
  const fold: number[] = [];
  for (let f = 1; f <= folds; f++) {
    for (let i = 0; i < nPerFold; i++) { d.push(0.8 + 0.15 * normal()); same.push(1); fold.push(f); }
    for (let i = 0; i < nPerFold; i++) { d.push(1.4 + 0.1 * normal()); same.push(0); fold.push(f); }
  }
  return { distances: Float64Array.from(d), same: Uint8Array.from(same), folds: Int32Array.from(fold) };
}

test('threshold at a target FAR, its interval, and the held-out check', () => {
  const s = synthetic(1000, 3, 42);
  const imp = Float64Array.from(Array.from(s.distances).filter((_, i) => !s.same[i]));
  const gen = Float64Array.from(Array.from(s.distances).filter((_, i) => s.same[i]));
  const t = chooseThreshold(gen, imp, 0.01);
  assert.equal(t.false_accepts, 30);
  close(t.far_at_threshold, 0.01);
  assert.ok(t.far_ci.lower < 0.01 && t.far_ci.upper > 0.01);
  close(t.far_limit, 0.001);
  assert.match(t.statement, /30 false accepts in 3000 impostor pairs/);
  const e = evaluateThreshold(gen, imp, t.threshold);
  assert.equal(e.false_accepts, 30);
  assert.equal(e.source, 'given');
  const h = holdoutCheck(s, [1, 2], 0.01);
  assert.deepEqual(h.check.test_folds, [3]);
  assert.equal(h.fit.impostor_pairs, 2000);
  assert.equal(h.check.test.impostor_pairs, 1000);
  assert.ok(h.check.far_prediction_interval.upper >= h.fit.far_ci.upper);
  assert.equal(h.check.inside_far_ci, h.check.test.far_at_threshold >= h.fit.far_ci.lower && h.check.test.far_at_threshold <= h.fit.far_ci.upper);
  assert.throws(() => holdoutCheck(s, [4], 0.01), /--fit-folds 4 not in the CSV/);
  assert.throws(() => holdoutCheck(s, [1, 2, 3], 0.01), /no fold to test/);
});

test('a target FAR the impostor pairs cannot show is refused', () => {
  assert.throws(() => chooseThreshold(Float64Array.of(0.5), new Float64Array(900).fill(1.3), 0.001), (e: unknown) =>
    e instanceof FaceGateError && e.code === 'FG_CALIBRATION' && /needs at least 3000 impostor pairs.*have 900/.test(e.message));
  assert.throws(() => summarizeVerification({ distances: Float64Array.of(0.1, 0.2), same: Uint8Array.of(1, 1), folds: Int32Array.of(0, 0) }), /no impostor pairs/);
});

const CONFIG = `# door 1
site: hq
device: door1
camera:
  type: files
  path: ./frames
pipeline:
  embedder: mobilefacenet-192
gallery:
  db: ./gallery.db
match:
  threshold: 1.1 # old
  margin: 0.05
`;

test('write-config: sets match.threshold atomically, keeps a backup and a record', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-cfg-'));
  const path = join(dir, 'device.yaml');
  await writeFile(path, CONFIG);
  const rec = { threshold: 0.987654321, date: '2020-01-02T03:04:05.000Z', dataSha256: 'ab'.repeat(32), modelId: 'mobilefacenet-192', detector: 'mtcnn', embedder: 'mobilefacenet-192', flip: false, summary: 'target FAR 0.01' };
  const r = await writeConfigThreshold(path, rec);
  assert.equal(r.previousThreshold, 1.1);
  assert.equal(await readFile(r.backup, 'utf8'), CONFIG);
  const text = await readFile(path, 'utf8');
  assert.equal((parseYaml(text) as { match: { threshold: number } }).match.threshold, 0.987654);
  assert.match(text, /# door 1/);
  assert.match(text, /calibrated 2020-01-02T03:04:05.000Z: target FAR 0.01; model mobilefacenet-192 \(mtcnn\); data sha256 abab/);
  assert.equal(r.record, null);
  // JSON config: stays JSON, record in a sidecar.
  const jpath = join(dir, 'device.json');
  await writeFile(jpath, JSON.stringify(parseYaml(CONFIG)));
  const j = await writeConfigThreshold(jpath, rec);
  assert.equal(JSON.parse(await readFile(jpath, 'utf8')).match.threshold, 0.987654);
  assert.equal(JSON.parse(await readFile(j.record!, 'utf8')).dataSha256, rec.dataSha256);
});

test('write-config refuses a config for another pipeline, and an invalid config, writing nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-cfg-'));
  const path = join(dir, 'device.yaml');
  await writeFile(path, CONFIG.replace('embedder: mobilefacenet-192', 'embedder: fr-feature-512'));
  await assert.rejects(preflightConfig(path, { detector: 'mtcnn', embedder: 'mobilefacenet-192', flip: false }), /runs mtcnn \+ fr-feature-512 but the calibration uses mtcnn \+ mobilefacenet-192/);
  await writeFile(path, 'site: hq\n');
  await assert.rejects(preflightConfig(path, { detector: 'mtcnn', embedder: 'mobilefacenet-192', flip: false }), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID');
  assert.equal(existsSync(path + '.bak'), false);
});
