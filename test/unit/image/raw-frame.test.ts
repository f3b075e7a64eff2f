import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawToFrame, isRawFrame } from '../../../sdk/image/raw-frame.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

// Two pixels: (R,G,B) = (10,20,30) and (40,50,60).
const RGB = [10, 20, 30, 40, 50, 60];

test('rgb frames are used as they are (no copy)', () => {
  const data = new Uint8Array(RGB);
  const f = rawToFrame({ data, width: 2, height: 1, format: 'rgb' });
  assert.equal(f.data, data);
  assert.deepEqual([f.width, f.height], [2, 1]);
});

test('bgr, rgba, bgra and grey frames become RGB', () => {
  const cases: [Parameters<typeof rawToFrame>[0]['format'], number[], number[]][] = [
    ['bgr', [30, 20, 10, 60, 50, 40], RGB],
    ['rgba', [10, 20, 30, 255, 40, 50, 60, 0], RGB],
    ['bgra', [30, 20, 10, 255, 60, 50, 40, 7], RGB],
    ['grey', [9, 200], [9, 9, 9, 200, 200, 200]],
  ];
  for (const [format, bytes, want] of cases) {
    const f = rawToFrame({ data: new Uint8Array(bytes), width: 2, height: 1, format });
    assert.deepEqual(Array.from(f.data), want, format);
  }
});

test('a buffer of the wrong size or bad dimensions is FG_IMAGE_INVALID with the sizes in the message', () => {
  assert.throws(() => rawToFrame({ data: new Uint8Array(5), width: 2, height: 1, format: 'rgb' }),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_IMAGE_INVALID' && /needs 6 bytes/.test(e.message) && /got 5/.test(e.message));
  assert.throws(() => rawToFrame({ data: new Uint8Array(0), width: 0, height: 1, format: 'rgb' }),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_IMAGE_INVALID');
  assert.throws(() => rawToFrame({ data: new Uint8Array(6), width: 2, height: 1, format: 'yuv' as 'rgb' }),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_IMAGE_INVALID' && /yuv/.test(e.message));
});

test('isRawFrame tells raw frames from paths and encoded bytes', () => {
  assert.equal(isRawFrame('a.jpg'), false);
  assert.equal(isRawFrame(new Uint8Array(3)), false);
  assert.equal(isRawFrame({ data: new Uint8Array(3), width: 1, height: 1, format: 'rgb' }), true);
});
