import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { FaceGateError, errorMessage } from '../errors.ts';
import type { Frame } from '../types.ts';
import { isRawFrame, rawToFrame, type ImageInput } from './raw-frame.ts';

/** Decompression-bomb guard: 50 MP is far above any camera or photo we expect. */
export const DEFAULT_MAX_PIXELS = 50_000_000;
/** Encoded size bound, checked before sharp reads anything: no camera frame or photo comes near it. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface LoadFrameOptions {
  /** Refuse images with more pixels than this (FG_IMAGE_TOO_LARGE). */
  maxPixels?: number;
  /** Refuse encoded files or buffers larger than this (FG_IMAGE_TOO_LARGE). */
  maxBytes?: number;
}

/** Size and kind of a file before decoding: a FIFO or device would block or never end. */
/** An image path must be a non-empty regular file within `maxBytes` (checked before reading it). */
export async function checkImageFile(path: string, maxBytes = DEFAULT_MAX_BYTES): Promise<void> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FaceGateError('FG_IMAGE_DECODE', `cannot read image ${path}: ${code === 'ENOENT' ? 'file not found' : errorMessage(e)}`, { cause: e, details: { image: path } });
  }
  if (!s.isFile()) throw new FaceGateError('FG_IMAGE_DECODE', `cannot read image ${path}: not a regular file`, { details: { image: path } });
  if (s.size === 0) throw new FaceGateError('FG_IMAGE_DECODE', `cannot decode ${path}: empty file`, { details: { image: path } });
  if (s.size > maxBytes) throw new FaceGateError('FG_IMAGE_TOO_LARGE', `${path} is ${s.size} bytes, over the ${maxBytes}-byte limit`, { details: { image: path } });
}

function describe(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : `image bytes (${input.length} bytes)`;
}

/**
 * Decodes a file or encoded bytes (JPEG/PNG/WebP/... via sharp), applying EXIF orientation and
 * converting grey/alpha to RGB; raw frames are converted without decoding. Corrupt, empty or
 * truncated images throw FG_IMAGE_DECODE naming the file.
 */
export async function loadFrame(input: ImageInput, opts: LoadFrameOptions = {}): Promise<Frame> {
  if (isRawFrame(input)) return rawToFrame(input);
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new FaceGateError('FG_IMAGE_INVALID', `image input must be a file path, encoded bytes or a raw frame, got ${typeof input}`);
  }
  const what = describe(input);
  if (typeof input !== 'string' && input.length === 0) {
    throw new FaceGateError('FG_IMAGE_DECODE', `cannot decode ${what}: empty input`);
  }
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof input === 'string') await checkImageFile(input, maxBytes);
  else if (input.length > maxBytes) throw new FaceGateError('FG_IMAGE_TOO_LARGE', `${what} is over the ${maxBytes}-byte limit`);
  try {
    // failOn 'warning' (sharp's default) also rejects truncated JPEGs instead of returning grey rows.
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'warning' })
      .rotate() // EXIF orientation
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const frame = { width: info.width, height: info.height };
    if (info.channels === 3) return { ...frame, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    // libvips normally yields 3 channels after toColourspace('srgb'); keep a defensive path.
    const format = info.channels === 1 ? 'grey' : info.channels === 4 ? 'rgba' : null;
    if (!format) throw new Error(`unexpected channel count ${info.channels}`);
    return rawToFrame({ ...frame, format, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
  } catch (e) {
    const msg = errorMessage(e);
    if (/pixel limit/i.test(msg)) {
      throw new FaceGateError('FG_IMAGE_TOO_LARGE', `${what} exceeds the ${maxPixels} pixel limit`, { cause: e, details: { image: what } });
    }
    if (/missing|ENOENT|no such file/i.test(msg)) {
      throw new FaceGateError('FG_IMAGE_DECODE', `cannot read image ${what}: file not found`, { cause: e, details: { image: what } });
    }
    throw new FaceGateError('FG_IMAGE_DECODE', `cannot decode ${what}: ${msg}`, { cause: e, details: { image: what } });
  }
}
