/** The live view's pass-through check: JPEG frame-header sizes against known images. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { jpegSize, passThroughJpeg } from '../../../device/sources/jpeg-size.ts';

const img = () => sharp({ create: { width: 321, height: 123, channels: 3, background: { r: 200, g: 30, b: 90 } } });

test('jpegSize reads baseline and progressive headers (after EXIF/ICC segments); other bytes give null', async () => {
  assert.deepEqual(jpegSize(await img().jpeg().toBuffer()), { width: 321, height: 123 });
  assert.deepEqual(jpegSize(await img().jpeg({ progressive: true }).toBuffer()), { width: 321, height: 123 });
  assert.deepEqual(jpegSize(await img().withMetadata({ orientation: 6 }).jpeg().toBuffer()), { width: 321, height: 123 });
  assert.equal(jpegSize(await img().png().toBuffer()), null);
  const jpeg = await img().jpeg().toBuffer();
  assert.equal(jpegSize(jpeg.subarray(0, 20)), null, 'truncated before the frame header');
  assert.equal(jpegSize(new Uint8Array(0)), null);
});

test('passThroughJpeg: only a JPEG of exactly the decoded size (a quarter-turn EXIF rotation is encoded instead)', async () => {
  const jpeg = await img().jpeg().toBuffer();
  assert.equal(passThroughJpeg(jpeg, { width: 321, height: 123 }), jpeg);
  assert.equal(passThroughJpeg(jpeg, { width: 123, height: 321 }), undefined);
  assert.equal(passThroughJpeg(await img().png().toBuffer(), { width: 321, height: 123 }), undefined);
});
