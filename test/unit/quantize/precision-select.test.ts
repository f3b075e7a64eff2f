import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, ElemType, ints } from '../../../models/convert/onnx-builder.ts';
import { cloneModel, prepareModel } from '../../../models/quantize/calibrate-pack.ts';
import { convertToFp16 } from '../../../models/quantize/fp16-convert.ts';
import { decodeModel, encodeModel } from '../../../models/quantize/onnx-graph.ts';
import { applyQdq, planQdq } from '../../../models/quantize/qdq-quantize.ts';
import { isFaceGateError } from '../../../sdk/errors.ts';
import type { Logger } from '../../../sdk/logger.ts';
import type { PackEntry, PackManifest } from '../../../sdk/runtime/model-types.ts';
import { chooseFile, ModelPack, resolvePrecision } from '../../../sdk/runtime/pack.ts';
import { precisionFlag } from '../../../device/cli/commands/precision-flag.ts';

/** Collects warnings: a real Logger that keeps what it is told. */
function recordingLogger(): Logger & { warnings: { msg: string; fields?: Record<string, unknown> }[] } {
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  return { warnings, info() {}, error() {}, warn: (msg, fields) => warnings.push({ msg, fields }) };
}

function conv(): Uint8Array {
  const b = new OnnxGraphBuilder();
  const x = b.input('x', ElemType.FLOAT, [1, 2, 4, 4]);
  const w = b.initializer('w', [3, 2, 1, 1], Float32Array.of(1, -1, 0.5, 0.25, -2, 1));
  const y = b.node1('Conv', [x, w], 'y', { kernel_shape: ints([1, 1]) });
  b.output(y, 'y', ElemType.FLOAT, [1, 3, 4, 4]);
  return b.encode({ graphName: 'c', opset: 17 });
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A pack directory with one model and the given variants built by the real quantiser. */
async function tinyPack(variants: ('int8' | 'fp16')[], opts: { int8Auto?: false } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-prec-'));
  const fp32 = conv();
  await writeFile(join(dir, 'c.onnx'), fp32);
  const entry: PackEntry = {
    id: 'c', role: 'embedder', source: 'test', path: '-', format: 'onnx',
    preprocess: { size: [4, 4], mean: 0, scale: 1, colour: 'RGB', layout: 'NCHW' }, outputs: { y: 'y' }, optLevel: 'basic',
    file: 'c.onnx', sourceSpec: 'test', sourceSha256: '-', sha256: sha(fp32), bytes: fp32.length,
    inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], outputNames: ['y'], license: 'MIT', variants: {},
  };
  if (variants.includes('int8')) {
    const p = await prepareModel('c', fp32);
    const plan = planQdq(p.model);
    const bytes = encodeModel(applyQdq(cloneModel(p.model), plan, new Map(plan.calibrate.map((t) => [t, [-4, 4] as [number, number]]))).model);
    await writeFile(join(dir, 'c.int8.onnx'), bytes);
    entry.variants!.int8 = { file: 'c.int8.onnx', sha256: sha(bytes), bytes: bytes.length, optLevel: 'extended', ...(opts.int8Auto === false ? { auto: false } : {}) };
  }
  if (variants.includes('fp16')) {
    const bytes = encodeModel(convertToFp16(decodeModel(fp32)).model);
    await writeFile(join(dir, 'c.fp16.onnx'), bytes);
    entry.variants!.fp16 = { file: 'c.fp16.onnx', sha256: sha(bytes), bytes: bytes.length };
  }
  const manifest: PackManifest = { version: 1, builtAt: new Date().toISOString(), models: [entry] };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

async function runOnes(session: ort.InferenceSession): Promise<Float32Array> {
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(32).fill(1), [1, 2, 4, 4]) });
  return out.y.data as Float32Array;
}

test('resolvePrecision: auto is int8 on CPU and fp16 with a GPU provider; bad values are refused', () => {
  assert.equal(resolvePrecision('auto'), 'int8');
  assert.equal(resolvePrecision('auto', ['cpu']), 'int8');
  assert.equal(resolvePrecision('auto', ['cuda', 'cpu']), 'fp16');
  assert.equal(resolvePrecision('auto', ['tensorrt']), 'fp16');
  assert.equal(resolvePrecision('fp32', ['cuda']), 'fp32');
  assert.throws(() => resolvePrecision('int4' as 'int8'), (e: unknown) => isFaceGateError(e) && e.code === 'FG_CONFIG_INVALID' && /int4/.test(e.message));
  assert.equal(precisionFlag(undefined), undefined);
  assert.equal(precisionFlag('int8'), 'int8');
  assert.throws(() => precisionFlag('INT8'), (e: unknown) => isFaceGateError(e) && e.code === 'FG_CLI_USAGE');
});

