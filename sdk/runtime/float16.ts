/**
 * IEEE 754 binary16 conversion (Node 20 has no Float16Array). Encoding rounds to nearest, ties to
 * even, like a hardware cast; decoding goes through a 64 K-entry table built once.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bits of the binary16 value nearest to `v` (overflow -> ±Infinity, NaN stays NaN). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // re-biased exponent (127 -> 15)
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m * 2^-24; below half the smallest subnormal it rounds to zero.
    if (e < -10) return sign;
    const m24 = mant | 0x800000;
    const shift = 14 - e;
    let h = m24 >>> shift;
    const rem = m24 & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) !== 0)) h++;
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is exactly the right result (up to Inf).
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
  return h;
}

function halfBitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

let table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = halfBitsToNumber(i);
  }
  return table;
}

/** Value of binary16 bits `h`. */
export function fromHalfBits(h: number): number {
  return halfTable()[h & 0xffff];
}

/** Encodes `src` into `dst` (same length). */
export function encodeHalf(src: Float32Array, dst: Uint16Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = toHalfBits(src[i]);
}

/** Decodes `src` into `dst` (same length). */
export function decodeHalf(src: Uint16Array, dst: Float32Array): void {
  const t = halfTable();
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i]];
}
