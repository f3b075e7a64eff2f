/**
 * What one live-view frame costs to prepare, per option: sharp JPEG encode of a 640x480 face frame
 * (cropped from face-api `sample1.jpg`) and of the same frame scaled to 1080p, with sharp's
 * default (optimised Huffman tables), one pass, mozjpeg, scaled to 640 first; and the plain copy
 * of the raw frame the live view used to make on the loop. CPU is this process's (all threads).
 * Run: `nice -n 5 npx tsx test/bench/live-encode.ts [--runs 100]`
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { fetchSource } from '../../models/fetch/fetch-source.ts';
import { round } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' } } });
const runs = Number(values.runs);
const photo = join(await fetchSource('faceapi'), 'demo', 'sample1.jpg');
const meta = await sharp(photo).metadata();
const { data: raw } = await sharp(photo).extract({ left: 0, top: Math.round(meta.height! * 0.2), width: Math.round(meta.width! * 0.4), height: Math.round(meta.height! * 0.6) })
  .resize(640, 480, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
const big = await sharp(raw, { raw: { width: 640, height: 480, channels: 3 } }).resize(1920, 1080, { fit: 'fill' }).raw().toBuffer();

async function measure(label: string, f: () => Promise<Uint8Array>) {
  for (let i = 0; i < 5; i++) await f();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < runs; i++) bytes += (await f()).length;
  const c = process.cpuUsage(c0);
  return { what: label, wall_ms: round((performance.now() - t0) / runs), cpu_ms: round((c.user + c.system) / 1000 / runs), bytes: Math.round(bytes / runs) };
}
const small = () => sharp(raw, { raw: { width: 640, height: 480, channels: 3 } });
const large = () => sharp(big, { raw: { width: 1920, height: 1080, channels: 3 } });
const rows = [
  await measure('640x480 jpeg q70 (sharp default)', () => small().jpeg({ quality: 70 }).toBuffer()),
  await measure('640x480 jpeg q70 one Huffman pass', () => small().jpeg({ quality: 70, optimiseCoding: false }).toBuffer()),
  await measure('640x480 jpeg q70 mozjpeg', () => small().jpeg({ quality: 70, mozjpeg: true }).toBuffer()),
  await measure('1080p jpeg q70 (sharp default)', () => large().jpeg({ quality: 70 }).toBuffer()),
  await measure('1080p scaled to 640 wide, one pass', () => large().resize({ width: 640 }).jpeg({ quality: 70, optimiseCoding: false }).toBuffer()),
  await measure('copy of a 640x480 raw frame', async () => Buffer.from(raw)),
  await measure('copy of a 1080p raw frame', async () => Buffer.from(big)),
];
console.table(rows);
