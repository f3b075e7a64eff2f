/**
 * Malformed images for the decode fuzzer: real JPEG/PNG/WebP/GIF/TIFF files made with sharp from a
 * real photo, then truncated, bit-flipped, overwritten, given lying headers, oversized metadata
 * or decompression bombs. Every case goes through `loadFrame`, the decoder every command and the
 * camera sources use.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import { isFaceGateError, errorMessage } from '../../../sdk/errors.ts';
import { demoPhotos } from '../demo-photos.ts';
import { FuzzRng, flipBits, overwrite, splice, truncateAt, type Outcome } from './mutate.ts';

export interface ImageBases {
  [format: string]: Buffer;
}

/** Small real images (256x192 crop of a demo photo) in each format sharp writes. */
export async function imageBases(): Promise<ImageBases> {
  const [photo] = await demoPhotos();
  const img = () => sharp(photo).resize(256, 192, { fit: 'cover' });
  return {
    jpeg: await img().jpeg({ quality: 85 }).toBuffer(),
    'jpeg-progressive': await img().jpeg({ quality: 80, progressive: true }).withMetadata({ orientation: 6 }).toBuffer(),
    png: await img().png().toBuffer(),
    'png-interlaced': await img().png({ progressive: true }).toBuffer(),
    webp: await img().webp({ quality: 80 }).toBuffer(),
    'webp-lossless': await img().webp({ lossless: true }).toBuffer(),
    gif: await img().gif().toBuffer(),
    tiff: await img().tiff().toBuffer(),
  };
}

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

export const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/**
 * A PNG whose IHDR claims width x height (RGB, 8 bit) followed by `rows` rows of zero pixels
 * compressed: a few KB that claim gigapixels.
 */
export function pngClaiming(width: number, height: number, rows = 4): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rowBytes = 1 + 3 * Math.min(width, 1 << 20);
  const idat = zeroBomb(rowBytes * Math.min(rows, height));
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Offsets of PNG chunks: [offset of length field, type]. */
function pngChunks(b: Buffer): [number, string][] {
  const out: [number, string][] = [];
  for (let o = 8; o + 8 <= b.length;) {
    const len = b.readUInt32BE(o);
    out.push([o, b.toString('latin1', o + 4, o + 8)]);
    o += 12 + len;
  }
  return out;
}

function jpegSof(b: Buffer): number {
  for (let i = 2; i + 9 < b.length; i++) if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) return i;
  return -1;
}

const LIES = [0, 1, 65535, 0x7fffffff, 100_000, 0xffffffff];

function headerLie(format: string, base: Buffer, r: FuzzRng): Buffer {
  const b = Buffer.from(base);
  const lie = () => (r.next() < 0.6 ? r.pick(LIES) : r.int(1 << 20));
  if (format.startsWith('jpeg')) {
    const sof = jpegSof(b);
    b.writeUInt16BE(lie() & 0xffff, sof + 5);
    b.writeUInt16BE(lie() & 0xffff, sof + 7);
  } else if (format.startsWith('png')) {
    b.writeUInt32BE(lie() >>> 0, 16);
    b.writeUInt32BE(lie() >>> 0, 20);
    if (r.next() < 0.7) b.writeUInt32BE(crc32(b.subarray(12, 29)) >>> 0, 29); // a lie with a valid CRC
  } else if (format === 'webp') {
    b.writeUInt16LE(lie() & 0x3fff, 26);
    b.writeUInt16LE(lie() & 0x3fff, 28);
  } else if (format === 'webp-lossless') {
    b.writeUInt32LE((lie() & 0x3fff) | ((lie() & 0x3fff) << 14) | (b.readUInt32LE(21) & 0xf0000000), 21);
  } else if (format === 'gif') {
    b.writeUInt16LE(lie() & 0xffff, 6);
    b.writeUInt16LE(lie() & 0xffff, 8);
  } else {
    b.writeUInt32LE(lie() >>> 0, 4); // TIFF: first IFD offset
  }
  return b;
}

/** Compressed zeros, cached by size (deflating 128 MiB per case would dominate the run). */
const bombs = new Map<number, Buffer>();
function zeroBomb(bytes: number): Buffer {
  let b = bombs.get(bytes);
  if (!b) bombs.set(bytes, (b = deflateSync(Buffer.alloc(bytes), { level: 9 })));
  return b;
}

