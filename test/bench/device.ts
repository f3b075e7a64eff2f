/**
 * Device loop benchmark: an ffmpeg MJPEG stream (640x480, one real face) into `startDevice`, with
 * the embedded broker. Reports sustained fps, capture-to-processed latency p50/p99, CPU and RSS
 * over time (growth check). CPU ms per processed frame (process.cpuUsage, all threads) holds up on
 * a loaded machine where wall times do not; per-stage figures come from the loop's FrameStats.
 * The camera's ffmpeg decoder runs in a child process: its CPU is reported apart.
 * Run: `npx tsx test/bench/device.ts [--seconds 600] [--detector mtcnn|rfb] [--factor 0.6] [--merge 0.4] [--precision fp32|int8|auto]
 *   [--min-face 80] [--threads 1] [--reembed-every 5] [--full-every 5] [--fps 15] [--serve-fps 15] [--embedder mobilefacenet-192|fusion-mfn192-fr512] [--json]`
 * `--full-every 1` searches the whole frame every frame (no track-guided detection).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fetchSource } from '../../models/fetch/fetch-source.ts';
import { parseConfig } from '../../device/config/load-config.ts';
import { startDevice } from '../../device/run-device.ts';
import type { FrameStats } from '../../device/loop/frame-loop.ts';
import { freePort } from '../helpers/ports.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' }, factor: { type: 'string' }, merge: { type: 'string' }, detector: { type: 'string', default: 'mtcnn' }, fps: { type: 'string', default: '15' }, json: { type: 'boolean' },
    image: { type: 'string' }, precision: { type: 'string', default: 'fp32' }, threads: { type: 'string', default: '1' }, 'reembed-every': { type: 'string', default: '5' },
    'serve-fps': { type: 'string' }, 'min-face': { type: 'string', default: '80' }, 'full-every': { type: 'string' }, embedder: { type: 'string', default: 'mobilefacenet-192' },
  },
});
const seconds = Number(values.seconds);
const image = values.image ?? join(await fetchSource('faceapi'), 'demo', 'sample1.jpg');
const port = await freePort();
const work = await mkdtemp(join(tmpdir(), 'fg-bench-device-'));
// The camera: one face cropped out of the group photo (one person, as at a door), encoded once and
// served as is, so the simulated camera costs no decoding on the shared machine. An HTTP MJPEG
// stream carries no timestamps: `--serve-fps` is what the camera sends, `--fps` what the device asks.
const still = join(work, 'camera.jpg');
await new Promise<void>((resolve, reject) => spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', image,
  '-vf', 'crop=iw*0.4:ih*0.6:0:ih*0.2,scale=640:480', '-q:v', '4', still], { stdio: 'ignore' })
  .on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg could not prepare ${still} (exit ${c})`)))));
const server = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-loop', '1', '-framerate', values['serve-fps'] ?? values.fps!, '-i', still,
  '-c:v', 'copy', '-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/cam.mjpg`], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const cfg = parseConfig({
  site: 'bench', device: 'door-1', camera: { type: 'stream', url: `http://127.0.0.1:${port}/cam.mjpg`, width: 640, height: 480, fps: Number(values.fps) },
  mqtt: { embeddedPort: 0, homeAssistant: false }, gallery: { db: join(work, 'gallery') }, match: { fpir: 0.001 },
  pipeline: { detector: values.detector, embedder: values.embedder, minFaceSize: Number(values['min-face']), ...(values.factor ? { mtcnnFactor: Number(values.factor) } : {}), ...(values.merge ? { mtcnnMerge: Number(values.merge) } : {}) }, http: { port: 0 },
  runtime: { providers: ['cpu'], precision: values.precision, threads: Number(values.threads) },
});

/** CPU ms (user + system) of this process's ffmpeg children other than the test server. */
async function sourceCpuMs(): Promise<number> {
  let ms = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === server.pid) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (!m || m[1] !== 'ffmpeg' || Number(m[2]) !== process.pid) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms += ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in USER_HZ (100 on Linux)
  }
  return ms;
}

