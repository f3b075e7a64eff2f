/**
 * Peer comparison anyone can rerun (devDependencies only, nothing downloaded at run time):
 * face-api SSD and Tiny, human BlazeFace+faceres (tfjs wasm backend, one thread) and FaceGate's
 * MTCNN and RFB door profiles (ORT CPU, one thread, int8 MobileFaceNet), one after another in one
 * process, on the same lfw-dev images placed on 250x250, 640x480 and 1280x720 canvases.
 * Per pipeline and size: median / p90 wall and CPU ms per image (pixels in, every face's
 * descriptor out; decoding excluded), and the ratio of each median to FaceGate's default. Then
 * each pipeline's LFW 1:1 accuracy on lfw-dev pairs (10 balanced blocks; the most central face;
 * when none is found, one retry at the pipeline's low thresholds; a miss after that counts as
 * "different").
 * Run: `npm run bench:peers -- [--images 100] [--pairs 1800] [--sizes 250x250,640x480,1280x720]
 *   [--runs 1] [--warmup 3] [--only mtcnn,mtcnn0709,fused,fused07,rfb,ssd,tiny,human] [--json]`
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { blockFolds, kFoldAccuracy } from '../../sdk/metrics/kfold.ts';
import { evenSubset, loadPairsCsv } from '../../calibration/pairs.ts';
import { mostCentralFace } from '../../sdk/detect/face-choice.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import { FRAME_SIZES, imageOnCanvas } from './peers/canvas.ts';
import { facegatePipeline } from './peers/facegate-profiles.ts';
import { faceApiPipeline, humanPipeline, tfjsWasm, type PeerPipeline } from './peers/tfjs-peers.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '100' }, pairs: { type: 'string', default: '1800' },
    sizes: { type: 'string' }, only: { type: 'string' }, json: { type: 'boolean' }, warmup: { type: 'string', default: '3' }, runs: { type: 'string', default: '1' },
  },
});
const LFW = join(DATA_DIR, 'lfw-dev');
if (!existsSync(join(LFW, 'pairs.csv'))) {
  console.error(`needs ${LFW} (pairs.csv and images/): see the data README`);
  process.exit(1);
}
const nImages = Number(values.images);
const nPairs = Number(values.pairs);
const warmup = Number(values.warmup);
const runs = Number(values.runs);
const sizes = values.sizes
  ? values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number])
  : FRAME_SIZES;
const PIPELINES = ['mtcnn', 'mtcnn0709', 'fused', 'fused07', 'rfb', 'ssd', 'tiny', 'human'] as const;
type PipelineKey = (typeof PIPELINES)[number];
const only = (values.only?.split(',') ?? [...PIPELINES]) as PipelineKey[];
const bad = only.filter((k) => !PIPELINES.includes(k)) ;
if (bad.length || !(nImages >= 0) || !(nPairs >= 0) || !(Number.isInteger(runs) && runs >= 1) || !(Number.isInteger(warmup) && warmup >= 0) || sizes.some(([w, h]) => !(w > 0 && h > 0))) {
  console.error(`bad arguments: --only takes ${PIPELINES.join(',')}; --images/--pairs take counts; --runs an integer >= 1, --warmup >= 0; --sizes WxH,...`);
  process.exit(2);
}

const { simd } = await tfjsWasm();
async function open(key: PipelineKey): Promise<PeerPipeline> {
  switch (key) {
    case 'mtcnn': return facegatePipeline('mtcnn');
    case 'mtcnn0709': return facegatePipeline('mtcnn0709');
    case 'fused': return facegatePipeline('fused');
    case 'fused07': return facegatePipeline('fused07');
    case 'rfb': return facegatePipeline('rfb');
    case 'ssd': return faceApiPipeline('ssd');
    case 'tiny': return faceApiPipeline('tiny');
    case 'human': return humanPipeline();
  }
}
const pipelines = new Map<PipelineKey, PeerPipeline>();
for (const key of only) pipelines.set(key, await open(key));

const { pairs: allPairs } = await loadPairsCsv(join(LFW, 'pairs.csv'), join(LFW, 'images'));
// Speed images: the first image of evenly spaced pairs (different people, deterministic).
const speedImages = evenSubset(allPairs, nImages).map((p) => p.a);

interface SpeedRow { pipeline: string; size: string; images: number; faces_per_image: number; wall_p50: number; wall_p90: number; cpu_p50: number; cpu_p90: number; cpu_p50_by_run?: number[] }
interface Samples { wall: number[]; cpu: number[]; faces: number; runP50: number[] }
// With --runs R, every size and pipeline is timed R times, round after round, and the samples are
// pooled: a burst of load from elsewhere on a shared machine then hits every pipeline alike.
const samples = new Map<string, Samples>();
for (let run = 0; run < runs; run++) {
  for (const [w, h] of sizes) {
    for (const [key, p] of pipelines) {
      const s = samples.get(`${key} ${w}x${h}`) ?? { wall: [], cpu: [], faces: 0, runP50: [] };
      samples.set(`${key} ${w}x${h}`, s);
      const cpuThisRun: number[] = [];
      for (let i = -Math.min(warmup, speedImages.length); i < speedImages.length; i++) {
        const frame = await imageOnCanvas(speedImages[(i + speedImages.length) % speedImages.length], w, h);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const found = await p.faces(frame);
        const t = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (i < 0) continue; // warm-up
        s.wall.push(t);
        cpuThisRun.push((c.user + c.system) / 1000);
        s.faces += found.length;
      }
      s.cpu.push(...cpuThisRun);
      s.runP50.push(round(quantile(cpuThisRun.sort((x, y) => x - y), 0.5), 1));
      if (!values.json) console.error(`speed ${key} ${w}x${h}${runs > 1 ? ` run ${run + 1}/${runs}` : ''}: CPU p50 ${s.runP50.at(-1)} ms`);
    }
  }
}
const speed: SpeedRow[] = [];
for (const [w, h] of sizes) {
  for (const key of pipelines.keys()) {
    const { wall, cpu, faces, runP50 } = samples.get(`${key} ${w}x${h}`)!;
    wall.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    speed.push({
      pipeline: key, size: `${w}x${h}`, images: wall.length, faces_per_image: round(faces / Math.max(1, wall.length), 2),
      wall_p50: round(quantile(wall, 0.5), 1), wall_p90: round(quantile(wall, 0.9), 1), cpu_p50: round(quantile(cpu, 0.5), 1), cpu_p90: round(quantile(cpu, 0.9), 1),
      ...(runs > 1 ? { cpu_p50_by_run: runP50 } : {}),
    });
  }
}
// Ratios against FaceGate's default (MTCNN) and RFB at the same size, on medians.
const ratio = (row: SpeedRow, base: PipelineKey, field: 'wall_p50' | 'cpu_p50') => {
  const b = speed.find((r) => r.pipeline === base && r.size === row.size);
  return b && b[field] > 0 ? round(row[field] / b[field], 1) : null;
};
const speedTable = speed.map((r) => ({
  ...r, pipeline: pipelines.get(r.pipeline as PipelineKey)!.name,
  x_mtcnn_wall: ratio(r, 'mtcnn', 'wall_p50'), x_mtcnn_cpu: ratio(r, 'mtcnn', 'cpu_p50'), x_mtcnn0709_cpu: ratio(r, 'mtcnn0709', 'cpu_p50'), x_fused_cpu: ratio(r, 'fused', 'cpu_p50'), x_rfb_cpu: ratio(r, 'rfb', 'cpu_p50'),
}));

/** Euclidean distance; a missing face on either side scores as far as any pair can be. */
function pairDistance(a: Float32Array | null, b: Float32Array | null): number {
  if (!a || !b) return 1e9;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

const accuracy: Record<string, unknown>[] = [];
if (nPairs > 0) {
  const pairs = evenSubset(allPairs, nPairs);
  const same = Int32Array.from(pairs, (p) => (p.same ? 1 : 0));
  const folds = blockFolds(same, 10);
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  for (const [key, p] of pipelines) {
    const emb = new Map<string, Float32Array | null>();
    let retried = 0, missed = 0;
    for (const path of images) {
      const frame = await imageOnCanvas(path, 250, 250);
      let faces = await p.faces(frame);
      if (!faces.length) { retried++; faces = await p.faces(frame, true); }
      const i = mostCentralFace(faces.map((f) => ({ box: f.box, score: 1, landmarks5: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]] })), frame.width, frame.height);
      if (i < 0) missed++;
      emb.set(path, i >= 0 ? faces[i].embedding : null);
    }
    // Raw and unit-length descriptors: each peer gets whichever of the two its 10 folds like better.
    const raw = kFoldAccuracy(pairs.map((q) => pairDistance(emb.get(q.a)!, emb.get(q.b)!)), same, folds);
    const u = (v: Float32Array | null) => (v ? unit(v) : null);
    const normed = kFoldAccuracy(pairs.map((q) => pairDistance(u(emb.get(q.a)!), u(emb.get(q.b)!))), same, folds);
    const best = normed.mean > raw.mean ? { r: normed, metric: 'unit-length' } : { r: raw, metric: 'raw' };
    accuracy.push({
      pipeline: p.name, descriptor: p.describe, compared: best.metric, pairs: pairs.length, images: images.length,
      acc_pct: round(100 * best.r.mean, 2), std_pct: round(100 * best.r.std, 2), retried_low: retried, no_face: missed,
    });
    if (!values.json) console.error(`accuracy ${key}: ${accuracy.at(-1)!.acc_pct}%`);
  }
}
for (const p of pipelines.values()) await p.release();

const conditions = { load_avg_end: loadavg().map((x) => round(x, 2)), wasm_simd: simd, images: speedImages.length, warmup, runs, node: process.version };
if (values.json) console.log(JSON.stringify({ conditions, speed: speedTable, accuracy }));
else {
  console.log(conditions);
  console.table(speedTable);
  if (accuracy.length) console.table(accuracy);
}
process.exit(0);
