/**
 * The exported head run in onnxruntime-node equals the TypeScript forward pass (max abs error
 * < 1e-5), standalone and fused after an embedder (a small hand-built one, and the real
 * fr-feature-512 from the pack when it is built); registration writes a loadable pack entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { ProjectionHead, type HeadShape } from '../../../calibration/train/head.ts';
import { createRng } from '../../../calibration/train/rng.ts';
import { headToOnnx, fuseHeadAfterEmbedder, headFromOnnx } from '../../../calibration/train/onnx-export.ts';
import { registerFusedHead, type TrainedHeadEntry } from '../../../calibration/train/register-head.ts';
import { ModelPack } from '../../../sdk/runtime/pack.ts';
import { PACK_DIR } from '../../../models/paths.ts';
import type { PackEntry, PackManifest } from '../../../sdk/runtime/model-types.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const { onnx } = onnxProto;

async function run(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'extended', intraOpNumThreads: 1 });
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await s.release();
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function unitRows(n: number, d: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) { x[r * d + j] = rng.normal(); s += x[r * d + j] ** 2; }
    for (let j = 0; j < d; j++) x[r * d + j] /= Math.sqrt(s);
  }
  return x;
}

function trainedLikeHead(shape: HeadShape, seed: number): ProjectionHead {
  const rng = createRng(seed);
  const head = ProjectionHead.create(shape, 'he', rng);
  for (const v of [head.b1, head.b2, head.slope]) if (v) for (let i = 0; i < v.length; i++) v[i] = rng.normal() * 0.2;
  return head;
}

/** A tiny "embedder": input [batch, 3] -> MatMul [3, 6] -> output named `outName`. */
function tinyEmbedder(outName: string): Uint8Array {
  const w = Float32Array.from({ length: 18 }, (_, i) => Math.sin(i + 1));
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'test',
    graph: {
      name: 'tiny',
      node: [{ opType: 'MatMul', name: 'mm', input: ['input', 'w'], output: [outName] }],
      initializer: [{ name: 'w', dims: [3, 6], dataType: 1, rawData: new Uint8Array(w.buffer) }],
      input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 3 }] } } } }],
      output: [{ name: outName, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 6 }] } } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

for (const shape of [
  { inDim: 16, outDim: 8 },
  { inDim: 16, outDim: 12, hidden: 24, activation: 'relu' },
  { inDim: 16, outDim: 10, hidden: 20, activation: 'prelu' },
] as HeadShape[]) {
  const name = shape.hidden ? `hidden ${shape.activation}` : 'linear';
  test(`standalone ${name} head: ONNX Runtime output equals the TS forward pass`, async () => {
    const head = trainedLikeHead(shape, 21);
    const n = 7;
    const x = unitRows(n, shape.inDim, 5);
    const bytes = headToOnnx(head);
    const out = await run(bytes, x, [n, shape.inDim]);
    const err = maxAbs(out.embedding, head.forward(x, n).y);
    assert.ok(err < 1e-5, `max abs error ${err}`);
    // Read back: the same weights (rounded to float32) and shape.
    const back = headFromOnnx(bytes);
    assert.deepEqual(back.shape, head.shape);
    assert.ok(maxAbs(back.params, head.params) < 1e-6);
  });
}

test('fused after an embedder whose output is already called "embedding": renamed inside, head output outside', async () => {
  const head = trainedLikeHead({ inDim: 6, outDim: 4, hidden: 8, activation: 'prelu' }, 3);
  const base = tinyEmbedder('embedding');
  const fused = fuseHeadAfterEmbedder(base, 'embedding', head);
  const input = Float32Array.from({ length: 15 }, (_, i) => Math.cos(i));
  const raw = (await run(base, input, [5, 3])).embedding;
  const out = await run(fused, input, [5, 3]);
  assert.deepEqual(Object.keys(out), ['embedding']);
  // Reference: the SDK normalises the raw embedding, then the head projects it.
  const unit = Float64Array.from(raw);
  for (let r = 0; r < 5; r++) {
    let s = 0;
    for (let j = 0; j < 6; j++) s += unit[r * 6 + j] ** 2;
    for (let j = 0; j < 6; j++) unit[r * 6 + j] /= Math.sqrt(s);
  }
  const err = maxAbs(out.embedding, head.forward(unit, 5).y);
  assert.ok(err < 1e-5, `max abs error ${err}`);
});

