/**
 * What every model in the pack is: where it comes from, how to feed it and what it returns.
 * Preprocessing is written here, never guessed from graph names or shapes at run time.
 * Figures quoted in comments were measured (see BENCHMARKS.md / ../shared/MODEL-NOTES.md).
 */

import type { ModelSpec } from '../../sdk/runtime/model-types.ts';

export const MODEL_SPECS: ModelSpec[] = [
  {
    id: 'mtcnn-pnet', role: 'detector-pnet', source: 'expo', path: 'android/src/main/assets/pnet.tflite', format: 'tflite',
    preprocess: { size: null, mean: 127.5, scale: 1 / 128, colour: 'RGB', layout: 'NHWC', transposed: true },
    outputs: { prob: 'face probability map [1,h,w,2] (softmax, index 1 = face)', reg: 'box regression [1,h,w,4]' },
    optLevel: 'extended', dynamicInput: ['height', 'width'], // basic/extended/all equal within noise at 640x480 (test/bench/converter.bench.ts)
  },
  {
    id: 'mtcnn-rnet', role: 'detector-rnet', source: 'expo', path: 'android/src/main/assets/rnet.tflite', format: 'tflite',
    preprocess: { size: [24, 24], mean: 127.5, scale: 1 / 128, colour: 'RGB', layout: 'NHWC', transposed: true },
    outputs: { prob: 'face probability [n,2]', reg: 'box regression [n,4]' },
    optLevel: 'all', dynamicInput: ['batch'], // 'all' ~15-20% faster at batch 16 (test/bench/converter.bench.ts)
  },
  {
    id: 'mtcnn-onet', role: 'detector-onet', source: 'expo', path: 'android/src/main/assets/onet.tflite', format: 'tflite',
    preprocess: { size: [48, 48], mean: 127.5, scale: 1 / 128, colour: 'RGB', layout: 'NHWC', transposed: true },
    outputs: { prob: 'face probability [n,2]', reg: 'box regression [n,4]', landmarks: '5 landmarks [n,10]: x0..x4, y0..y4 relative to box' },
    optLevel: 'all', dynamicInput: ['batch'], // 'all' ~20% faster at batch 4
  },
  {
    id: 'mobilefacenet-192', role: 'embedder', source: 'expo', path: 'android/src/main/assets/MobileFaceNet.tflite', format: 'tflite',
    preprocess: { size: [112, 112], mean: 127.5, scale: 1 / 128, colour: 'RGB', layout: 'NHWC' },
    outputs: { embedding: 'embedding [n,192], not normalised' }, dim: 192,
    optLevel: 'all', dynamicInput: ['batch'], // 'all' ~30% faster at batch 1 and 8 (NCHWc kernels)
  },
  {
    id: 'antispoof-256', role: 'liveness', source: 'expo', path: 'android/src/main/assets/FaceAntiSpoofing.tflite', format: 'tflite',
    preprocess: { size: [256, 256], mean: 0, scale: 1 / 255, colour: 'RGB', layout: 'NHWC' },
    outputs: { clss: 'class scores [1,8]', leaf: 'leaf node mask [1,8]' },
    optLevel: 'all', // 'all' ~30% faster
  },
  {
    id: 'rfb-320', role: 'detector-rfb', source: 'faceplugin', path: 'model/fr_detect.onnx', format: 'onnx',
    preprocess: { size: [320, 240], mean: 127, scale: 1 / 128, colour: 'RGB', layout: 'NCHW' },
    outputs: { scores: 'scores [1,4420,2] (softmax, index 1 = face)', boxes: 'boxes [1,4420,4] normalised x1,y1,x2,y2' },
    optLevel: 'all',
  },
  {
    id: 'landmark-68', role: 'landmarks68', source: 'faceplugin', path: 'model/fr_landmark.onnx', format: 'onnx',
    preprocess: { size: [64, 64], mean: 0, scale: 1 / 256, colour: 'GREY', layout: 'NCHW' },
    outputs: { landmarks: '68 points [1,136] as x,y pairs in [0,1] of the crop' },
    optLevel: 'all', // 'all' 1.6 ms vs 11.2 ms at 'extended', same process (docs/quantization.md)
  },
  {
    id: 'fr-feature-512', role: 'embedder', source: 'faceplugin', path: 'model/fr_feature.onnx', format: 'onnx',
    preprocess: { size: [112, 112], mean: 127, scale: 1 / 128, colour: 'BGR', layout: 'NCHW' },
    outputs: { embedding: 'embedding [n,512], not normalised' }, dim: 512,
    optLevel: 'all', dynamicInput: ['batch'], // 'all' 17.2 vs 21.3 ms at batch 1 (BENCHMARKS.md)
  },
  {
    id: 'fr-liveness', role: 'liveness', source: 'faceplugin', path: 'model/fr_liveness.onnx', format: 'onnx',
    // BGR, measured: NUAA AUC 1.000 vs 0.985 for RGB and a far wider live/attack margin (docs/liveness.md).
    preprocess: { size: [128, 128], mean: 0, scale: 1, colour: 'BGR', layout: 'NCHW' },
    outputs: { probs: '3 logits [1,3]: 0 = live, 1 = 2D attack, 2 never the argmax (measured, docs/liveness.md)' },
    optLevel: 'extended',
  },
];

export function specById(id: string): ModelSpec | undefined {
  return MODEL_SPECS.find((s) => s.id === id);
}
