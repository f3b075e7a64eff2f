import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { FaceGateError, errorMessage } from '../errors.ts';
import type { Box, Frame, Landmarks5 } from '../types.ts';
import { isRawFrame, rawToFrame, type ImageInput } from './raw-frame.ts';

/** Decompression-bomb guard: 50 MP is far above any camera or photo we expect. */
export const DEFAULT_MAX_PIXELS = 50_000_000;
/** Encoded size bound, checked before sharp reads anything: no camera frame or photo comes near it. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Largest frame handed to the detector (3 MP, above any door camera's 1080p): a bigger photo is
 * decoded shrunk (JPEG/WebP shrink-on-load, then a streamed resize), so neither the decoder nor the
 * detector's pyramid ever holds a 48 MP image. Faces in such photos are hundreds of px wide.
 */
export const DEFAULT_WORKING_PIXELS = 3_000_000;
/**
 * Progressive JPEGs and interlaced PNGs cannot be streamed or DCT-shrunk: the decoder holds the
 * whole image (coefficients or pixels) before the first output row. 16 MP bounds that buffer to
 * about 64 MB; a 48 MP one peaked at 465 MB (JPEG) and 545 MB (PNG) in `detect`.
 */
export const DEFAULT_MAX_WHOLE_DECODE_PIXELS = 16_000_000;

export interface LoadFrameOptions {
  /** Refuse images with more pixels than this (FG_IMAGE_TOO_LARGE). */
  maxPixels?: number;
  /** Refuse encoded files or buffers larger than this (FG_IMAGE_TOO_LARGE). */
  maxBytes?: number;
  /**
   * Decode images with more pixels than this shrunk to about this many (aspect kept); the frame's
   * `source` then gives the encoded size. Default DEFAULT_WORKING_PIXELS; Infinity decodes at full size.
   */
  workingPixels?: number;
  /** Pixel limit for progressive/interlaced images, which are decoded whole (FG_IMAGE_TOO_LARGE). */
  maxWholeDecodePixels?: number;
}

/** Frame size for an image of w x h px (after EXIF orientation) so that it holds at most `working` px. */
export function workingSize(w: number, h: number, working: number): { width: number; height: number } {
  if (!(w * h > working)) return { width: w, height: h };
  const s = Math.sqrt(working / (w * h));
  return { width: Math.max(1, Math.floor(w * s)), height: Math.max(1, Math.floor(h * s)) };
}

/** Maps a face found on a shrunk frame back to the encoded image's pixels (identity otherwise). */
export function toSourcePixels<F extends { box: Box; landmarks5: Landmarks5 }>(face: F, frame: Frame): F {
  if (!frame.source) return face;
  const sx = frame.source.width / frame.width;
  const sy = frame.source.height / frame.height;
  const { x, y, w, h } = face.box;
  return {
    ...face,
    box: { x: x * sx, y: y * sy, w: w * sx, h: h * sy },
    landmarks5: face.landmarks5.map(([px, py]) => [px * sx, py * sy]) as Landmarks5,
  };
}

/** Size and kind of a file before decoding: a FIFO or device would block or never end. */
async function checkFile(path: string, maxBytes: number): Promise<void> {
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
  const workingPixels = opts.workingPixels ?? DEFAULT_WORKING_PIXELS;
  if (typeof input === 'string') await checkFile(input, maxBytes);
  else if (input.length > maxBytes) throw new FaceGateError('FG_IMAGE_TOO_LARGE', `${what} is over the ${maxBytes}-byte limit`);
  try {
    // failOn 'warning' (sharp's default) also rejects truncated JPEGs instead of returning grey rows.
    // sequentialRead lets libvips stream rows through the resize instead of holding the whole image.
    const img = sharp(input, { limitInputPixels: maxPixels, failOn: 'warning', sequentialRead: true });
    const meta = await img.metadata(); // header only
    let source: { width: number; height: number } | undefined;
    if (meta.width && meta.height && meta.width * meta.height > workingPixels) {
      if (meta.width * meta.height > maxPixels) throw new Error('Input image exceeds pixel limit');
      const maxWhole = opts.maxWholeDecodePixels ?? DEFAULT_MAX_WHOLE_DECODE_PIXELS;
      if (meta.isProgressive && meta.width * meta.height > maxWhole) {
        const kind = meta.format === 'png' ? 'an interlaced PNG' : `a progressive ${meta.format ?? 'image'}`;
        throw new FaceGateError('FG_IMAGE_TOO_LARGE', `${what} is ${kind} of ${meta.width}x${meta.height}, which must be decoded whole: over the ${maxWhole} pixel limit for such images (re-save it as a baseline JPEG or a non-interlaced PNG, or smaller)`, { details: { image: what } });
      }
      const swap = (meta.orientation ?? 1) >= 5; // EXIF 5-8 turn the image a quarter
      source = swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
      const t = workingSize(source.width, source.height, workingPixels);
      // fastShrinkOnLoad: libjpeg's DCT scaling (1/2, 1/4, 1/8) and WebP's decode-time scaling do
      // most of the shrink before any full-size pixel exists; the rest is a streamed resize.
      img.rotate().resize(t.width, t.height, { fit: 'fill', fastShrinkOnLoad: true });
    } else {
      img.rotate(); // EXIF orientation
    }
    const { data, info } = await img
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const frame = { width: info.width, height: info.height, ...(source ? { source } : {}) };
    if (info.channels === 3) return { ...frame, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
    // libvips normally yields 3 channels after toColourspace('srgb'); keep a defensive path.
    const format = info.channels === 1 ? 'grey' : info.channels === 4 ? 'rgba' : null;
    if (!format) throw new Error(`unexpected channel count ${info.channels}`);
    const converted = rawToFrame({ ...frame, format, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
    return source ? { ...converted, source } : converted;
  } catch (e) {
    if (e instanceof FaceGateError) throw e;
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
