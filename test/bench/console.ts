/**
 * Does the console slow the door? A device with the console on, a files camera showing one face
 * (640x480, cropped from a face-api demo photo), in interleaved phases A/B/A/B…: console closed
 * (no client) and console open (headless Chromium on the Live page: the MJPEG view at the
 * console's rate cap, the SSE stream and the page's status polls every 2 s).
 *
 * The device runs in a child process of its own (this file, forked), so its CPU is the door's
 * alone: not Playwright's driver (this process) nor Chromium (its own processes).
 * Per phase: frame-loop latency p50/p99 (capture to processed); the device process's CPU per
 * processed frame and in % of a core (device, console server, live-view encoding); loop CPU per
 * frame (FrameStats: detection to decision); Chromium's CPU (on a terminal the browser runs on
 * the operator's machine; here it shares the cores). The summary gives medians over phases of
 * each kind, open/closed changes, and the spread of the closed phases (the noise).
 *
 * `--still jpeg` (default): the camera's JPEG goes to the browser as is (webcam, JPEG replay);
 * `--still png`: the live view must encode every frame it sends (RTSP/ffmpeg sources).
 * Run: `nice -n 5 npx tsx test/bench/console.ts [--seconds 20] [--rounds 4] [--fps 5] [--live-fps 5] [--still jpeg|png] [--browser-nice 19] [--json]`
 */
import { fork } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rounds: { type: 'string', default: '4' }, fps: { type: 'string', default: '5' }, 'live-fps': { type: 'string', default: '5' }, still: { type: 'string', default: 'jpeg' }, 'browser-nice': { type: 'string', default: '0' }, json: { type: 'boolean' } } });
const password = 'bench password 123';

interface Reading { lat: number[]; loopCpuMs: number; cpuMs: number; sent: number; passed: number }
type ToDevice = { cmd: 'mark' } | { cmd: 'read' } | { cmd: 'stop' };

if (process.env.FG_BENCH_DEVICE) {
  // The device process: runs the door, answers marks and readings over IPC.
  const cfg = parseConfig(JSON.parse(process.env.FG_BENCH_DEVICE));
  let lat: number[] = [], loopCpuMs = 0, cpu0 = process.cpuUsage(), sent0 = 0, passed0 = 0;
  const device = await startDevice(cfg, { onFrameDone: (ms, _n, s: FrameStats) => { lat.push(ms); loopCpuMs += s.cpuMs; } });
  const con = device.console!;
  process.on('message', async (m: ToDevice) => {
    if (m.cmd === 'mark') {
      lat = []; loopCpuMs = 0; cpu0 = process.cpuUsage(); sent0 = con.liveFramesSent(); passed0 = con.liveFramesPassedThrough?.() ?? 0;
      process.send!({ marked: true });
    } else if (m.cmd === 'read') {
      const c = process.cpuUsage(cpu0);
      const r: Reading = { lat, loopCpuMs, cpuMs: (c.user + c.system) / 1000, sent: con.liveFramesSent() - sent0, passed: (con.liveFramesPassedThrough?.() ?? 0) - passed0 };
      process.send!({ reading: r });
    } else {
      await device.stop();
      process.exit(0);
    }
  });
  process.send!({ ready: device.consoleUrl });
  await new Promise(() => {});
}

