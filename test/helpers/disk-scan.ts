/**
 * Byte scans of a directory for erasure and encryption tests: every byte of every file (the
 * SQLite -wal and -shm files and index files included) searched for a needle.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHalf } from '../../sdk/runtime/float16.ts';

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out.sort();
}

/** Files under `dir` that contain any of the needles (with the needle's label). */
export function filesContaining(dir: string, needles: Record<string, Buffer>): string[] {
  const hits: string[] = [];
  for (const f of filesUnder(dir)) {
    const data = readFileSync(f);
    for (const [label, needle] of Object.entries(needles)) if (needle.length > 0 && data.includes(needle)) hits.push(`${f}: ${label}`);
  }
  return hits;
}

/** Needles for a template: its float32 bytes, its float16 bytes, and a 64-byte float32 window. */
export function templateNeedles(name: string, v: Float32Array): Record<string, Buffer> {
  const f32 = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const half = new Uint16Array(v.length);
  encodeHalf(v, half);
  return {
    [`${name} float32`]: Buffer.from(f32),
    [`${name} float32[16..32]`]: Buffer.from(f32.subarray(64, 128)),
    [`${name} float16`]: Buffer.from(half.buffer),
  };
}

export function textNeedle(name: string, text: string): Record<string, Buffer> {
  return { [name]: Buffer.from(text, 'utf8') };
}

/** name -> sha256 of every file, to show a failed command changed nothing. */
export function dirDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of filesUnder(dir)) out[f] = createHash('sha256').update(readFileSync(f)).digest('hex');
  return out;
}