test('fusing refuses an output name the graph lacks and a head of the wrong input size', () => {
  const base = tinyEmbedder('feat');
  assert.throws(() => fuseHeadAfterEmbedder(base, 'nope', trainedLikeHead({ inDim: 6, outDim: 4 }, 1)), (e: unknown) => e instanceof FaceGateError && /no output "nope"/.test(e.message));
  assert.throws(() => fuseHeadAfterEmbedder(base, 'feat', trainedLikeHead({ inDim: 5, outDim: 4 }, 1)), (e: unknown) => e instanceof FaceGateError && /\[batch, 5\]/.test(e.message));
});

test('registering a fused head: own id, manifest entry, sha256 verified on load, same vectors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-head-pack-'));
  const baseBytes = tinyEmbedder('feat');
  const baseEntry: PackEntry = {
    id: 'tiny-6', role: 'embedder', source: 'test', path: 'tiny.onnx', format: 'onnx',
    preprocess: { size: [112, 112], mean: 127.5, scale: 1 / 128, colour: 'RGB', layout: 'NHWC' },
    outputs: { embedding: 'embedding [n,6]' }, dim: 6, optLevel: 'extended',
    file: 'tiny-6.onnx', sourceSpec: 'test@0', sourceSha256: 'x', sha256: createHash('sha256').update(baseBytes).digest('hex'),
    bytes: baseBytes.byteLength, inputs: [{ name: 'input', shape: ['n', 3] }], outputNames: ['feat'], license: 'MIT',
  };
  await writeFile(join(dir, 'tiny-6.onnx'), baseBytes);
  const manifest: PackManifest = { version: 1, builtAt: 'now', models: [baseEntry] };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const head = trainedLikeHead({ inDim: 6, outDim: 3 }, 8);
  const provenance = { loss: 'triplet', headSha256: 'abc', trainedAt: '2026-01-01T00:00:00Z' };
  const { entry } = await registerFusedHead({ packDir: dir, baseId: 'tiny-6', modelId: 'tiny-6-head-test', head, provenance });
  assert.equal(entry.dim, 3);
  assert.deepEqual(entry.outputNames, ['embedding']);
  const pack = await ModelPack.open(dir);
  assert.deepEqual(pack.manifest.models.map((m) => m.id), ['tiny-6', 'tiny-6-head-test']);
  assert.equal((pack.entry('tiny-6-head-test') as TrainedHeadEntry).head.baseModel, 'tiny-6');
  const loaded = await pack.load('tiny-6-head-test');
  await loaded.session.release();
  // Registering again replaces, never duplicates; reusing the base id or a non-head id is refused.
  await registerFusedHead({ packDir: dir, baseId: 'tiny-6', modelId: 'tiny-6-head-test', head, provenance });
  assert.equal((await ModelPack.open(dir)).manifest.models.length, 2);
  await assert.rejects(registerFusedHead({ packDir: dir, baseId: 'tiny-6', modelId: 'tiny-6', head, provenance }), /own id/);
  await assert.rejects(registerFusedHead({ packDir: dir, baseId: 'tiny-6', modelId: 'Bad Id', head, provenance }), /lower-case/);
  const wrong = trainedLikeHead({ inDim: 5, outDim: 3 }, 8);
  await assert.rejects(registerFusedHead({ packDir: dir, baseId: 'tiny-6', modelId: 'tiny-x', head: wrong, provenance }), /5-d input/);
});

const FR = join(PACK_DIR, 'fr-feature-512.onnx');
test('fused after the real fr-feature-512: equals TS head on the normalised embedder output', { skip: existsSync(FR) ? false : 'needs models/pack/fr-feature-512.onnx (npx facegate models build)' }, async () => {
  const pack = await ModelPack.open(PACK_DIR);
  const entry = pack.entry('fr-feature-512');
  const dir = await mkdtemp(join(tmpdir(), 'facegate-head-fr-'));
  await copyFile(FR, join(dir, entry.file));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ version: 1, builtAt: 'now', models: [entry] }));
  const head = trainedLikeHead({ inDim: 512, outDim: 128 }, 9);
  const { entry: fusedEntry, path } = await registerFusedHead({ packDir: dir, baseId: 'fr-feature-512', modelId: 'fr-feature-512-head-t', head, provenance: { loss: 'center', headSha256: '0', trainedAt: 'now' } });
  const dims = entry.inputs[0].shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const input = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 0.9);
  const raw = Object.values(await run(new Uint8Array(await readFile(FR)), input, dims))[0];
  const out = await run(new Uint8Array(await readFile(path)), input, dims);
  let s = 0;
  for (const v of raw) s += v * v;
  const unit = Float64Array.from(raw, (v) => v / Math.sqrt(s));
  const err = maxAbs(out.embedding, head.forward(unit, 1).y);
  assert.equal(fusedEntry.dim, 128);
  assert.ok(err < 1e-5, `max abs error ${err}`);
});
