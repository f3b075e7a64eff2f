/**
 * Per-stage median ms of the face pipeline on real photos, one core (ORT intra-op threads = 1,
 * JS single-threaded): a 640x480 frame with one face and a 1280x720 frame with five, both cut
 * from the face-api demo photos with sharp. Models missing from the pack are skipped.
 * Besides wall time, each row gives the median CPU time of the process per call (cpu_ms): on a
 * shared machine wall time grows with the load average, CPU time much less.
 * Run: `npx tsx test/bench/pipeline.ts [--json] [--runs N]`.
 */
import { loadavg } from 'node:os';
import sharp from 'sharp';
import { loadFrame } from '../../sdk/image/load-frame.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import { MtcnnDetector, type MtcnnStats } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { RfbDetector, type RfbStats } from '../../sdk/detect/rfb/rfb-detector.ts';
import { OnnxEmbedder, EMBEDDER_IDS } from '../../sdk/embed/onnx-embedder.ts';
import { createPipeline, type PipelineConfig } from '../../sdk/pipeline/create-pipeline.ts';
import type { Detector, Landmarks5 } from '../../sdk/types.ts';
import { PACK_DIR } from '../../models/paths.ts';
import { demoPhotos } from '../helpers/demo-photos.ts';
import { quantile, round } from './stats.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const photos = await demoPhotos();
const pack = await ModelPack.open(PACK_DIR);
const has = (...ids: string[]) => ids.every((id) => pack.manifest.models.some((m) => m.id === id));

// sample1's right-hand face alone in a 640x480 window; sample5 (five faces) at 1280 wide, top 720 rows.
const frames: { name: string; jpeg: Uint8Array }[] = [
  { name: '640x480, 1 face', jpeg: new Uint8Array(await sharp(photos[0]).extract({ left: 1280, top: 100, width: 640, height: 480 }).jpeg({ quality: 90 }).toBuffer()) },
  { name: '1280x720, 5 faces', jpeg: new Uint8Array(await sharp(photos[4]).resize(1280).extract({ left: 0, top: 0, width: 1280, height: 720 }).jpeg({ quality: 90 }).toBuffer()) },
];

const rows: Record<string, unknown>[] = [];
const median = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5));

/** Median and p95 wall ms and median process CPU ms (user + system, all threads) per call. */
async function timeIt(fn: () => Promise<unknown>, opts: { runs: number; warmup?: number }): Promise<{ median: number; p95: number; cpu: number }> {
  for (let i = 0; i < (opts.warmup ?? 3); i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  return { median: quantile(wall, 0.5), p95: quantile(wall, 0.95), cpu: median(cpu) };
}

for (const { name, jpeg } of frames) {
  const frame = await loadFrame(jpeg);
  const t = await timeIt(() => loadFrame(jpeg), { runs: RUNS });
  rows.push({ frame: name, stage: 'decode (sharp, JPEG q90)', median_ms: round(t.median), p95_ms: round(t.p95), cpu_ms: t.cpu });

  const detectors: { label: string; make: () => Promise<Detector> }[] = [];
  if (has('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet')) {
    for (const minFaceSize of [20, 40, 80]) detectors.push({ label: `detect mtcnn min ${minFaceSize}`, make: () => MtcnnDetector.create(pack, { minFaceSize }) });
  }
  if (has('rfb-320', 'landmark-68')) detectors.push({ label: 'detect rfb-320 + landmark-68', make: () => RfbDetector.create(pack) });

  let landmarks: Landmarks5[] = [];
  for (const { label, make } of detectors) {
    const det = await make();
    const stats: (MtcnnStats | RfbStats)[] = [];
    let faces = 0;
    const td = await timeIt(async () => {
      const found = await det.detect(frame);
      faces = found.length;
      if (!landmarks.length) landmarks = found.map((f) => f.landmarks5); // the first detector's faces feed the embedders
      const s = (det as MtcnnDetector | RfbDetector).lastStats;
      if (s) stats.push({ ...s });
    }, { runs: RUNS });
    const parts: Record<string, number> = {};
    for (const k of Object.keys(stats[0] ?? {}) as (keyof (MtcnnStats & RfbStats))[]) {
      parts[k] = median(stats.map((s) => (s as MtcnnStats & RfbStats)[k] ?? 0));
    }
    rows.push({ frame: name, stage: label, faces, median_ms: round(td.median), p95_ms: round(td.p95), cpu_ms: td.cpu, parts: JSON.stringify(parts) });
    await det.release();
  }

  const lm = landmarks;
  for (const id of EMBEDDER_IDS.filter((e) => has(e) && lm.length)) {
    for (const flip of [false, true]) {
      const emb = await OnnxEmbedder.create(pack, id, { flip });
      const te = await timeIt(() => emb.embedFaces(frame, lm), { runs: RUNS });
      rows.push({ frame: name, stage: `align+embed ${id}${flip ? ' +flip' : ''} (batch ${lm.length})`, faces: lm.length,
        median_ms: round(te.median), p95_ms: round(te.p95), cpu_ms: te.cpu, per_face_ms: round(te.median / lm.length), per_face_cpu_ms: round(te.cpu / lm.length) });
      await emb.release();
    }
  }

  const combos: [string, PipelineConfig, string[]][] = [
    ['analyze mtcnn min 80 + mobilefacenet-192', { minFaceSize: 80 }, ['mtcnn-pnet', 'mobilefacenet-192']],
    ['analyze rfb + fr-feature-512', { detector: 'rfb', embedder: 'fr-feature-512' }, ['rfb-320', 'fr-feature-512']],
  ];
  for (const [label, config, ids] of combos) {
    if (!has(...ids)) continue;
    const p = await createPipeline(config);
    const timings: { decodeMs: number; detectMs: number; embedMs: number; totalMs: number }[] = [];
    const ta = await timeIt(async () => { timings.push((await p.analyze(jpeg)).timings); }, { runs: RUNS });
    const last = timings.slice(-RUNS);
    rows.push({ frame: name, stage: label, median_ms: median(last.map((x) => x.totalMs)), cpu_ms: ta.cpu,
      parts: JSON.stringify({ decode: median(last.map((x) => x.decodeMs)), detect: median(last.map((x) => x.detectMs)), embed: median(last.map((x) => x.embedMs)) }) });
    await p.release();
  }
}

const meta = { runs: RUNS, loadavg_1m: round(loadavg()[0]), node: process.version };
if (process.argv.includes('--json')) console.log(JSON.stringify({ meta, rows }));
else {
  console.log(meta);
  console.table(rows);
}

