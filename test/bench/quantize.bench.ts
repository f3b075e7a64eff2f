/**
 * int8 / fp16 against fp32, side by side: CPU speed per model (batch 1 and 8), embedding
 * agreement (cosine) on real faces, detection recall on dlib-pascal-faces.
 *
 *   npx tsx test/bench/quantize.bench.ts [--speed] [--accuracy] [--detection] [--pack <dir>] [--models a,b] [--pnet-size WxH] [--json]
 *
 * Speed: every configuration of a model is timed in turn, round after round (interleaved), so a
 * burst of load from other processes hits all of them alike; medians and ratios are reported.
 * Configurations: fp32 as shipped; fp32 with the PRelu rewrite (what int8 starts from, to split
 * the gains); int8 QDQ at ORT levels 'extended' and 'all'; the QOperator form (ORT's fused
 * QLinearConv graph saved and reloaded); fp16 (on CPU ORT emulates it: shown, not a target).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PACK_DIR } from '../../models/paths.ts';
import { embeddingAgreement } from '../../models/quantize/accuracy-check.ts';
import { prepareModel } from '../../models/quantize/calibrate-pack.ts';
import { directoryCalibrationImages } from '../../models/quantize/calibration-inputs.ts';
import { encodeModel } from '../../models/quantize/onnx-graph.ts';
import { loadFrame } from '../../sdk/image/load-frame.ts';
import type { GraphOptLevel, PackEntry, Precision } from '../../sdk/runtime/model-types.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import { createDetector } from '../../sdk/pipeline/create-detector.ts';
import { dlibPascalBoxes, matchDetections } from '../helpers/detection-eval.ts';
import { demoPhotos } from '../helpers/demo-photos.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import { round } from './stats.ts';

const args = process.argv.slice(2);
const flag = (f: string) => args.includes(f);
const value = (f: string) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
const all = !flag('--speed') && !flag('--accuracy') && !flag('--detection');
const packDir = value('--pack') ?? PACK_DIR;
const json = flag('--json');
const out: Record<string, unknown> = { pack: packDir, cpu: (await import('node:os')).cpus()[0]?.model, loadavg: (await import('node:os')).loadavg() };
const pack = await ModelPack.open(packDir);

/**
 * Input shape a speed run uses. P-Net: `--pnet-size WxH`, default 384x288 (the first pyramid level
 * of a 640x480 frame at min face 20; 256x144 is 1280x720 at the door's min face 60).
 */
const PNET_SIZE = (value('--pnet-size') ?? '384x288').split('x').map(Number);
if (PNET_SIZE.length !== 2 || PNET_SIZE.some((v) => !(v >= 12))) {
  console.error(`--pnet-size takes WxH (each >= 12), got ${value('--pnet-size')}`);
  process.exit(2);
}
function benchShape(e: PackEntry, batch: number): number[] | null {
  const shape = e.inputs[0].shape;
  if (e.id === 'mtcnn-pnet') return [1, PNET_SIZE[0], PNET_SIZE[1], 3]; // transposed NHWC
  const dynamicBatch = typeof shape[0] !== 'number';
  if (batch > 1 && !dynamicBatch) return null;
  return shape.map((d, i) => (i === 0 ? batch : Number(d)));
}

function sessionOptions(level: GraphOptLevel, dump?: string): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } }, ...(dump ? { optimizedModelFilePath: dump } : {}),
  };
}

