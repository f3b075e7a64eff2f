// Converter benchmarks (ORT CPU, 1 intra-op thread, no spinning):
//  1. layout: our NCHW-inside graphs vs the same models with Transposes around every NCHW op;
//  2. graph optimisation level per converted model (basic / extended / all).
// Configurations are interleaved round by round so machine load drifts hit all alike.
// Run: node --import tsx test/bench/converter.bench.ts [rounds]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertTfliteDetailed, type ConvertOptions } from '../../models/convert/tflite-to-onnx.ts';
import { fetchSource } from '../../models/fetch/fetch-source.ts';

type Level = 'disabled' | 'basic' | 'extended' | 'all';
interface Case { label: string; session: ort.InferenceSession; feeds: Record<string, ort.Tensor>; times: number[] }

const rounds = Number(process.argv[2] ?? 20);
const dir = join(await fetchSource('expo'), 'android/src/main/assets');

async function session(bytes: Uint8Array, level: Level): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

function input(shape: number[]): Record<string, ort.Tensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013) * 0.9);
  return { input: new ort.Tensor('float32', data, shape) };
}

async function convert(file: string, opts: ConvertOptions) {
  return convertTfliteDetailed(new Uint8Array(await readFile(join(dir, file))), opts);
}

function stats(t: number[]): { median: number; p95: number } {
  const s = [...t].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] };
}

async function measure(cases: Case[], n: number): Promise<void> {
  for (const c of cases) for (let i = 0; i < 3; i++) await c.session.run(c.feeds); // warm-up
  for (let r = 0; r < n; r++) {
    for (const c of cases) {
      const t0 = performance.now();
      await c.session.run(c.feeds);
      c.times.push(performance.now() - t0);
    }
  }
}

function report(title: string, cases: Case[]): void {
  console.log(`\n${title}`);
  for (const c of cases) {
    const { median, p95 } = stats(c.times);
    console.log(`  ${c.label.padEnd(48)} median ${median.toFixed(2).padStart(8)} ms   p95 ${p95.toFixed(2).padStart(8)} ms`);
  }
}

// 1. Layout strategy.
const layoutCases: Case[] = [];
for (const [file, id, dyn, shape] of [
  ['pnet.tflite', 'mtcnn-pnet', ['height', 'width'], [1, 640, 480, 3]],
  ['MobileFaceNet.tflite', 'mobilefacenet-192', ['batch'], [1, 112, 112, 3]],
] as const) {
  for (const layout of ['nchw', 'per-op'] as const) {
    const r = await convert(file, { name: id, dynamicInput: [...dyn], layout });
    for (const level of ['disabled', 'extended'] as const) {
      layoutCases.push({ label: `${id} ${layout} (${r.transposes} Transposes) @${level}`, session: await session(r.bytes, level), feeds: input([...shape]), times: [] });
    }
  }
}
await measure(layoutCases, rounds);
report(`Layout: NCHW inside vs Transposes around each op (${rounds} rounds)`, layoutCases);
await Promise.all(layoutCases.map((c) => c.session.release()));

// 2. Optimisation level per model.
const levelCases: Case[] = [];
for (const [file, id, dyn, shapes] of [
  ['pnet.tflite', 'mtcnn-pnet', ['height', 'width'], [[1, 640, 480, 3]]],
  ['rnet.tflite', 'mtcnn-rnet', ['batch'], [[16, 24, 24, 3]]],
  ['onet.tflite', 'mtcnn-onet', ['batch'], [[4, 48, 48, 3]]],
  ['MobileFaceNet.tflite', 'mobilefacenet-192', ['batch'], [[1, 112, 112, 3], [8, 112, 112, 3]]],
  ['FaceAntiSpoofing.tflite', 'antispoof-256', [], [[1, 256, 256, 3]]],
] as const) {
  const r = await convert(file, { name: id, dynamicInput: [...dyn] });
  for (const shape of shapes) {
    for (const level of ['basic', 'extended', 'all'] as const) {
      levelCases.push({ label: `${id} [${shape.join('x')}] @${level}`, session: await session(r.bytes, level), feeds: input([...shape]), times: [] });
    }
  }
}
await measure(levelCases, rounds);
report(`Graph optimisation level (${rounds} rounds)`, levelCases);
await Promise.all(levelCases.map((c) => c.session.release()));
