/**
 * Peak memory of `facegate detect` on huge photos (issue 19, item 5). Makes a 48 MP JPEG
 * (8000x6000) and a 7000x7000 PNG from a real lfw-dev photo (the face scaled up to 2000 px on a
 * grey canvas), runs the real CLI in a child process per image and reports its peak RSS
 * (getrusage maxrss of the child, via /usr/bin/time -v) and what it found. Progressive JPEGs and
 * interlaced PNGs are decoded whole, so above 16 MP they are refused (FG_IMAGE_TOO_LARGE).
 * Run: `nice -n 5 node --import tsx test/bench/decode-memory.ts [--json] [--keep DIR]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { DATA_DIR } from '../helpers/pack.ts';

const photo = join(DATA_DIR, 'lfw-dev', 'images', 'Aaron_Sorkin', 'Aaron_Sorkin_0001.jpg');
if (!existsSync(photo)) {
  console.error(`needs ${photo} (lfw-dev)`);
  process.exit(1);
}
const keep = process.argv.indexOf('--keep');
const dir = keep > 0 ? process.argv[keep + 1] : mkdtempSync(join(tmpdir(), 'fg-decode-mem-'));

async function canvas(width: number, height: number): Promise<Sharp> {
  const face = await sharp(photo).resize(2000, 2000, { kernel: 'lanczos3' }).toBuffer();
  return sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } }, limitInputPixels: false })
    .composite([{ input: face, left: Math.round((width - 2000) / 2), top: Math.round((height - 2000) / 2) }]);
}

const images: { name: string; path: string; make: () => Promise<unknown> }[] = [
  { name: '48 MP JPEG 8000x6000', path: join(dir, 'photo-48mp.jpg'), make: async () => (await canvas(8000, 6000)).jpeg({ quality: 90 }).toFile(join(dir, 'photo-48mp.jpg')) },
  { name: '49 MP PNG 7000x7000', path: join(dir, 'photo-7000.png'), make: async () => (await canvas(7000, 7000)).png({ compressionLevel: 9 }).toFile(join(dir, 'photo-7000.png')) },
  { name: '48 MP progressive JPEG', path: join(dir, 'photo-48mp-progressive.jpg'), make: async () => (await canvas(8000, 6000)).jpeg({ quality: 90, progressive: true }).toFile(join(dir, 'photo-48mp-progressive.jpg')) },
  { name: '16 MP progressive JPEG 4608x3456', path: join(dir, 'photo-16mp-progressive.jpg'), make: async () => (await canvas(4608, 3456)).jpeg({ quality: 90, progressive: true }).toFile(join(dir, 'photo-16mp-progressive.jpg')) },
  { name: '49 MP interlaced PNG', path: join(dir, 'photo-7000-interlaced.png'), make: async () => (await canvas(7000, 7000)).png({ progressive: true }).toFile(join(dir, 'photo-7000-interlaced.png')) },
  { name: 'lfw-dev 250x250 JPEG', path: photo, make: async () => undefined },
];

const bin = join(import.meta.dirname, '..', '..', 'bin', 'facegate.js');
const rows: Record<string, unknown>[] = [];
for (const img of images) {
  if (!existsSync(img.path)) await img.make();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, 'detect', img.path, '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(r.stderr);
  let found = '';
  try {
    const out = JSON.parse(r.stdout) as { width?: number; height?: number; faces?: { box: number[]; score: number }[]; error?: { code: string } }[];
    const o = out[0];
    found = o.error ? o.error.code : `${o.width}x${o.height}: ${o.faces!.length} face(s)${o.faces!.length ? ` box ${o.faces![0].box.join(',')} score ${o.faces![0].score}` : ''}`;
  } catch {
    found = `exit ${r.status}: ${(r.stdout + r.stderr).slice(0, 200)}`;
  }
  rows.push({ image: img.name, file_bytes: statSync(img.path).size, exit: r.status, peak_rss_mib: rss ? Math.round(Number(rss[1]) / 1024) : null, wall: wall?.[1], result: found });
}
if (keep < 0) rmSync(dir, { recursive: true, force: true });
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else console.table(rows);
