/**
 * Width and height from a JPEG's frame header (SOFn), without decoding it: a camera's JPEG may
 * go to the live view as is only when it shows the frame the loop decoded (same size; an EXIF
 * quarter turn swaps them, and then the live view encodes the decoded frame instead).
 */
export function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // no length
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2) return null;
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) return null;
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan or end before any frame header
    i += 2 + len;
  }
  return null;
}

/** The JPEG to attach to a decoded frame: `bytes` when they are a JPEG of exactly that size. */
export function passThroughJpeg(bytes: Uint8Array, frame: { width: number; height: number }): Uint8Array | undefined {
  const s = jpegSize(bytes);
  return s && s.width === frame.width && s.height === frame.height ? bytes : undefined;
}
