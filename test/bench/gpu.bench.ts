/**
 * The model pack on CUDA / TensorRT, when this machine has those execution providers: speed per
 * model and precision (batch 1 and 8) and agreement of the outputs with fp32 on CPU (cosine of
 * the flattened outputs; for the embedders, per face on the face-api demo photos). Without the
 * providers it prints "skipped: no CUDA provider (...)" and exits 0.
 *
 *   npx tsx test/bench/gpu.bench.ts [--pack <dir>] [--json]
 *
 * Providers come from onnxruntime-node's install script (ONNXRUNTIME_NODE_INSTALL=cuda12) or a
 * JetPack build of ONNX Runtime on a Jetson; see docs/quantization.md.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PACK_DIR } from '../../models/paths.ts';
import { cosine, embeddingAgreement } from '../../models/quantize/accuracy-check.ts';
import type { PackEntry, Precision } from '../../sdk/runtime/model-types.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import type { ExecutionProvider } from '../../sdk/runtime/session.ts';
import { demoPhotos } from '../helpers/demo-photos.ts';
import { round } from './stats.ts';

const args = process.argv.slice(2);
const packDir = args.includes('--pack') ? args[args.indexOf('--pack') + 1] : PACK_DIR;
const json = args.includes('--json');

async function providerError(provider: ExecutionProvider, model: Uint8Array): Promise<string | null> {
  try {
    const s = await ort.InferenceSession.create(model, { executionProviders: [provider], logSeverityLevel: 4 });
    await s.release();
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

const pack = await ModelPack.open(packDir);
// A small pack model is enough to ask ORT whether a provider can be created here.
const probe = new Uint8Array(await readFile(join(packDir, pack.entry('mtcnn-rnet').file)));
const available: ExecutionProvider[] = [];
const reasons: string[] = [];
for (const p of ['cuda', 'tensorrt'] as ExecutionProvider[]) {
  const err = await providerError(p, probe);
  if (err) reasons.push(`${p}: ${err}`);
  else available.push(p);
}
if (!available.length) {
  console.log(`skipped: no CUDA provider (${reasons.join('; ')})`);
  process.exit(0);
}

function shapeFor(e: PackEntry, batch: number): number[] | null {
  if (e.id === 'mtcnn-pnet') return [1, 384, 288, 3];
  const s = e.inputs[0].shape;
  if (batch > 1 && typeof s[0] === 'number') return null;
  return s.map((d, i) => (i === 0 ? batch : Number(d)));
}

async function session(file: string, provider: ExecutionProvider): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(join(packDir, file), { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

const rows: Record<string, unknown>[] = [];
for (const e of pack.manifest.models) {
  const ref = await session(e.file, 'cpu');
  for (const provider of available) {
    const files: [Precision, string][] = [['fp32', e.file]];
    if (e.variants?.fp16) files.push(['fp16', e.variants.fp16.file]);
    if (e.variants?.int8 && provider === 'tensorrt') files.push(['int8', e.variants.int8.file]); // TensorRT consumes QDQ
    for (const [precision, file] of files) {
      let s: ort.InferenceSession;
      try {
        s = await session(file, provider);
      } catch (err) {
        rows.push({ model: e.id, provider, precision, error: (err as Error).message.split('\n')[0] });
        continue;
      }
      for (const batch of [1, 8]) {
        const shape = shapeFor(e, batch);
        if (!shape) continue;
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.9);
        const feed = { [s.inputNames[0]]: new ort.Tensor('float32', data, shape) };
        const want = await ref.run({ [ref.inputNames[0]]: new ort.Tensor('float32', data, shape) });
        const got = await s.run(feed);
        const agreement = Math.min(...ref.outputNames.map((o) => cosine(want[o].data as Float32Array, got[o].data as Float32Array)));
        for (let i = 0; i < 3; i++) await s.run(feed);
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          await s.run(feed);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        const row = { model: e.id, provider, precision, batch, ms: round(times[10], 2), cosine_vs_cpu_fp32: round(agreement, 6) };
        rows.push(row);
        if (!json) console.log(JSON.stringify(row));
      }
      await s.release();
    }
  }
  await ref.release();
}
for (const id of ['mobilefacenet-192', 'fr-feature-512']) {
  for (const precision of ['fp32', 'fp16'] as Precision[]) {
    const r = await embeddingAgreement(packDir, id, await demoPhotos(), precision, { providers: [available[0]] });
    const row = { model: id, provider: available[0], precision, faces: r.faces, median_cosine_vs_cpu_fp32: round(r.median, 6), min: round(r.min, 6) };
    rows.push(row);
    if (!json) console.log(JSON.stringify(row));
  }
}
if (json) console.log(JSON.stringify({ providers: available, rows }));