const latencies: number[] = [];
const stats: FrameStats[] = [];
const fullEvery = values['full-every'] === undefined ? undefined : Number(values['full-every']);
const device = await startDevice(cfg, { reembedEvery: Number(values['reembed-every']), fullDetectEvery: fullEvery, onFrameDone: (ms, _n, s) => { latencies.push(ms); stats.push(s); } });
const src0 = await sourceCpuMs();
const cpu0 = process.cpuUsage();
const frames0 = latencies.length;
const t0 = performance.now();
const rss: { s: number; mb: number }[] = [];
const sampler = setInterval(() => rss.push({ s: Math.round((performance.now() - t0) / 1000), mb: round(process.memoryUsage().rss / 1e6, 1) }), 10_000);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(sampler);
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const frames = latencies.length - frames0;
const srcMs = (await sourceCpuMs()) - src0;
const dropped = (await device.metrics.framesDropped.get()).values[0]?.value ?? 0;
await device.stop();
server.kill('SIGKILL');
const sorted = [...latencies].sort((a, b) => a - b);
const median = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5), 1);
const mean = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), 1);
const embedding = stats.filter((s) => s.embedded > 0);
const full = stats.filter((s) => s.fullPass);
const around = stats.filter((s) => !s.fullPass);
const result = {
  detector: values.detector, min_face: Number(values['min-face']), serve_fps: Number(values['serve-fps'] ?? values.fps), precision: values.precision, threads: Number(values.threads), reembed_every: Number(values['reembed-every']), full_every: fullEvery ?? cfg.pipeline.fullDetectEvery, mtcnn_factor: cfg.pipeline.mtcnnFactor, mtcnn_merge: cfg.pipeline.mtcnnMerge,
  load_avg: loadavg().map((x) => round(x, 2)), seconds: round(elapsed, 1), frames: latencies.length, fps: round(frames / elapsed, 2), dropped,
  faces_per_frame: round(stats.reduce((n, s) => n + s.faces, 0) / Math.max(1, stats.length), 2),
  embedded_per_frame: round(stats.reduce((n, s) => n + s.embedded, 0) / Math.max(1, stats.length), 2),
  checked_per_frame: round(stats.reduce((n, s) => n + s.checked, 0) / Math.max(1, stats.length), 2),
  latency_p50_ms: round(quantile(sorted, 0.5), 1), latency_p99_ms: round(quantile(sorted, 0.99), 1),
  cpu_percent: round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100, 1),
  cpu_ms_per_frame: round((cpu.user + cpu.system) / 1000 / Math.max(1, frames), 1),
  loop_cpu_ms_per_frame: mean(stats.map((s) => s.cpuMs)),
  detect_ms_p50: median(stats.map((s) => s.detectMs)), detect_cpu_ms_mean: mean(stats.map((s) => s.detectCpuMs)),
  full_pass_share: round(full.length / Math.max(1, stats.length), 3),
  detect_cpu_ms_full: mean(full.map((s) => s.detectCpuMs)), detect_cpu_ms_around: around.length ? mean(around.map((s) => s.detectCpuMs)) : null,
  embed_ms_p50: median(embedding.map((s) => s.embedMs)), embed_cpu_ms_mean: mean(embedding.map((s) => s.embedCpuMs)),
  source_ffmpeg_cpu_percent: round((srcMs / 1000 / elapsed) * 100, 1),
  rss_mb_first: rss[0]?.mb, rss_mb_last: rss.at(-1)?.mb, rss_mb_min: Math.min(...rss.map((r) => r.mb)), rss_mb_max: Math.max(...rss.map((r) => r.mb)), rss_samples: rss.length,
  // Second half vs first half of the run: a leak shows as a rise, startup allocation does not.
  rss_mb_half_delta: rss.length >= 4 ? round(mean(rss.slice(rss.length >> 1).map((r) => r.mb)) - mean(rss.slice(0, rss.length >> 1).map((r) => r.mb)), 1) : null,
};
console.log(values.json ? JSON.stringify(result) : result);
process.exit(0);
