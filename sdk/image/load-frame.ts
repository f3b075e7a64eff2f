import sharp from 'sharp';
import { FaceGateError, errorMessage } from '../errors.ts';
import type { Frame } from '../types.ts';
import { isRawFrame, rawToFrame, type ImageInput } from './raw-frame.ts';

/** Decompression-bomb guard: 50 MP is far above any camera or photo we expect. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface LoadFrameOptions {
  /** Refuse images with more pixels than this (FG_IMAGE_TOO_LARGE). */
  maxPixels?: number;
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
