/**
 * Does the console slow the door? A device with the console on, a files camera showing one face
 * (640x480, cropped from a face-api demo photo), in alternating phases: console closed (no
 * client) and console open (headless Chromium on the Live page: the MJPEG view at the console's
 * rate cap, the SSE stream and the page's status polls). Per phase: frame-loop latency p50/p99
 * (capture to processed), loop CPU ms per frame (FrameStats), and this process's CPU, which holds
 * the device and the live-view encoding (Chromium is another process: its CPU is not the door's).
 * Run: `npx tsx test/bench/console.ts [--seconds 30] [--rounds 2] [--fps 5] [--live-fps 5] [--json]`
 */
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { fetchSource } from '../../models/fetch/fetch-source.ts';
import { parseConfig } from '../../device/config/load-config.ts';
import { startDevice } from '../../device/run-device.ts';
import { Credentials, defaultCredentialsPath } from '../../device/console/credentials.ts';
import type { FrameStats } from '../../device/loop/frame-loop.ts';
import { CHROMIUM } from '../integration/calibration/render-report.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, rounds: { type: 'string', default: '2' }, fps: { type: 'string', default: '5' }, 'live-fps': { type: 'string', default: '5' }, json: { type: 'boolean' } } });
const seconds = Number(values.seconds);
const work = await mkdtemp(join(tmpdir(), 'fg-bench-console-'));
const still = join(work, 'camera.jpg');
const photo = join(await fetchSource('faceapi'), 'demo', 'sample1.jpg');
const meta = await sharp(photo).metadata();
await sharp(photo).extract({ left: 0, top: Math.round(meta.height! * 0.2), width: Math.round(meta.width! * 0.4), height: Math.round(meta.height! * 0.6) }).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(still);
const password = 'bench password 123';
const galleryDir = join(work, 'gallery');
await (await Credentials.open(defaultCredentialsPath(galleryDir))).setAdminPassword(password);
const cfg = parseConfig({
  site: 'bench', device: 'door-1', camera: { type: 'files', path: still, fps: Number(values.fps), loop: true },
  mqtt: { embeddedPort: 0, homeAssistant: false }, gallery: { db: galleryDir }, match: { threshold: 0.95 },
  pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 80 }, http: { port: 0 }, liveness: { enabled: false },
  console: { enabled: true, port: 0, liveFps: Number(values['live-fps']) },
});
let current: { lat: number[]; stats: FrameStats[] } = { lat: [], stats: [] };
const device = await startDevice(cfg, { onFrameDone: (ms, _n, s) => { current.lat.push(ms); current.stats.push(s); } });
const origin = new URL(device.consoleUrl!).origin;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
await new Promise((r) => setTimeout(r, 5000)); // warm-up: sessions, first track decided

interface Phase { console: 'closed' | 'open'; seconds: number; frames: number; latency_p50_ms: number; latency_p99_ms: number; loop_cpu_ms_per_frame: number; process_cpu_percent: number; live_frames_sent: number }
async function phase(open: boolean): Promise<Phase> {
  const page = open ? await browser.newPage({ viewport: { width: 1360, height: 860 } }) : null;
  if (page) {
    await page.goto(`${origin}/console/`);
    await page.fill('#login-form [name=password]', password);
    await page.click('#login-form button[type=submit]');
    await page.locator('#app').waitFor();
    await page.goto(`${origin}/console/#/live`);
    await page.waitForTimeout(1000);
  }
  const hub0 = hubFrames();
  current = { lat: [], stats: [] };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { lat, stats } = current;
  const sent = hubFrames() - hub0;
  await page?.close();
  await new Promise((r) => setTimeout(r, 1000));
  const sorted = [...lat].sort((a, b) => a - b);
  return {
    console: open ? 'open' : 'closed', seconds: round(elapsed, 1), frames: lat.length,
    latency_p50_ms: round(quantile(sorted, 0.5), 1), latency_p99_ms: round(quantile(sorted, 0.99), 1),
    loop_cpu_ms_per_frame: round(stats.reduce((a, s) => a + s.cpuMs, 0) / Math.max(1, stats.length), 1),
    process_cpu_percent: round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100, 1), live_frames_sent: sent,
  };
}
const hubFrames = () => device.console!.liveFramesSent();
const phases: Phase[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  phases.push(await phase(false));
  phases.push(await phase(true));
}
await browser.close();
await device.stop();
const of = (c: string, k: keyof Phase) => phases.filter((p) => p.console === c).map((p) => p[k] as number);
const med = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5), 1);
const summary = {
  load_avg: loadavg().map((x) => round(x, 2)), fps: Number(values.fps), live_fps: Number(values['live-fps']), phases,
  closed: { latency_p50_ms: med(of('closed', 'latency_p50_ms')), latency_p99_ms: med(of('closed', 'latency_p99_ms')), process_cpu_percent: med(of('closed', 'process_cpu_percent')), loop_cpu_ms_per_frame: med(of('closed', 'loop_cpu_ms_per_frame')) },
  open: { latency_p50_ms: med(of('open', 'latency_p50_ms')), latency_p99_ms: med(of('open', 'latency_p99_ms')), process_cpu_percent: med(of('open', 'process_cpu_percent')), loop_cpu_ms_per_frame: med(of('open', 'loop_cpu_ms_per_frame')) },
};
console.log(values.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2));
process.exit(0);
