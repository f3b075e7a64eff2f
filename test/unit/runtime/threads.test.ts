/** ORT intra-op threads: validated by name, passed from the pack's defaults, same results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkThreads, openSession } from '../../../sdk/runtime/session.ts';
import { ModelPack } from '../../../sdk/runtime/pack.ts';
import { PACK_DIR } from '../../../models/paths.ts';
import { needModels } from '../../helpers/pack.ts';

test('thread counts other than whole numbers 1..64 are refused by name', async () => {
  for (const n of [0, -1, 1.5, 65, Number.NaN]) {
    assert.throws(() => checkThreads(n), { code: 'FG_CONFIG_INVALID', message: /intra-op threads/ });
  }
  assert.equal(checkThreads(2), 2);
  await assert.rejects(openSession('/nonexistent/model.onnx', { intraOpThreads: 0 }), { code: 'FG_CONFIG_INVALID' });
  await assert.rejects(ModelPack.open(PACK_DIR, { intraOpThreads: 100 }), { code: 'FG_CONFIG_INVALID' });
});

test('a pack opened with 2 threads loads sessions that give the 1-thread outputs', { skip: needModels('landmark-68') }, async () => {
  const input = new Float32Array(64 * 64);
  for (let i = 0; i < input.length; i++) input[i] = Math.sin(i / 7);
  const outputs: Float32Array[] = [];
  for (const threads of [1, 2]) {
    const pack = await ModelPack.open(PACK_DIR, { intraOpThreads: threads });
    const m = await pack.load('landmark-68', { precision: 'fp32' });
    const name = m.session.inputNames[0];
    const out = await m.session.run({ [name]: new ort.Tensor('float32', input, [1, 1, 64, 64]) });
    outputs.push(out[m.session.outputNames[0]].data as Float32Array);
    await m.session.release();
  }
  assert.ok(outputs[0].length > 0);
  assert.ok(Math.max(...outputs[0].map((v, i) => Math.abs(v - outputs[1][i]))) < 1e-4);
});
