// makeOnnxInputsDynamic: a fixed batch becomes symbolic, including batch sizes baked into
// Reshape/Flatten; checked on a hand-built graph and on the real fr_feature.onnx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { makeOnnxInputsDynamic, makeOnnxInputsDynamicDetailed } from '../../../models/convert/onnx-patch.ts';
import { fetchSource } from '../../../models/fetch/fetch-source.ts';
import { FaceGateError, errorMessage } from '../../../sdk/errors.ts';
import { assertClose, maxAbsDiff } from '../../helpers/onnx-run.ts';
import { rgbNormalised, faceApiPhotos, lfwFiles } from '../../helpers/face-crops.ts';

const { onnx } = onnxProto;

/** input [1,2,2] -> Flatten(axis 0) -> Reshape(Constant [1,4]) -> Relu -> output [1,4]. */
function tinyFixedBatchModel(): Uint8Array {
  const shape = BigInt64Array.of(1n, 4n);
  const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny',
      input: [vi('x', [1, 2, 2])],
      output: [vi('y', [1, 4])],
      valueInfo: [vi('flat', [1, 4])],
      node: [
        { opType: 'Flatten', input: ['x'], output: ['flat'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
        { opType: 'Constant', input: [], output: ['shape'], attribute: [{ name: 'value', type: 4, t: { dims: [2], dataType: 7, rawData: new Uint8Array(shape.buffer) } }] },
        { opType: 'Reshape', input: ['flat', 'shape'], output: ['r'] },
        { opType: 'Relu', input: ['r'], output: ['y'] },
      ],
    },
  })).finish();
}

test('hand-built graph: Flatten axis 0 and a Constant Reshape [1,4] no longer pin the batch', async () => {
  const fixed = tinyFixedBatchModel();
  const x = Float32Array.of(1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12);
  const before = await ort.InferenceSession.create(fixed);
  await assert.rejects(before.run({ x: new ort.Tensor('float32', x, [3, 2, 2]) }), 'the unpatched model refuses batch 3');
  const { bytes, report } = makeOnnxInputsDynamicDetailed(fixed, ['batch']);
  assert.deepEqual({ r: report.reshapesPatched, f: report.flattensPatched, v: report.valueInfoDropped }, { r: 1, f: 1, v: 1 });
  const s = await ort.InferenceSession.create(bytes);
  const y = (await s.run({ x: new ort.Tensor('float32', x, [3, 2, 2]) })).y;
  assert.deepEqual([...y.dims], [3, 4]);
  assertClose(y.data as Float32Array, [1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11, 0]);
  const meta = s.inputMetadata[0] as { shape?: readonly (number | string)[] };
  assert.deepEqual(meta.shape, ['batch', 2, 2]);
});

test('not an ONNX model -> FG_MODEL_CONVERT; asking for a missing axis -> FG_MODEL_CONVERT', () => {
  assert.throws(() => makeOnnxInputsDynamic(new TextEncoder().encode('hello, not protobuf \u0001\u0002'), ['batch']),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_CONVERT');
  assert.throws(() => makeOnnxInputsDynamic(tinyFixedBatchModel(), ['width']),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_CONVERT' && /width/.test(e.message));
});

test('fr_feature.onnx with dynamic batch: batch 8 equals 8 single runs on real images', async (t) => {
  let dir: string;
  try {
    dir = await fetchSource('faceplugin');
  } catch (e) {
    t.skip(`faceplugin tarball unavailable: ${errorMessage(e)}`);
    return;
  }
  const { bytes, report } = makeOnnxInputsDynamicDetailed(new Uint8Array(await readFile(join(dir, 'model/fr_feature.onnx'))), ['batch']);
  assert.equal(report.reshapesPatched, 1, 'its final Reshape to [1,512] carries the exported batch');
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  // Real images (LFW crops when present, face-api photos otherwise), NHWC -> NCHW planes.
  const files = [...(await lfwFiles(4)), ...(await faceApiPhotos(6))].slice(0, 8);
  const per = 3 * 112 * 112;
  const nchw = new Float32Array(8 * per);
  for (const [k, f] of files.entries()) {
    const nhwc = await rgbNormalised(f, 112);
    for (let i = 0; i < 112 * 112; i++) for (let c = 0; c < 3; c++) nchw[k * per + c * 112 * 112 + i] = nhwc[i * 3 + c];
  }
  const name = s.inputNames[0];
  const out = s.outputNames[0];
  const batched = (await s.run({ [name]: new ort.Tensor('float32', nchw, [8, 3, 112, 112]) }))[out];
  assert.deepEqual([...batched.dims], [8, 512]);
  let worst = 0;
  for (let k = 0; k < 8; k++) {
    const one = (await s.run({ [name]: new ort.Tensor('float32', nchw.subarray(k * per, (k + 1) * per), [1, 3, 112, 112]) }))[out];
    worst = Math.max(worst, maxAbsDiff((batched.data as Float32Array).subarray(k * 512, (k + 1) * 512), one.data as Float32Array));
  }
  t.diagnostic(`max |batch8 - single| = ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `batch differs from single runs by ${worst}`);
  await s.release();
});