async function speed(): Promise<Record<string, unknown>[]> {
  const ids = value('--models')?.split(',') ?? pack.manifest.models.filter((m) => m.variants?.int8).map((m) => m.id);
  const rows: Record<string, unknown>[] = [];
  const tmp = await mkdtemp(join(tmpdir(), 'fg-qbench-'));
  try {
    for (const id of ids) {
      const e = pack.entry(id);
      const fp32Bytes = new Uint8Array(await readFile(join(packDir, e.file)));
      const configs: [string, Uint8Array, GraphOptLevel][] = [['fp32', fp32Bytes, e.optLevel]];
      configs.push(['fp32 PRelu->Max', encodeModel((await prepareModel(id, fp32Bytes)).model), e.optLevel]);
      const v8 = e.variants?.int8;
      if (v8) {
        const q = new Uint8Array(await readFile(join(packDir, v8.file)));
        configs.push(['int8 extended', q, 'extended'], ['int8 all', q, 'all']);
        const dump = join(tmp, `${id}.qop.onnx`);
        await (await ort.InferenceSession.create(q, sessionOptions('extended', dump))).release();
        configs.push(['int8 QOperator', new Uint8Array(await readFile(dump)), 'basic']);
      }
      const v16 = e.variants?.fp16;
      if (v16 && !flag('--no-fp16')) configs.push(['fp16 (CPU-emulated)', new Uint8Array(await readFile(join(packDir, v16.file))), 'all']);
      const sessions = await Promise.all(configs.map(([, b, l]) => ort.InferenceSession.create(b, sessionOptions(l))));
      for (const batch of [1, 8]) {
        const shape = benchShape(e, batch);
        if (!shape) continue;
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.9);
        const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]]: new ort.Tensor('float32', data, shape) });
        const rounds = batch === 1 ? 20 : 6;
        const times: number[][] = configs.map(() => []);
        for (let r = 0; r < rounds + 2; r++) {
          for (const [k, s] of sessions.entries()) {
            const t0 = performance.now();
            await s.run(feed(s));
            if (r >= 2) times[k].push(performance.now() - t0);
          }
        }
        const med = times.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
        const row: Record<string, unknown> = { model: id, batch };
        configs.forEach(([name], k) => { row[`${name} ms`] = round(med[k], 1); });
        const i8 = Math.min(...configs.map(([name], k) => (name.startsWith('int8') ? med[k] : Infinity)));
        if (Number.isFinite(i8)) {
          row['fp32 / best int8'] = round(med[0] / i8, 2);
          row['fp32 PRelu->Max / best int8'] = round(med[1] / i8, 2);
        }
        rows.push(row);
        if (!json) console.log(JSON.stringify(row));
      }
      await Promise.all(sessions.map((s) => s.release()));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return rows;
}

async function accuracy(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const sets: [string, string[]][] = [['face-api demo', await demoPhotos()]];
  const lfw = join(DATA_DIR, 'lfw-dev', 'images');
  if (existsSync(lfw)) sets.push(['lfw-dev (100 images)', (await directoryCalibrationImages(lfw, 100)).images]);
  for (const id of ['mobilefacenet-192', 'fr-feature-512']) {
    for (const precision of ['int8', 'fp16'] as Precision[]) {
      for (const [name, images] of sets) {
        const r = await embeddingAgreement(packDir, id, images, precision);
        const row = { model: id, precision, loaded: r.loaded, images: name, faces: r.faces, median: round(r.median, 5), min: round(r.min, 5), mean: round(r.mean, 5) };
        rows.push(row);
        if (!json) console.log(JSON.stringify(row));
      }
    }
  }
  return rows;
}

async function detection(): Promise<Record<string, unknown>[]> {
  const pascal = join(DATA_DIR, 'dlib-pascal-faces');
  const noface = join(DATA_DIR, 'noface-dev', 'images');
  if (!existsSync(pascal)) {
    console.error('detection: skipped, needs ../shared/data/dlib-pascal-faces');
    return [];
  }
  const labels = await dlibPascalBoxes(pascal);
  const rows: Record<string, unknown>[] = [];
  for (const kind of ['mtcnn', 'rfb'] as const) {
    for (const precision of ['fp32', 'int8', 'fp16'] as Precision[]) {
      const { detector } = await createDetector({ detector: kind, packDir, precision });
      const row: Record<string, unknown> = { detector: kind, precision };
      for (const iou of [0.3, 0.5]) {
        let tp = 0, fp = 0, fn = 0;
        for (const [image, boxes] of labels) {
          const found = await detector.detect(await loadFrame(join(pascal, 'images', image)));
          const m = matchDetections(boxes, found.map((f) => f.box), iou);
          tp += m.tp; fp += m.fp; fn += m.fn;
        }
        row[`recall@${iou}`] = `${tp}/${tp + fn}`;
        row[`precision@${iou}`] = round(tp / (tp + fp), 3);
      }
      if (existsSync(noface)) {
        let n = 0;
        for (const f of await readdir(noface)) n += (await detector.detect(await loadFrame(join(noface, f)))).length;
        row.noface_faces = n;
      }
      await detector.release();
      rows.push(row);
      if (!json) console.log(JSON.stringify(row));
    }
  }
  return rows;
}

if (all || flag('--speed')) out.speed = await speed();
if (all || flag('--accuracy')) out.accuracy = await accuracy();
if (all || flag('--detection')) out.detection = await detection();
if (json) console.log(JSON.stringify(out));
