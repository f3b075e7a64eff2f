/**
 * `facegate detect` on hostile files, through the real CLI process: a truncated JPEG, random
 * bytes, a PNG whose header claims 100,000 x 100,000 pixels, a FIFO (reading it would block
 * forever) and an over-size file. Each must get a clear error entry and the process must exit 1
 * (not a signal) within seconds and without the memory a full decode would take.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT } from '../../../models/paths.ts';
import { DEFAULT_MAX_BYTES } from '../../../sdk/image/load-frame.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { needModels } from '../../helpers/pack.ts';
import { pngClaiming } from '../../helpers/fuzz/image-cases.ts';
import { seededRandom } from '../../../calibration/random.ts';

const skip = needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet');
const BIN = join(REPO_ROOT, 'bin', 'facegate.js');
const TIME = '/usr/bin/time';

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; wallMs: number; maxRssKiB: number | null }

/** Runs the CLI; under GNU time (when installed) to read the peak resident memory. */
function runCli(args: string[]): Promise<Run> {
  const useTime = existsSync(TIME) && spawnSync(TIME, ['-f', '%M', 'true']).status === 0;
  const [cmd, argv] = useTime ? [TIME, ['-f', 'maxrss=%M', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      const m = /maxrss=(\d+)/.exec(stderr);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - t0, maxRssKiB: m ? Number(m[1]) : null });
    });
  });
}

async function hostileFiles(dir: string): Promise<Record<string, string>> {
  const [photo] = await demoPhotos();
  const jpeg = await sharp(photo).jpeg().toBuffer();
  const rnd = seededRandom(11);
  const files = {
    truncated: join(dir, 'truncated.jpg'),
    random: join(dir, 'random.jpg'),
    claims100k: join(dir, 'claims-100000x100000.png'),
  };
  await writeFile(files.truncated, jpeg.subarray(0, Math.floor(jpeg.length * 0.4)));
  await writeFile(files.random, Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(rnd() * 256))));
  const png = pngClaiming(100_000, 100_000);
  assert.equal(png.readUInt32BE(16), 100_000);
  assert.equal(png.readUInt32BE(20), 100_000);
  await writeFile(files.claims100k, png);
  return files;
}

test('detect --json on a truncated JPEG, random bytes and a 100,000 x 100,000 PNG: a clear error each, exit 1, seconds, bounded memory', { skip, timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-hostile-'));
  const files = await hostileFiles(dir);
  const expect: Record<string, [string, RegExp]> = {
    truncated: ['FG_IMAGE_DECODE', /premature end|truncated|cannot decode/i],
    random: ['FG_IMAGE_DECODE', /unsupported image format|cannot decode/i],
    claims100k: ['FG_IMAGE_TOO_LARGE', /exceeds the 50000000 pixel limit/],
  };
  // Each file alone (its own exit code), then all three in one run.
  for (const [name, path] of Object.entries(files)) {
    const r = await runCli(['detect', path, '--json']);
    t.diagnostic(`${name}: exit ${r.code}, ${r.wallMs.toFixed(0)} ms, peak RSS ${r.maxRssKiB ?? '?'} KiB`);
    assert.equal(r.signal, null, `${name}: killed by ${r.signal}`);
    assert.equal(r.code, 1, `${name}: exit code ${r.code}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim()) as { image: string; error?: { code: string; message: string } }[];
    assert.equal(out.length, 1);
    assert.equal(out[0].error?.code, expect[name][0], `${name}: ${r.stdout}`);
    assert.match(out[0].error!.message, expect[name][1]);
    assert.ok(out[0].error!.message.includes(path), 'the message names the file');
    assert.ok(r.wallMs < 30_000, `${name} took ${r.wallMs} ms`);
    // A 100,000^2 RGB decode would need 30 GB; the model pack and runtime alone take a few hundred MB.
    if (r.maxRssKiB !== null) assert.ok(r.maxRssKiB < 1_500_000, `${name}: peak RSS ${r.maxRssKiB} KiB`);
  }
  const all = await runCli(['detect', ...Object.values(files), '--json']);
  assert.equal(all.code, 1);
  const out = JSON.parse(all.stdout.trim()) as { error?: { code: string } }[];
  assert.deepEqual(out.map((o) => o.error?.code), Object.keys(files).map((k) => expect[k][0]));
});

test('detect on a FIFO, a directory and an over-size file: refused before decoding, never blocks', { skip: skip || (process.platform === 'win32' ? 'no FIFOs' : false), timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-hostile-'));
  const fifo = join(dir, 'camera.jpg');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const big = join(dir, 'huge.jpg');
  const fh = await open(big, 'w');
  await fh.truncate(DEFAULT_MAX_BYTES + 1); // sparse: no disk used
  await fh.close();
  const r = await runCli(['detect', fifo, dir, big, '--json']);
  assert.equal(r.signal, null);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { error?: { code: string; message: string } }[];
  assert.deepEqual(out.map((o) => o.error?.code), ['FG_IMAGE_DECODE', 'FG_IMAGE_DECODE', 'FG_IMAGE_TOO_LARGE']);
  assert.match(out[0].error!.message, /not a regular file/);
  assert.match(out[2].error!.message, /over the 67108864-byte limit/);
});
