import { FaceGateError } from '../errors.ts';
import type { Frame } from '../types.ts';

/** An undecoded camera frame: tightly packed 8-bit pixels, row-major, no row padding. */
export type RawFrame = { data: Uint8Array; width: number; height: number; format: 'rgb' | 'bgr' | 'rgba' | 'bgra' | 'grey' };

/** What the pipeline accepts: a file path, encoded bytes (JPEG/PNG/WebP...), or a raw frame. */
export type ImageInput = string /* file path */ | Uint8Array /* encoded bytes */ | RawFrame;

const CHANNELS: Record<RawFrame['format'], number> = { rgb: 3, bgr: 3, rgba: 4, bgra: 4, grey: 1 };

export function isRawFrame(input: ImageInput): input is RawFrame {
  return typeof input === 'object' && !(input instanceof Uint8Array) && input !== null && 'format' in input;
}

/**
 * Converts a raw frame to the pipeline's RGB Frame. RGB input is shared, not copied; alpha is
 * dropped (camera frames carry none that matters). Size mismatches throw FG_IMAGE_INVALID.
 */
export function rawToFrame(raw: RawFrame): Frame {
  const { width, height, format, data } = raw;
  const ch = CHANNELS[format];
  if (ch === undefined) {
    throw new FaceGateError('FG_IMAGE_INVALID', `raw frame format "${String(format)}" is not one of ${Object.keys(CHANNELS).join(', ')}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new FaceGateError('FG_IMAGE_INVALID', `raw frame size must be positive integers, got ${width}x${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * ch) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : typeof data;
    throw new FaceGateError('FG_IMAGE_INVALID',
      `raw ${format} frame ${width}x${height} needs ${width * height * ch} bytes (${ch} per pixel), got ${got}`);
  }
  if (format === 'rgb') return { data, width, height };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (format === 'grey') {
    for (let i = 0, o = 0; i < n; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[i];
    return { data: out, width, height };
  }
  // Index of R and B within each source pixel; G is always at 1.
  const r = format === 'bgr' || format === 'bgra' ? 2 : 0;
  const b = 2 - r;
  for (let i = 0, s = 0, o = 0; i < n; i++, s += ch, o += 3) {
    out[o] = data[s + r];
    out[o + 1] = data[s + 1];
    out[o + 2] = data[s + b];
  }
  return { data: out, width, height };
}
