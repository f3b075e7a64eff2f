import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSource } from '../../../models/fetch/fetch-source.ts';
import { loadFrame } from '../../../sdk/image/index.ts';
import { FilesSource } from '../../../device/sources/files-source.ts';
import { StreamSource } from '../../../device/sources/stream-source.ts';
import { WebcamSource } from '../../../device/sources/webcam-source.ts';
import type { SourceState } from '../../../device/sources/camera-source.ts';
import { freePort, waitFor } from '../../helpers/ports.ts';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const demo = async (n: number) => join(await fetchSource('faceapi'), `demo/sample${n}.jpg`);

test('files source replays a folder in name order, reports a corrupt image and goes on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-files-'));
  await copyFile(await demo(1), join(dir, 'a.jpg'));
  await writeFile(join(dir, 'b.jpg'), Buffer.from('not a jpeg at all'));
  await copyFile(await demo(2), join(dir, 'c.jpg'));
  const src = new FilesSource({ path: dir, fps: 50, loop: false, decode: (i) => loadFrame(i) });
  const frames: number[] = [];
  const bad: string[] = [];
  const states: SourceState[] = [];
  const jpegs: number[] = [];
  src.on('frame', (f) => { frames.push(f.width); jpegs.push(f.jpeg?.length ?? 0); });
  src.on('badFrame', (d) => bad.push(d));
  src.on('state', (s) => states.push(s));
  src.start();
  await waitFor(() => states.includes('ended'), 10_000, 'end of replay');
  const [a, c] = await Promise.all([loadFrame(await demo(1)), loadFrame(await demo(2))]);
  assert.deepEqual(frames, [a.width, c.width]);
  // The files' own JPEG bytes ride along for the live view (no re-encoding).
  assert.deepEqual(jpegs, [(await readFile(await demo(1))).length, (await readFile(await demo(2))).length]);
  assert.equal(bad.length, 1);
  assert.match(bad[0], /b\.jpg/);
  await src.stop();
});

test('files source on a missing folder reports camera lost', async () => {
  const src = new FilesSource({ path: '/nonexistent/frames', fps: 5, loop: false, decode: (i) => loadFrame(i) });
  const states: [SourceState, string | undefined][] = [];
  src.on('state', (s, d) => states.push([s, d]));
  src.start();
  await waitFor(() => states.some(([s]) => s === 'lost'), 5_000, 'lost');
  assert.match(states.find(([s]) => s === 'lost')?.[1] ?? '', /nonexistent/);
  await src.stop();
});

function serveMjpeg(image: string, port: number) {
  // A real HTTP MJPEG camera stand-in: ffmpeg loops a real photo and serves it once (-listen 1).
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-loop', '1', '-framerate', '10', '-i', image,
    '-vf', 'scale=640:480', '-q:v', '5', '-f', 'mpjpeg', '-listen', '1', `http://127.0.0.1:${port}/cam.mjpg`], { stdio: 'ignore' });
}

test('stream source: MJPEG over HTTP into raw frames; server killed -> lost, restarted -> running again', { skip: hasFfmpeg ? false : 'ffmpeg not installed', timeout: 60_000 }, async () => {
  const port = await freePort();
  const image = await demo(3);
  let server = serveMjpeg(image, port);
  await new Promise((r) => setTimeout(r, 500));
  const src = new StreamSource({ url: `http://127.0.0.1:${port}/cam.mjpg`, width: 320, height: 240, fps: 10, stallTimeoutSec: 3 });
  let frames = 0;
  let last: { width: number; height: number; data: Uint8Array } | undefined;
  const states: SourceState[] = [];
  src.on('frame', (f) => { frames++; last = f; });
  src.on('state', (s) => states.push(s));
  src.start();
  try {
    await waitFor(() => frames >= 5, 20_000, '5 frames');
    assert.equal(last?.width, 320);
    assert.equal(last?.data.length, 320 * 240 * 3);
    // The frame is the photo, not a blank: real pixel variance.
    const d = last!.data;
    let mean = 0;
    for (let i = 0; i < d.length; i++) mean += d[i];
    mean /= d.length;
    let variance = 0;
    for (let i = 0; i < d.length; i += 7) variance += (d[i] - mean) ** 2;
    assert.ok(variance / (d.length / 7) > 100, 'frame has image content');
    server.kill('SIGKILL');
    await waitFor(() => states.includes('lost') || states.includes('stalled'), 15_000, 'source lost');
    server = serveMjpeg(image, port);
    const before = frames;
    await waitFor(() => frames > before + 3, 30_000, 'frames after restart');
    assert.ok(src.restarts >= 1);
    assert.equal(src.state, 'running');
  } finally {
    await src.stop();
    server.kill('SIGKILL');
  }
});

test('webcam source: invalid device strings are refused before any shell sees them', () => {
  for (const device of ['/dev/video0; rm -rf /', '$(reboot)', '/dev/sda']) {
    assert.throws(() => new WebcamSource({ device, width: 640, height: 480, fps: 5, decode: (i) => loadFrame(i) }), /camera\.device/);
  }
});

test('webcam source without a device reports camera lost and keeps running', { timeout: 20_000 }, async () => {
  const src = new WebcamSource({ device: '/dev/video97', width: 320, height: 240, fps: 5, decode: (i) => loadFrame(i) });
  const states: [SourceState, string | undefined][] = [];
  src.on('state', (s, d) => states.push([s, d]));
  src.start();
  await waitFor(() => states.some(([s]) => s === 'lost'), 15_000, 'lost');
  await src.stop();
  assert.ok(states.every(([s]) => s !== 'running'));
  assert.match(states.find(([s]) => s === 'lost')?.[1] ?? '', /video97|fswebcam|not found/);
});
