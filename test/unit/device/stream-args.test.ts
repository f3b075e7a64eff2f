import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegArgs } from '../../../device/sources/stream-source.ts';

const base = { width: 640, height: 480, fps: 15, stallTimeoutSec: 5 };
const before = (args: string[], flag: string) => args.indexOf(flag) >= 0 && args.indexOf(flag) < args.indexOf('-i');

test('ffmpegArgs: HTTP MJPEG is timed by arrival (else the fps filter drops real frames)', () => {
  const a = ffmpegArgs({ ...base, url: 'http://cam.local/video.mjpg' });
  assert.ok(before(a, '-use_wallclock_as_timestamps'), a.join(' '));
  assert.equal(a[a.indexOf('-use_wallclock_as_timestamps') + 1], '1');
  assert.ok(a.includes('fps=15,scale=640:480'));
});

test('ffmpegArgs: RTSP over TCP, V4L2 and files keep their own timestamps', () => {
  const rtsp = ffmpegArgs({ ...base, url: 'rtsp://cam.local/stream1' });
  assert.ok(before(rtsp, '-rtsp_transport') && !rtsp.includes('-use_wallclock_as_timestamps'));
  const v4l2 = ffmpegArgs({ ...base, url: '/dev/video0' });
  assert.ok(before(v4l2, '-f') && !v4l2.includes('-use_wallclock_as_timestamps'));
  const file = ffmpegArgs({ ...base, url: '/data/door.mp4', realtime: true });
  assert.ok(before(file, '-re') && !file.includes('-use_wallclock_as_timestamps'));
});