const seconds = Number(values.seconds);
if (values.still !== 'jpeg' && values.still !== 'png') throw new Error('--still: jpeg or png');
const work = await mkdtemp(join(tmpdir(), 'fg-bench-console-'));
const still = join(work, `camera.${values.still}`);
const photo = join(await fetchSource('faceapi'), 'demo', 'sample1.jpg');
const meta = await sharp(photo).metadata();
const crop = sharp(photo).extract({ left: 0, top: Math.round(meta.height! * 0.2), width: Math.round(meta.width! * 0.4), height: Math.round(meta.height! * 0.6) }).resize(640, 480, { fit: 'fill' });
await (values.still === 'jpeg' ? crop.jpeg({ quality: 90 }) : crop.png()).toFile(still);
const galleryDir = join(work, 'gallery');
await (await Credentials.open(defaultCredentialsPath(galleryDir))).setAdminPassword(password);
const rawCfg = {
  site: 'bench', device: 'door-1', camera: { type: 'files', path: still, fps: Number(values.fps), loop: true },
  mqtt: { embeddedPort: 0, homeAssistant: false }, gallery: { db: galleryDir }, match: { threshold: 0.95 },
  pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 80 }, http: { port: 0 }, liveness: { enabled: false },
  console: { enabled: true, port: 0, liveFps: Number(values['live-fps']) },
};
parseConfig(rawCfg); // fail here, not in the child
const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, FG_BENCH_DEVICE: JSON.stringify(rawCfg) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let stopping = false;
child.on('exit', (code) => {
  if (stopping) return;
  console.error(`device process exited (${code})`);
  process.exit(1);
});
const reply = <T>(key: string) => new Promise<T>((resolve) => {
  const on = (m: Record<string, unknown>) => { if (key in m) { child.off('message', on); resolve(m[key] as T); } };
  child.on('message', on);
});
const consoleUrl = await reply<string>('ready');
const ask = <T>(cmd: ToDevice, key: string) => { const r = reply<T>(key); child.send(cmd); return r; };
const origin = new URL(consoleUrl).origin;
// --browser-nice N: Chromium at a lower priority, as if it took only the cycles the door leaves (on
// a terminal the operator's browser runs on another machine and costs the door nothing).
const niceness = Number(values['browser-nice']);
let executablePath = CHROMIUM;
if (niceness > 0) {
  executablePath = join(work, 'chromium-niced.sh');
  await writeFile(executablePath, `#!/bin/sh\nexec nice -n ${niceness} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
}
const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
await new Promise((r) => setTimeout(r, 5000)); // warm-up: sessions, first track decided

const TICK_MS = 1000 / 100; // USER_HZ on Linux
/** CPU ms of every process below this one (Chromium and its helpers), from /proc. */
async function childrenCpuMs(): Promise<number> {
  const procs: { pid: number; ppid: number; ticks: number }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    procs.push({ pid: Number(name), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
  }
  const kids = new Map<number, number[]>();
  for (const p of procs) (kids.get(p.ppid) ?? kids.set(p.ppid, []).get(p.ppid)!).push(p.pid);
  const ticks = new Map(procs.map((p) => [p.pid, p.ticks]));
  let sum = 0;
  const stack = (kids.get(process.pid) ?? []).filter((pid) => pid !== child.pid); // the device is measured apart
  while (stack.length) {
    const pid = stack.pop()!;
    sum += ticks.get(pid) ?? 0;
    stack.push(...(kids.get(pid) ?? []));
  }
  return sum * TICK_MS;
}

interface Phase {
  console: 'closed' | 'open'; seconds: number; frames: number; latency_p50_ms: number; latency_p99_ms: number;
  process_cpu_ms_per_frame: number; process_cpu_percent: number; loop_cpu_ms_per_frame: number; browser_cpu_percent: number;
  live_frames_sent: number; live_frames_passed_through: number; load1: number;
}
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
  await ask({ cmd: 'mark' }, 'marked');
  const browser0 = await childrenCpuMs();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const r = await ask<Reading>({ cmd: 'read' }, 'reading');
  const elapsed = (performance.now() - t0) / 1000;
  const browserMs = (await childrenCpuMs()) - browser0;
  await page?.close();
  await new Promise((r) => setTimeout(r, 1000));
  const sorted = [...r.lat].sort((a, b) => a - b);
  const frames = r.lat.length;
  return {
    console: open ? 'open' : 'closed', seconds: round(elapsed, 1), frames,
    latency_p50_ms: round(quantile(sorted, 0.5), 1), latency_p99_ms: round(quantile(sorted, 0.99), 1),
    process_cpu_ms_per_frame: round(r.cpuMs / Math.max(1, frames), 2), process_cpu_percent: round((r.cpuMs / 1000 / elapsed) * 100, 1),
    loop_cpu_ms_per_frame: round(r.loopCpuMs / Math.max(1, frames), 2),
    browser_cpu_percent: round((browserMs / 1000 / elapsed) * 100, 1),
    live_frames_sent: r.sent, live_frames_passed_through: r.passed, load1: round(loadavg()[0], 2),
  };
}
const phases: Phase[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  // A/B then B/A: neither kind always runs first in a round (drift in the machine's load cancels).
  const order = r % 2 === 0 ? [false, true] : [true, false];
  for (const open of order) {
    const p = await phase(open);
    phases.push(p);
    if (!values.json) console.error(JSON.stringify(p));
  }
}
await browser.close();
stopping = true;
child.send({ cmd: 'stop' });
await new Promise((r) => child.once('exit', r));
const KEYS = ['latency_p50_ms', 'latency_p99_ms', 'process_cpu_ms_per_frame', 'process_cpu_percent', 'loop_cpu_ms_per_frame', 'browser_cpu_percent', 'live_frames_sent', 'live_frames_passed_through'] as const;
const med = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5), 2);
const medians = (kind: Phase['console']) => Object.fromEntries(KEYS.map((k) => [k, med(phases.filter((p) => p.console === kind).map((p) => p[k]))])) as Record<(typeof KEYS)[number], number>;
const closed = medians('closed'), open = medians('open');
const change = (k: 'latency_p50_ms' | 'latency_p99_ms' | 'process_cpu_ms_per_frame' | 'process_cpu_percent') => `${round((open[k] / closed[k] - 1) * 100, 1)}%`;
const summary = {
  load_avg: loadavg().map((x) => round(x, 2)), fps: Number(values.fps), live_fps: Number(values['live-fps']), still: values.still, browser_nice: niceness, seconds, rounds: Number(values.rounds),
  closed, open,
  open_vs_closed: { latency_p50: change('latency_p50_ms'), latency_p99: change('latency_p99_ms'), process_cpu_per_frame: change('process_cpu_ms_per_frame'), process_cpu_percent: change('process_cpu_percent') },
  // Per round (its closed and open phases run back to back): open minus closed, median over rounds.
  paired_open_minus_closed: Object.fromEntries((['latency_p50_ms', 'latency_p99_ms', 'process_cpu_ms_per_frame', 'process_cpu_percent', 'loop_cpu_ms_per_frame'] as const).map((k) => {
    const diffs = Array.from({ length: Number(values.rounds) }, (_, r) => {
      const pair = phases.slice(2 * r, 2 * r + 2);
      return pair.find((p) => p.console === 'open')![k] - pair.find((p) => p.console === 'closed')![k];
    });
    return [k, med(diffs)];
  })),
  // Noise: the spread of the closed phases alone (max/min of their p50 and CPU per frame).
  closed_spread: {
    latency_p50_ms: [Math.min(...phases.filter((p) => p.console === 'closed').map((p) => p.latency_p50_ms)), Math.max(...phases.filter((p) => p.console === 'closed').map((p) => p.latency_p50_ms))],
    process_cpu_ms_per_frame: [Math.min(...phases.filter((p) => p.console === 'closed').map((p) => p.process_cpu_ms_per_frame)), Math.max(...phases.filter((p) => p.console === 'closed').map((p) => p.process_cpu_ms_per_frame))],
  },
  phases,
};
console.log(values.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2));
process.exit(0);
