/**
 * Real image inputs for model tests: centre crops of LFW faces (when ../shared/data is present)
 * and the always-available face-api demo photos, decoded and resized by sharp.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { fetchSource } from '../../models/fetch/fetch-source.ts';
import { DATA_DIR } from './pack.ts';

export interface ImageBatch { names: string[]; n: number; size: number; /** NHWC, (p - 127.5) / 128 */ data: Float32Array }

/** RGB pixels of `file` resized to size x size (after an optional crop), normalised. */
export async function rgbNormalised(file: string, size: number, crop?: { left: number; top: number; width: number; height: number }, out?: Float32Array, offset = 0): Promise<Float32Array> {
  return rgbResized(file, size, size, crop, out, offset);
}

/** RGB pixels (NHWC, height rows of width pixels) of `file` resized to width x height, normalised. */
export async function rgbResized(file: string, width: number, height: number, crop?: { left: number; top: number; width: number; height: number }, out?: Float32Array, offset = 0): Promise<Float32Array> {
  let img = sharp(file).removeAlpha();
  if (crop) img = img.extract(crop);
  const { data } = await img.resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const n = width * height * 3;
  const dst = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) dst[offset + i] = (data[i] - 127.5) / 128;
  return dst;
}

/** First `perDir` LFW people (sorted), first image each: 150x150 centre crop of the 250x250 frame. */
export async function lfwFiles(count: number): Promise<string[]> {
  const dir = join(DATA_DIR, 'lfw-dev', 'images');
  if (!existsSync(dir)) return [];
  const people = (await readdir(dir)).sort().slice(0, count);
  const files: string[] = [];
  for (const p of people) {
    const imgs = (await readdir(join(dir, p))).filter((f) => f.endsWith('.jpg')).sort();
    if (imgs.length) files.push(join(dir, p, imgs[0]));
  }
  return files;
}

export async function faceApiPhotos(count = 6): Promise<string[]> {
  const dir = await fetchSource('faceapi');
  return Array.from({ length: Math.min(count, 6) }, (_, i) => join(dir, 'demo', `sample${i + 1}.jpg`));
}

/** A batch of real 112x112 inputs: LFW face centre crops if present, plus face-api photos. */
export async function realBatch112(lfwCount: number, photoCount: number): Promise<ImageBatch> {
  const lfw = await lfwFiles(lfwCount);
  const photos = await faceApiPhotos(photoCount);
  const names = [...lfw, ...photos];
  const size = 112;
  const data = new Float32Array(names.length * size * size * 3);
  for (const [k, f] of names.entries()) {
    const crop = k < lfw.length ? { left: 50, top: 50, width: 150, height: 150 } : undefined;
    await rgbNormalised(f, size, crop, data, k * size * size * 3);
  }
  return { names, n: names.length, size, data };
}
