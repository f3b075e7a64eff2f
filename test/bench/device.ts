/**
 * Device loop benchmark: an ffmpeg MJPEG stream (640x480, one real face) into `startDevice`, with
 * the embedded broker. Reports sustained fps, capture-to-processed latency p50/p99, CPU % and RSS
 * over time (growth check). Run: `npx tsx test/bench/device.ts [--seconds 600] [--detector mtcnn|rfb] [--json]`
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fetchSource } from '../../models/fetch/fetch-source.ts';
import { parseConfig } from '../../device/config/load-config.ts';
import { startDevice } from '../../device/run-device.ts';
import { freePort } from '../helpers/ports.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, detector: { type: 'string', default: 'mtcnn' }, fps: { type: 'string', default: '15' }, json: { type: 'boolean' }, image: { type: 'string' } } });
const seconds = Number(values.seconds);
const image = values.image ?? join(await fetchSource('faceapi'), 'demo', 'sample1.jpg');
const port = await freePort();
// Crop one face out of the group photo so the stream shows one person, as at a door.
const server = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-loop', '1', '-framerate', values.fps!, '-i', image,
  '-vf', 'crop=iw*0.4:ih*0.6:0:ih*0.2,scale=640:480', '-q:v', '4', '-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/cam.mjpg`], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const work = await mkdtemp(join(tmpdir(), 'fg-bench-device-'));
const cfg = parseConfig({
  site: 'bench', device: 'door-1', camera: { type: 'stream', url: `http://127.0.0.1:${port}/cam.mjpg`, width: 640, height: 480, fps: Number(values.fps) },
  mqtt: { embeddedPort: 0, homeAssistant: false }, gallery: { db: join(work, 'gallery') }, match: { threshold: 0.95 },
  pipeline: { detector: values.detector, embedder: 'mobilefacenet-192', minFaceSize: 80 }, http: { port: 0 },
});
const latencies: number[] = [];
let faces = 0;
const device = await startDevice(cfg, { onFrameDone: (ms, n) => { latencies.push(ms); faces += n; } });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const rss: { s: number; mb: number }[] = [];
const sampler = setInterval(() => rss.push({ s: Math.round((performance.now() - t0) / 1000), mb: round(process.memoryUsage().rss / 1e6, 1) }), 10_000);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(sampler);
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const dropped = (await device.metrics.framesDropped.get()).values[0]?.value ?? 0;
await device.stop();
server.kill('SIGKILL');
const sorted = [...latencies].sort((a, b) => a - b);
const result = {
  detector: values.detector, seconds: round(elapsed, 1), frames: latencies.length, fps: round(latencies.length / elapsed, 2), dropped,
  faces_per_frame: round(faces / Math.max(1, latencies.length), 2),
  latency_p50_ms: round(quantile(sorted, 0.5), 1), latency_p99_ms: round(quantile(sorted, 0.99), 1),
  cpu_percent: round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100, 1),
  rss_mb_first: rss[0]?.mb, rss_mb_last: rss.at(-1)?.mb, rss_samples: rss.length,
};
console.log(values.json ? JSON.stringify(result) : result);
process.exit(0);
