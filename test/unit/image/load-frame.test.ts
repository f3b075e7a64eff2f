import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_WORKING_PIXELS, loadFrame, toSourcePixels, workingSize } from '../../../sdk/image/load-frame.ts';
import type { Landmarks5 } from '../../../sdk/types.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

/** A 4x3 RGB test pattern with distinct pixels. */
function pattern(w = 4, h = 3): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + 11) % 256;
  return d;
}
const raw = (w: number, h: number, channels: 1 | 3 | 4) => ({ raw: { width: w, height: h, channels } });

const isCode = (code: string, re?: RegExp) => (e: unknown) =>
  e instanceof FaceGateError && e.code === code && (!re || re.test(e.message));

test('a lossless PNG and WebP decode to exactly their pixels', async () => {
  const px = pattern();
  const png = await sharp(px, raw(4, 3, 3)).png().toBuffer();
  const webp = await sharp(px, raw(4, 3, 3)).webp({ lossless: true }).toBuffer();
  for (const buf of [png, webp]) {
    const f = await loadFrame(new Uint8Array(buf));
    assert.deepEqual([f.width, f.height], [4, 3]);
    assert.deepEqual(Array.from(f.data), Array.from(px));
  }
});

test('grey and RGBA images become RGB (grey replicated, alpha dropped)', async () => {
  const grey = new Uint8Array([0, 50, 100, 150, 200, 250]);
  const g = await loadFrame(new Uint8Array(await sharp(grey, raw(3, 2, 1)).png().toBuffer()));
  assert.deepEqual(Array.from(g.data), Array.from(grey).flatMap((v) => [v, v, v]));
  const rgba = new Uint8Array([10, 20, 30, 255, 40, 50, 60, 128]);
  const c = await loadFrame(new Uint8Array(await sharp(rgba, raw(2, 1, 4)).png().toBuffer()));
  assert.deepEqual(Array.from(c.data), [10, 20, 30, 40, 50, 60]);
});

test('EXIF orientation is applied (orientation 6 = rotate 90 clockwise)', async () => {
  // Stored 8x4, left half black, right half white. Turned 90 degrees clockwise for display, the
  // stored left columns become the top rows: a 4x8 image, dark on top, bright below.
  const w = 8, h = 4;
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.fill(x < w / 2 ? 0 : 255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const jpg = await sharp(px, raw(w, h, 3)).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  const f = await loadFrame(new Uint8Array(jpg));
  assert.deepEqual([f.width, f.height], [4, 8]);
  assert.ok(f.data[0] < 40, `top-left should be dark, got ${f.data[0]}`);
  assert.ok(f.data[(7 * 4) * 3] > 215, `bottom-left should be bright, got ${f.data[(7 * 4) * 3]}`);
});

test('corrupt, empty and truncated inputs are FG_IMAGE_DECODE naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-img-'));
  const [photo] = await demoPhotos();
  const bytes = await readFile(photo);
  const truncated = join(dir, 'truncated.jpg');
  await writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
  const garbage = join(dir, 'garbage.png');
  await writeFile(garbage, 'this is not an image');
  const empty = join(dir, 'empty.jpg');
  await writeFile(empty, '');
  for (const file of [truncated, garbage, empty]) {
    await assert.rejects(loadFrame(file), isCode('FG_IMAGE_DECODE', new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))), file);
  }
  await assert.rejects(loadFrame(join(dir, 'missing.jpg')), isCode('FG_IMAGE_DECODE', /missing\.jpg: file not found/));
  await assert.rejects(loadFrame(new Uint8Array([1, 2, 3, 4])), isCode('FG_IMAGE_DECODE', /image bytes \(4 bytes\)/));
  await assert.rejects(loadFrame(new Uint8Array(0)), isCode('FG_IMAGE_DECODE', /empty/));
});

