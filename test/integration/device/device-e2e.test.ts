/**
 * End to end on real parts: real photos (lfw-dev), the real model pack, a real Mosquitto, the
 * `facegate run` process, an ffmpeg MJPEG stream. Person A is enrolled from 2 images; the camera
 * then shows other images of A, empty scenes, a stranger and a corrupt frame.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, mkdir, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { REPO_ROOT } from '../../../models/paths.ts';
import { createPipeline } from '../../../sdk/pipeline/index.ts';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { parseConfig } from '../../../device/config/load-config.ts';
import { startDevice } from '../../../device/run-device.ts';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';
import { freePort, waitFor } from '../../helpers/ports.ts';

const skip = needData('lfw-dev') || needData('noface-dev') || needModels('mtcnn-pnet', 'mobilefacenet-192') || (hasMosquitto ? false : 'mosquitto not installed');
const lfw = join(DATA_DIR, 'lfw-dev');
const bin = join(REPO_ROOT, 'bin', 'facegate.js');
let broker: Mosquitto;
let work: string;
let galleryDir: string;
let person: { id: string; enrol: string[]; probes: string[] };
let stranger: string;

before(async () => {
  if (skip) return;
  broker = await Mosquitto.start();
  work = await mkdtemp(join(tmpdir(), 'fg-e2e-'));
  const gallery = parse(await readFile(join(lfw, 'ident_gallery.csv')), { columns: true, skip_empty_lines: true }) as { identity: string; image: string }[];
  const probes = parse(await readFile(join(lfw, 'ident_probes.csv')), { columns: true, skip_empty_lines: true }) as { image: string; true_identity: string }[];
  const id = gallery[0].identity;
  person = { id, enrol: gallery.filter((g) => g.identity === id).map((g) => join(lfw, 'images', g.image)), probes: probes.filter((p) => p.true_identity === id).map((p) => join(lfw, 'images', p.image)) };
  stranger = join(lfw, 'images', probes.find((p) => p.true_identity === 'UNKNOWN')!.image);
  galleryDir = join(work, 'gallery');
  const pipeline = await createPipeline({ detector: 'mtcnn', embedder: 'mobilefacenet-192' });
  const g = await Gallery.open(galleryDir, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true });
  for (const image of person.enrol) {
    const r = await pipeline.analyze(image);
    assert.ok(r.faces.length > 0, `face in ${image}`);
    g.enroll(person.id, [r.faces[0].embedding], { source: image });
  }
  await g.close();
  await pipeline.release();
});

after(async () => {
  await broker?.dispose();
});

function config(camera: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    site: 'e2e', device: 'door-1', camera,
    mqtt: { url: broker.url, homeAssistant: false, queueDb: join(work, `queue-${Math.random().toString(36).slice(2)}.sqlite`) },
    gallery: { db: galleryDir },
    match: { threshold: 1.0, margin: 0.05 },
    pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 },
    decision: { votes: 2, window: 3, minInterEyePx: 15, minBlur: 5, cooldownSec: 60 },
    http: { port: 0 },
    ...extra,
  };
}

test('facegate run: grant once for A, unknown once for a stranger, nothing for empty frames; bad frame -> event; SIGTERM -> offline, exit 0', { skip, timeout: 180_000 }, async () => {
  const frames = join(work, 'frames');
  await mkdir(frames, { recursive: true });
  const noface = join(DATA_DIR, 'noface-dev', 'images', 'brick.png');
  const sequence = [person.probes[0], person.probes[0], person.probes[0], person.probes[1], person.probes[1], person.probes[1],
    noface, noface, noface, stranger, stranger, stranger, noface, noface, noface];
  let i = 0;
  for (const src of sequence) await copyFile(src, join(frames, `${String(++i).padStart(3, '0')}${src.slice(src.lastIndexOf('.'))}`));
  await writeFile(join(frames, '999.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46])); // truncated JPEG
  const cfgPath = join(work, 'device.json');
  await writeFile(cfgPath, JSON.stringify(config({ type: 'files', path: frames, fps: 2, loop: false })));
  const sub = await Collector.start(broker.url, ['facegate/e2e/door-1/#']);
  const child = spawn(process.execPath, [bin, 'run', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  try {
    const events = () => sub.json<{ type: string }>('facegate/e2e/door-1/event');
    await waitFor(() => events().some((e) => e.type === 'bad_frame') || child.exitCode !== null, 150_000, 'the corrupt last frame to be reported');
    assert.equal(child.exitCode, null, `device still running: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 1000));
    const decisions = sub.json<{ id: string; decision: string; identity: string | null; distance: number; threshold: number; model: string }>('facegate/e2e/door-1/decision');
    assert.deepEqual(decisions.map((d) => [d.decision, d.identity]), [['grant', person.id], ['unknown', null]], JSON.stringify(decisions));
    assert.ok(decisions[0].distance <= 1.0 && decisions[1].distance > 1.0);
    assert.equal(decisions[0].model, 'mobilefacenet-192');
    assert.ok(sub.on('facegate/e2e/door-1/decision').every((m) => !m.retain), 'decisions are never retained');
    // stdout carries the same decisions as JSON lines, with the ids that went over MQTT.
    const printed = stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    assert.deepEqual(printed.map((p) => p.id), decisions.map((d) => d.id));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, stderr.slice(-2000));
    await waitFor(() => sub.json<{ state: string }>('facegate/e2e/door-1/status').at(-1)?.state === 'offline', 5000, 'offline status');
  } finally {
    child.kill('SIGKILL');
    await sub.close();
  }
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
// ffmpeg -listen 1 serves a single client: the stall timeout is generous so a slow first frame on a
// loaded machine does not make the source drop the only connection the server will accept.
function serveMjpeg(image: string, port: number) {
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-loop', '1', '-framerate', '5', '-i', image,
    '-vf', 'scale=640:480', '-q:v', '5', '-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/cam.mjpg`], { stdio: 'ignore' });
}

test('stream camera killed mid-run: the source restarts, the device keeps running, status and metrics say so', { skip: skip || (hasFfmpeg ? false : 'ffmpeg not installed'), timeout: 120_000 }, async () => {
  const port = await freePort();
  let server = serveMjpeg(person.probes[2] ?? person.probes[0], port);
  await new Promise((r) => setTimeout(r, 500));
  const cfg = parseConfig(config({ type: 'stream', url: `http://127.0.0.1:${port}/cam.mjpg`, width: 640, height: 480, fps: 5, stallTimeoutSec: 10 }, { gallery: { db: galleryDir, hnsw: { m: 24, ef: 96, efFirst: 48 } } }));
  const sub = await Collector.start(broker.url, ['facegate/e2e/door-1/#']);
  const device = await startDevice(cfg);
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${device.httpPort}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const status = () => sub.json<{ state: string; camera?: string }>('facegate/e2e/door-1/status').at(-1);
  try {
    await waitFor(async () => (await metric('facegate_frames_total')) >= 3, 60_000, 'frames processed');
    assert.equal(await metric('facegate_camera_up'), 1);
    await waitFor(() => status()?.camera === 'ok', 10_000, 'status camera ok');
    // The operating point in effect: the raw threshold given, and the stranger rate it implies for
    // this gallery (one person, 2 templates: measured 5.4e-4 from MobileFaceNet's stored tail).
    assert.equal(await metric('facegate_match_threshold'), 1);
    assert.equal(await metric('facegate_match_target_fpir'), 0.001);
    const implied = await metric('facegate_match_implied_fpir');
    assert.ok(implied > 0 && implied < 0.01, `implied FPIR ${implied}`);
    const match = (status() as { match?: { threshold: number; source: string; impliedFpir: number; templates: number } }).match;
    assert.deepEqual([match?.threshold, match?.source, match?.templates], [1, 'threshold', 2]);
    assert.ok(Math.abs((match?.impliedFpir ?? 0) - implied) < 1e-5);
    server.kill('SIGKILL');
    await waitFor(async () => (await metric('facegate_camera_up')) === 0, 20_000, 'camera down in metrics');
    await waitFor(() => status()?.camera === 'lost', 10_000, 'status camera lost');
    assert.ok(sub.json<{ type: string }>('facegate/e2e/door-1/event').some((e) => e.type === 'camera_lost'));
    const health = await fetch(`http://127.0.0.1:${device.httpPort}/healthz`);
    assert.equal(health.status, 503);
    server = serveMjpeg(person.probes[2] ?? person.probes[0], port);
    const before = await metric('facegate_frames_total');
    await waitFor(async () => (await metric('facegate_frames_total')) > before + 2, 60_000, 'frames after the camera returned');
    assert.equal(await metric('facegate_camera_up'), 1);
    const healthy = await fetch(`http://127.0.0.1:${device.httpPort}/healthz`);
    assert.equal(healthy.status, 200);
    // gallery.hnsw from the config reaches the gallery the device opened
    assert.deepEqual((await healthy.json() as { index: unknown }).index, { kind: 'exact', m: 24, efConstruction: 200, ef: 96, efFirst: 48 });
    await waitFor(() => status()?.camera === 'ok', 10_000, 'status camera ok again');
  } finally {
    server.kill('SIGKILL');
    await device.stop();
    await sub.close();
  }
});

test('bad config and missing models: a clear error naming the problem, exit 1', { skip, timeout: 60_000 }, async () => {
  const bad = join(work, 'bad.json');
  await writeFile(bad, JSON.stringify({ ...config({ type: 'files', path: work }), match: { threshold: 'high' }, camera: { type: 'usb' } }));
  const r1 = spawnSync(process.execPath, [bin, 'run', '--config', bad], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r1.status, 1);
  assert.match(r1.stderr, /match\.threshold:/);
  assert.match(r1.stderr, /camera\.type:/);
  const noModels = join(work, 'nomodels.json');
  await writeFile(noModels, JSON.stringify(config({ type: 'files', path: work }, { runtime: { providers: ['cpu'], packDir: join(work, 'empty-pack') } })));
  const r2 = spawnSync(process.execPath, [bin, 'run', '--config', noModels], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /manifest|model/i);
});