test('chooseFile: variant when present, fp32 with the reason when absent', async () => {
  const dir = await tinyPack(['int8']);
  try {
    const pack = await ModelPack.open(dir);
    const e = pack.entry('c');
    assert.equal(chooseFile(e, 'int8').file, 'c.int8.onnx');
    assert.equal(chooseFile(e, 'int8').optLevel, 'extended');
    const fb = chooseFile(e, 'fp16');
    assert.equal(fb.file, 'c.onnx');
    assert.equal(fb.precision, 'fp32');
    assert.match(fb.reason!, /no fp16 build of c \(it has int8\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ModelPack.load picks the variant, falls back to fp32 with a logged reason, and verifies hashes', async () => {
  const dir = await tinyPack(['int8']);
  try {
    const log = recordingLogger();
    const pack = await ModelPack.open(dir, { logger: log });
    const fp32 = await pack.load('c');
    const int8 = await pack.load('c', { precision: 'int8' });
    assert.equal(fp32.precision, 'fp32');
    assert.equal(int8.precision, 'int8');
    const [a, b] = [await runOnes(fp32.session), await runOnes(int8.session)];
    // Conv of ones: channel sums 0, 0.75, -1 per pixel; int8 within a quantisation step of 8/255.
    assert.ok(Math.abs(a[0] - 0) < 1e-6 && Math.abs(a[16] - 0.75) < 1e-6 && Math.abs(a[32] + 1) < 1e-6);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 8 / 255, `${i}: ${a[i]} vs ${b[i]}`);
    assert.equal(log.warnings.length, 0);

    const fb = await pack.load('c', { precision: 'fp16' });
    assert.equal(fb.precision, 'fp32');
    assert.match(fb.precisionFallback!, /no fp16 build/);
    assert.equal(log.warnings.length, 1);
    assert.equal(log.warnings[0].msg, 'model precision fallback');
    assert.equal(log.warnings[0].fields?.requested, 'fp16');
    await Promise.all([fp32, int8, fb].map((m) => m.session.release()));

    // The pack default applies when load() names none.
    const int8Pack = await ModelPack.open(dir, { precision: 'int8' });
    const d = await int8Pack.load('c');
    assert.equal(d.precision, 'int8');
    await d.session.release();
    await assert.rejects(ModelPack.open(dir, { precision: 'int3' as 'int8' }), (e: unknown) => isFaceGateError(e) && e.code === 'FG_CONFIG_INVALID');

    // A tampered variant is refused, never silently replaced by fp32.
    await writeFile(join(dir, 'c.int8.onnx'), conv());
    await assert.rejects(pack.load('c', { precision: 'int8' }), (e: unknown) => isFaceGateError(e) && e.code === 'FG_MODEL_HASH');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('auto with an unavailable GPU provider: fp16 is not run on CPU, int8 is loaded instead', async () => {
  const dir = await tinyPack(['int8', 'fp16']);
  try {
    const log = recordingLogger();
    const pack = await ModelPack.open(dir, { logger: log, precision: 'auto' });
    const m = await pack.load('c', { providers: ['cuda', 'cpu'] });
    if (m.provider === 'cuda') {
      // On a machine with the CUDA provider installed the fp16 build is the right pick.
      assert.equal(m.precision, 'fp16');
    } else {
      assert.equal(m.provider, 'cpu');
      assert.equal(m.precision, 'int8');
      assert.equal(m.fallbacks[0].provider, 'cuda');
      assert.match(m.precisionFallback!, /no GPU provider could be used.*using int8/);
      assert.ok(log.warnings.some((w) => w.msg === 'model precision fallback' && w.fields?.requested === 'fp16'));
    }
    await m.session.release();
    // The fp16 file itself runs (on CPU ORT inserts casts) and agrees with fp32.
    const half = await pack.load('c', { precision: 'fp16' });
    assert.equal(half.precision, 'fp16');
    const y = await runOnes(half.session);
    assert.ok(Math.abs(y[16] - 0.75) < 1e-3 && Math.abs(y[32] + 1) < 1e-3);
    await half.session.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("auto on CPU keeps fp32 for an int8 build marked auto: false; asking for int8 still gets it", async () => {
  const dir = await tinyPack(['int8'], { int8Auto: false });
  try {
    const log = recordingLogger();
    const pack = await ModelPack.open(dir, { logger: log, precision: 'auto' });
    const a = await pack.load('c');
    assert.equal(a.precision, 'fp32');
    assert.equal(a.precisionFallback, undefined);
    assert.equal(log.warnings.length, 0, 'a planned choice, not a fallback');
    const b = await pack.load('c', { precision: 'int8' });
    assert.equal(b.precision, 'int8');
    await Promise.all([a.session.release(), b.session.release()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