/** Oversized metadata: many or huge EXIF/text segments, and zTXt/iCCP decompression bombs. */
function hugeMeta(format: string, base: Buffer, r: FuzzRng): Buffer {
  if (format.startsWith('jpeg')) {
    const segs: Buffer[] = [];
    const n = 1 + r.int(40);
    for (let i = 0; i < n; i++) {
      const body = Buffer.concat([Buffer.from('Exif\0\0II*\0', 'latin1'), r.bytes(65_000)]);
      const head = Buffer.from([0xff, 0xe1, 0, 0]);
      head.writeUInt16BE(body.length + 2, 2);
      segs.push(head, body);
    }
    return Buffer.concat([base.subarray(0, 2), ...segs, base.subarray(2)]);
  }
  if (format.startsWith('png')) {
    const kind = r.pick(['eXIf', 'tEXt', 'zTXt', 'iCCP']);
    const size = 1 << (16 + r.int(8)); // 64 KiB .. 8 MiB
    let data: Buffer;
    if (kind === 'zTXt' || kind === 'iCCP') data = Buffer.concat([Buffer.from(kind === 'zTXt' ? 'Comment\0\0' : 'icc\0\0', 'latin1'), zeroBomb(size * 16)]);
    else if (kind === 'tEXt') data = Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.alloc(size, 0x41)]);
    else data = Buffer.concat([Buffer.from('II*\0', 'latin1'), r.bytes(size)]);
    const ihdrEnd = pngChunks(base)[0][0] + 25;
    return Buffer.concat([base.subarray(0, ihdrEnd), pngChunk(kind, data), base.subarray(ihdrEnd)]);
  }
  return splice(base, r, r.bytes(1 << (10 + r.int(10))));
}

const MAGIC = [Buffer.from([0xff, 0xd8, 0xff]), PNG_SIGNATURE, Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.from('GIF89a', 'latin1'), Buffer.from('II*\0', 'latin1'), Buffer.alloc(0)];

export const IMAGE_KINDS = ['truncate', 'bitflip', 'bitflip-header', 'overwrite', 'magic-random', 'header-lie', 'huge-meta', 'png-claims', 'chunk-shuffle'] as const;

/** Case i of the image fuzzer. */
export function imageCase(bases: ImageBases, r: FuzzRng): { kind: string; bytes: Buffer } {
  const format = r.pick(Object.keys(bases));
  const base = bases[format];
  const kind = r.pick(IMAGE_KINDS);
  switch (kind) {
    case 'truncate': return { kind, bytes: truncateAt(base, r) };
    case 'bitflip': return { kind, bytes: flipBits(base, r, 1 + r.int(32)) };
    case 'bitflip-header': return { kind, bytes: Buffer.concat([flipBits(base.subarray(0, 256), r, 1 + r.int(4)), base.subarray(256)]) };
    case 'overwrite': return { kind, bytes: overwrite(base, r, 64) };
    case 'magic-random': return { kind, bytes: Buffer.concat([r.pick(MAGIC), r.bytes(r.int(8192))]) };
    case 'header-lie': return { kind, bytes: headerLie(format, base, r) };
    case 'huge-meta': return { kind, bytes: hugeMeta(format, base, r) };
    case 'png-claims': {
      const side = r.pick([100_000, 65_535, 1 << 20, 0x7fffffff, 50_000, 8_000]);
      return { kind, bytes: pngClaiming(side, r.next() < 0.5 ? side : 1 + r.int(side)) };
    }
    case 'chunk-shuffle': {
      // Whole segments/chunks repeated or dropped: the structure is valid, the sequence is not.
      const cut = 8 + r.int(Math.max(1, base.length - 8));
      const len = 1 + r.int(Math.min(4096, base.length - cut));
      const piece = base.subarray(cut, cut + len);
      return { kind, bytes: r.next() < 0.5 ? Buffer.concat([base.subarray(0, cut), piece, piece, base.subarray(cut)]) : Buffer.concat([base.subarray(0, cut), base.subarray(cut + len)]) };
    }
  }
}

export async function runImageCase(bytes: Buffer, viaFile: string | undefined): Promise<{ outcome: Outcome; message: string }> {
  try {
    let input: string | Uint8Array = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    if (viaFile) {
      await writeFile(viaFile, bytes);
      input = viaFile;
    }
    const f = await loadFrame(input);
    if (f.width > 0 && f.height > 0 && f.data.length === f.width * f.height * 3) return { outcome: 'ok', message: `${f.width}x${f.height}` };
    return { outcome: 'unclear', message: `decoded to an inconsistent frame ${f.width}x${f.height}/${f.data.length}` };
  } catch (e) {
    if (isFaceGateError(e) && e.code.startsWith('FG_IMAGE')) return { outcome: 'clear', message: e.message };
    return { outcome: 'unclear', message: errorMessage(e) };
  }
}

export const tmpImagePath = (dir: string, i: number): string => join(dir, `case-${i % 16}.img`);
