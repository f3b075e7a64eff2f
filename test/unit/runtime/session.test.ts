import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../../../sdk/runtime/session.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { PACK_DIR } from '../../../models/paths.ts';
import { sha256 } from '../../../models/fetch/fetch-source.ts';
import { needModels } from '../../helpers/pack.ts';

const model = join(PACK_DIR, 'landmark-68.onnx');
const skip = needModels('landmark-68');

test('missing model file -> FG_MODEL_MISSING naming the file', async () => {
  await assert.rejects(openSession('/nonexistent/model.onnx'), (e: unknown) =>
    e instanceof FaceGateError && e.code === 'FG_MODEL_MISSING' && e.message.includes('/nonexistent/model.onnx'));
});

test('truncated model file -> FG_MODEL_LOAD', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-rt-'));
  const bytes = await readFile(model);
  const path = join(dir, 'truncated.onnx');
  await writeFile(path, bytes.subarray(0, bytes.length >> 1));
  await assert.rejects(openSession(path), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_LOAD' && e.message.includes(path));
});

test('a non-model file -> FG_MODEL_LOAD', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-rt-'));
  const path = join(dir, 'text.onnx');
  await writeFile(path, 'this is not an onnx model\n'.repeat(50));
  await assert.rejects(openSession(path), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_LOAD');
});

test('sha256 mismatch names file, expected and actual', { skip }, async () => {
  const actual = sha256(await readFile(model));
  const expected = '0'.repeat(64);
  await assert.rejects(openSession(model, { expectedSha256: expected }), (e: unknown) =>
    e instanceof FaceGateError && e.code === 'FG_MODEL_HASH' && e.message.includes(model) && e.message.includes(expected) && e.message.includes(actual));
});

test('unavailable execution providers fall back to CPU and say why', { skip }, async () => {
  const opened = await openSession(model, { providers: ['tensorrt', 'cuda', 'cpu'] });
  try {
    assert.equal(opened.provider, 'cpu');
    assert.deepEqual(opened.fallbacks.map((f) => f.provider), ['tensorrt', 'cuda']);
    for (const f of opened.fallbacks) assert.ok(f.reason.length > 0);
    const out = await opened.session.run({ [opened.session.inputNames[0]]: new (await import('onnxruntime-node')).Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]) });
    assert.equal(Object.values(out)[0].dims.at(-1), 136);
  } finally {
    await opened.session.release();
  }
});
