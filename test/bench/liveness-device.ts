/**
 * The liveness gate in the device loop: `startDevice` (files camera, embedded broker) replays, for
 * each NUAA live subject (enrolled from their first 3 live frames), their last 10 live frames and
 * their still printed-photo attack frames (6 empty frames between segments end each track); once with the gate on, once with `liveness.enabled: false`.
 * Reports per run: decisions per subject, faces scored, liveness ms per face (exact mean from the
 * device's histogram, p50/p95 as histogram bucket bounds), capture-to-done latency per frame and
 * process CPU seconds.
 * Run: `npx tsx test/bench/liveness-device.ts [--fps 2] [--json]`; skips when the data is absent.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { createPipeline } from '../../sdk/pipeline/index.ts';
import { largestFace } from '../../sdk/detect/face-choice.ts';
import { Gallery } from '../../sdk/gallery/index.ts';
import { parseConfig } from '../../device/config/load-config.ts';
import { startDevice, type PublishedDecision } from '../../device/run-device.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({ options: { fps: { type: 'string', default: '2' }, json: { type: 'boolean' } } });
const NUAA = resolve('../shared/data/spoof-nuaa-dev');
if (!existsSync(NUAA)) {
  console.log('skipped: needs ../shared/data/spoof-nuaa-dev');
  process.exit(0);
}
interface Row { image: string; label: string; attack_variant: string; subject: string }
const frameNo = (image: string) => Number(/_(\d+)\.jpg$/.exec(image)?.[1] ?? NaN);
const rows = parse(await readFile(join(NUAA, 'labels.csv')), { columns: true, skip_empty_lines: true, bom: true }) as Row[];
const subjects = [...new Set(rows.filter((r) => r.label === 'live').map((r) => r.subject))].sort();
const work = await mkdtemp(join(tmpdir(), 'fg-bench-liveness-'));
const gallery = join(work, 'gallery');
const frames = join(work, 'frames');
await mkdir(frames);
const pipeline = await createPipeline({ detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 });
const g = await Gallery.open(gallery, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true });
let n = 0;
const empty = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
const shown: { subject: string; kind: 'live' | 'attack' }[] = [];
for (const s of subjects) {
  const live = rows.filter((r) => r.subject === s && r.label === 'live').sort((a, b) => frameNo(a.image) - frameNo(b.image));
  const attack = rows.filter((r) => r.subject === s && r.attack_variant.includes('still')).sort((a, b) => frameNo(a.image) - frameNo(b.image));
  for (const r of live.slice(0, 3)) {
    const a = await pipeline.analyze(join(NUAA, r.image));
    g.enroll(s, [a.faces[largestFace(a.faces)].embedding], { source: r.image });
  }
  for (const [kind, set] of [['live', live.slice(-10)], ['attack', attack]] as const) {
    // An empty scene between segments ends the previous track (the tracker drops it after 5 missed frames).
    for (let i = 0; i < 6; i++) await writeFile(join(frames, `${String(++n).padStart(4, '0')}.jpg`), empty);
    for (const r of set) {
      await copyFile(join(NUAA, r.image), join(frames, `${String(++n).padStart(4, '0')}.jpg`));
      shown.push({ subject: s, kind });
    }
  }
}
await g.close();
await pipeline.release();

async function run(enabled: boolean) {
  const cfg = parseConfig({
    site: 'bench', device: 'door-1', camera: { type: 'files', path: frames, fps: Number(values.fps), loop: false },
    mqtt: { embeddedPort: 0, homeAssistant: false, queueDb: join(work, `queue-${enabled}.sqlite`) }, gallery: { db: gallery },
    match: { threshold: 1.0 }, pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 },
    decision: { votes: 2, window: 3, minInterEyePx: 15, minBlur: 5, cooldownSec: 0 }, http: { port: 0 },
    liveness: { enabled },
  });
  const latencies: number[] = [];
  const decisions: PublishedDecision[] = [];
  const cpu0 = process.cpuUsage();
  const device = await startDevice(cfg, { onFrameDone: (ms) => latencies.push(ms), onDecision: (d) => decisions.push(d) });
  await device.ended;
  await new Promise((r) => setTimeout(r, 1000)); // the last frame in flight
  const cpu = process.cpuUsage(cpu0);
  const h = (await device.metrics.livenessMs.get()).values;
  const count = h.find((v) => v.metricName === 'facegate_liveness_ms_count')?.value ?? 0;
  const sum = h.find((v) => v.metricName === 'facegate_liveness_ms_sum')?.value ?? 0;
  const buckets = h.filter((v) => v.metricName === 'facegate_liveness_ms_bucket').map((v) => ({ le: Number(v.labels.le), n: v.value }));
  const bucketBound = (q: number) => buckets.find((b) => b.n >= q * count)?.le;
  const dropped = (await device.metrics.framesDropped.get()).values[0]?.value ?? 0;
  await device.stop();
  const sorted = [...latencies].sort((a, b) => a - b);
  const bySubject: Record<string, Record<string, number>> = {};
  for (const d of decisions) {
    const key = `${d.decision}${d.reason ? `:${d.reason}` : ''}`;
    const s = (bySubject[d.identity ?? 'unknown'] ??= {});
    s[key] = (s[key] ?? 0) + 1;
  }
  return {
    liveness: enabled, frames: latencies.length, dropped, decisions: bySubject,
    faces_scored: count, liveness_ms_mean: count ? round(sum / count, 1) : null, liveness_ms_p50_le: count ? bucketBound(0.5) : null, liveness_ms_p95_le: count ? bucketBound(0.95) : null,
    frame_ms_p50: round(quantile(sorted, 0.5), 1), frame_ms_p95: round(quantile(sorted, 0.95), 1),
    cpu_s: round((cpu.user + cpu.system) / 1e6, 1),
  };
}

const result = { shown: { frames: shown.length, live: shown.filter((s) => s.kind === 'live').length, attack: shown.filter((s) => s.kind === 'attack').length, subjects }, loadavg: loadavg().map((x) => round(x, 1)), on: await run(true), off: await run(false) };
await rm(work, { recursive: true, force: true });
console.log(values.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
process.exit(0);