test('images over the pixel limit are FG_IMAGE_TOO_LARGE', async () => {
  const png = await sharp(pattern(4, 3), raw(4, 3, 3)).png().toBuffer();
  await assert.rejects(loadFrame(new Uint8Array(png), { maxPixels: 11 }), isCode('FG_IMAGE_TOO_LARGE', /11 pixel limit/));
  assert.equal((await loadFrame(new Uint8Array(png), { maxPixels: 12 })).width, 4);
});

test('a real photo decodes from a path and from its bytes identically', async () => {
  const [photo] = await demoPhotos();
  const a = await loadFrame(photo);
  const b = await loadFrame(new Uint8Array(await readFile(photo)));
  assert.deepEqual([a.width, a.height], [1920, 1280]);
  assert.equal(a.data.length, 1920 * 1280 * 3);
  assert.ok(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0);
});

test('an image over the working size is decoded shrunk (JPEG shrink-on-load) and says its source size', async () => {
  // 48 MP: before shrink-on-load the whole 144 MB RGB image was decoded.
  const jpeg = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: { r: 90, g: 120, b: 150 } }, limitInputPixels: false }).jpeg().toBuffer();
  const f = await loadFrame(new Uint8Array(jpeg));
  assert.ok(f.width * f.height <= DEFAULT_WORKING_PIXELS, `${f.width}x${f.height}`);
  assert.deepEqual([f.width, f.height], [2000, 1500]);
  assert.equal(f.data.length, 2000 * 1500 * 3);
  assert.deepEqual(f.source, { width: 8000, height: 6000 });
  // A frame within the working size is decoded as is and has no source.
  const small = await loadFrame(new Uint8Array(await sharp(pattern(), raw(4, 3, 3)).png().toBuffer()));
  assert.equal(small.source, undefined);
  // Infinity opts out.
  const full = await loadFrame(new Uint8Array(jpeg), { workingPixels: Infinity });
  assert.deepEqual([full.width, full.height, full.source], [8000, 6000, undefined]);
});

test('the working size follows EXIF orientation and faces map back to source pixels', async () => {
  const jpeg = await sharp({ create: { width: 4000, height: 1000, channels: 3, background: { r: 10, g: 20, b: 30 } } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const f = await loadFrame(new Uint8Array(jpeg), { workingPixels: 1_000_000 });
  assert.deepEqual([f.width, f.height], [500, 2000]);
  assert.deepEqual(f.source, { width: 1000, height: 4000 });
  const face = { box: { x: 10, y: 20, w: 30, h: 40 }, score: 1, landmarks5: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]] as Landmarks5 };
  const m = toSourcePixels(face, f);
  assert.deepEqual(m.box, { x: 20, y: 40, w: 60, h: 80 });
  assert.deepEqual(m.landmarks5[4], [18, 20]);
  assert.deepEqual(workingSize(250, 250, DEFAULT_WORKING_PIXELS), { width: 250, height: 250 });
});

test('a progressive JPEG or interlaced PNG too large to decode whole is refused before decoding', async () => {
  const canvas = () => sharp({ create: { width: 5000, height: 4000, channels: 3, background: { r: 1, g: 2, b: 3 } }, limitInputPixels: false });
  const prog = new Uint8Array(await canvas().jpeg({ progressive: true }).toBuffer());
  await assert.rejects(loadFrame(prog), isCode('FG_IMAGE_TOO_LARGE', /progressive jpeg of 5000x4000.*decoded whole.*16000000/));
  const inter = new Uint8Array(await canvas().png({ progressive: true, compressionLevel: 1 }).toBuffer());
  await assert.rejects(loadFrame(inter), isCode('FG_IMAGE_TOO_LARGE', /interlaced PNG of 5000x4000/));
  // The same pixels as a baseline JPEG decode (shrunk).
  const f = await loadFrame(new Uint8Array(await canvas().jpeg().toBuffer()));
  assert.deepEqual(f.source, { width: 5000, height: 4000 });
});
