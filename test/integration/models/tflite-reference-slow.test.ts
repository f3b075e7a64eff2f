// Slow whole-model checks against the naive NHWC TFLite interpreter (test/helpers/tflite-reference.ts):
// FaceAntiSpoofing (~40 s) and MobileFaceNet (~15 s) on an idle 2-core machine, minutes under load. Opt-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertTflite } from '../../../models/convert/tflite-to-onnx.ts';
import { readTflite } from '../../../models/convert/tflite-reader.ts';
import { fetchSource } from '../../../models/fetch/fetch-source.ts';
import { faceApiPhotos, rgbResized } from '../../helpers/face-crops.ts';
import { maxAbsDiff, runOnnx } from '../../helpers/onnx-run.ts';
import { runTfliteReference } from '../../helpers/tflite-reference.ts';

const skip = process.env.FACEGATE_SLOW === '1' ? false : 'slow (about a minute of pure-JS convolution): run with FACEGATE_SLOW=1';

test('FaceAntiSpoofing and MobileFaceNet match the naive TFLite interpreter (max abs err <= 1e-4)', { skip }, async (t) => {
  const dir = join(await fetchSource('expo'), 'android/src/main/assets');
  const [photo] = await faceApiPhotos(1);
  for (const [file, id, shape, dyn] of [['FaceAntiSpoofing.tflite', 'antispoof-256', [1, 256, 256, 3], []], ['MobileFaceNet.tflite', 'mobilefacenet-192', [2, 112, 112, 3], ['batch']]] as const) {
    const bytes = new Uint8Array(await readFile(join(dir, file)));
    const per = shape[1] * shape[2] * 3;
    const x = new Float32Array(shape[0] * per);
    for (let k = 0; k < shape[0]; k++) await rgbResized(photo, shape[2], shape[1], k === 0 ? undefined : { left: 400, top: 200, width: 600, height: 600 }, x, k * per);
    const ref = Object.values(runTfliteReference(readTflite(bytes, id), x, [...shape]));
    const ours = Object.values(await runOnnx(convertTflite(bytes, { name: id, dynamicInput: [...dyn] }), x, [...shape]));
    ref.forEach((r, k) => {
      const err = maxAbsDiff(ours[k].data, r.data);
      t.diagnostic(`${id} output ${k}: max abs err ${err.toExponential(2)}`);
      assert.ok(err <= 1e-4, `${id} output ${k}: ${err}`);
    });
  }
});
