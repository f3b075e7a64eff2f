import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameLoop } from '../../../device/loop/frame-loop.ts';
import { DeviceMetrics } from '../../../device/health/metrics.ts';
import { FilesSource } from '../../../device/sources/files-source.ts';
import { StreamSource } from '../../../device/sources/stream-source.ts';
import type { CameraSource } from '../../../device/sources/camera-source.ts';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import type { Logger } from '../../../sdk/logger.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { LOOP_DEFAULTS, unusedPorts } from './loop-harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function loopOn(source: CameraSource) {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
  };
  // Frames are never processed here (the detector would be unused): only the source's reports.
  const loop = new FrameLoop({ ...unusedPorts(), detect: async () => [], source, metrics: new DeviceMetrics(), logger }, { ...LOOP_DEFAULTS, liveness: undefined });
  return { loop, lines };
}

test('an unreadable file in a files camera is logged by name (once per file), not only counted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-badfile-'));
  await copyFile((await demoPhotos())[0], join(dir, 'a.jpg'));
  await writeFile(join(dir, 'b-broken.jpg'), Buffer.from('not a jpeg at all'));
  const source = new FilesSource({ path: dir, fps: 50, loop: true, decode: (i) => loadFrame(i) });
  const { loop, lines } = loopOn(source);
  loop.start();
  try {
    await sleep(600); // several passes over the folder
  } finally {
    await loop.stop();
  }
  const skipped = lines.filter((l) => l.msg === 'camera frame skipped');
  assert.equal(skipped.length, 1, JSON.stringify(lines));
  assert.equal(skipped[0].level, 'warn');
  assert.match(String(skipped[0].fields?.detail), /b-broken\.jpg: .*FG_IMAGE_DECODE|b-broken\.jpg: cannot decode/);
});

test('missing ffmpeg: one error that says what to install, not repeated "camera lost" lines', { timeout: 20_000 }, async () => {
  const source = new StreamSource({ url: 'rtsp://cam.local/stream', width: 64, height: 48, fps: 5, stallTimeoutSec: 10, ffmpegPath: '/nonexistent/bin/ffmpeg' });
  const { loop, lines } = loopOn(source);
  loop.start();
  try {
    await sleep(4000); // restarts at 0.5, 1.5, 3.5 s
    assert.ok(source.restarts >= 2, `${source.restarts} restarts`);
  } finally {
    await loop.stop();
  }
  const errors = lines.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1, JSON.stringify(lines));
  assert.match(errors[0].msg, /\/nonexistent\/bin\/ffmpeg not found.*apt install ffmpeg/);
  const lost = lines.filter((l) => l.msg === 'camera state' && l.fields?.state === 'lost');
  assert.equal(lost.length, 1, JSON.stringify(lines));
  assert.ok(!JSON.stringify(lines).includes('ENOENT'), JSON.stringify(lines));
});
