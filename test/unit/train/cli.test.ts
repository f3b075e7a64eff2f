/**
 * `facegate train-head` as a user runs it: usage errors exit 2 with a JSON error under --json;
 * on real lfw-dev photos a short run prints per-epoch lines on stderr, one JSON object on stdout,
 * writes the head ONNX and registers the fused model in a private pack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, symlink, copyFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, PACK_DIR } from '../../../models/paths.ts';
import type { PackManifest } from '../../../sdk/runtime/model-types.ts';

const BIN = join(REPO_ROOT, 'bin', 'facegate.js');
const LFW = resolve(REPO_ROOT, '..', 'shared', 'data', 'lfw-dev');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

test('train-head usage errors: exit 2, one JSON error object naming the flag', async () => {
  const r = await cli(['train-head', '--images', '/tmp', '--loss', 'triplet', '--out', '/tmp/x.onnx', '--json']);
  assert.equal(r.code, 2);
  assert.deepEqual(JSON.parse(r.stdout), { error: { code: 'FG_CLI_USAGE', message: '--labeled-csv is required' } });
  const bad = await cli(['train-head', '--labeled-csv', 'a.csv', '--images', '/tmp', '--loss', 'arcface', '--out', '/tmp/x.onnx', '--json']);
  assert.equal(bad.code, 2);
  assert.match(JSON.parse(bad.stdout).error.message, /--loss must be one of triplet, center, naive/);
  const epochs = await cli(['train-head', '--labeled-csv', 'a.csv', '--images', '/tmp', '--loss', 'center', '--out', '/tmp/x.onnx', '--epochs', 'ten', '--json']);
  assert.equal(epochs.code, 2);
  assert.match(JSON.parse(epochs.stdout).error.message, /--epochs expects an integer, got "ten"/);
});

test('train-head refuses a CSV without identity/image columns, and missing images before any model work', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-train-csv-'));
  await writeFile(join(dir, 'bad.csv'), 'name,file\r\nA,a.jpg\r\n');
  const r = await cli(['train-head', '--labeled-csv', join(dir, 'bad.csv'), '--images', dir, '--loss', 'triplet', '--out', join(dir, 'h.onnx'), '--json']);
  assert.equal(r.code, 1);
  const e = JSON.parse(r.stdout).error;
  assert.equal(e.code, 'FG_CSV_INVALID');
  assert.match(e.message, /missing identity, image/);
  await writeFile(join(dir, 'missing.csv'), 'identity,image\r\nA,a/1.jpg\r\nA,a/2.jpg\r\n');
  const m = await cli(['train-head', '--labeled-csv', join(dir, 'missing.csv'), '--images', dir, '--loss', 'triplet', '--out', join(dir, 'h.onnx'), '--json']);
  assert.equal(m.code, 1);
  assert.match(JSON.parse(m.stdout).error.message, /2 images not found: .*a\/1\.jpg/);
});

const needs = existsSync(join(LFW, 'identities.csv')) && existsSync(join(PACK_DIR, 'mobilefacenet-192.onnx'))
  ? false : 'needs ../shared/data/lfw-dev and the built model pack';

test('train-head on real photos: progress on stderr, JSON summary, head ONNX, fused model in the pack', { skip: needs }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-train-cli-'));
  // 6 people with 3 images each, from the identities list (CRLF, extra column: as shipped).
  const people = ['Abdullah', 'Abdullah_Gul', 'Abel_Pacheco', 'Adel_Al-Jubeir', 'Adrien_Brody', 'Akhmed_Zakayev'];
  const lines = ['identity,image'];
  for (const p of people) for (let i = 1; i <= 3; i++) lines.push(`${p},${p}/${p}_000${i}.jpg`);
  await writeFile(join(dir, 'labels.csv'), lines.join('\r\n') + '\r\n');
  const pack = join(dir, 'pack');
  await mkdir(pack);
  for (const f of await readdir(PACK_DIR)) if (f.endsWith('.onnx')) await symlink(join(PACK_DIR, f), join(pack, f));
  await copyFile(join(PACK_DIR, 'manifest.json'), join(pack, 'manifest.json'));
  const r = await cli(['train-head', '--labeled-csv', join(dir, 'labels.csv'), '--images', join(LFW, 'images'), '--loss', 'triplet',
    '--out', join(dir, 'head.onnx'), '--epochs', '3', '--dim', '64', '--init', 'orthogonal', '--val-fraction', '0.34', '--alpha', '0.5',
    '--cache-dir', join(dir, 'cache'), '--pack-dir', pack, '--fuse', '--model-id', 'mfn-head-cli-test', '--report', join(dir, 'report'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^epoch 1\/3 .*val acc .*semi-hard \d+/m);
  const s = JSON.parse(r.stdout);
  assert.equal(s.loss, 'triplet');
  assert.equal(s.head, '192 -> 64, L2');
  assert.equal(s.split.train_people + s.split.val_people, 6);
  assert.equal(s.history.length, 4); // epoch 0 (before training) + 3
  assert.equal(s.options.margin, 0.5);
  assert.ok(s.onnx_max_abs_err < 1e-5);
  assert.ok((await readFile(join(dir, 'head.onnx'))).byteLength > 192 * 64 * 4);
  const manifest = JSON.parse(await readFile(join(pack, 'manifest.json'), 'utf8')) as PackManifest;
  const entry = manifest.models.find((m) => m.id === 'mfn-head-cli-test');
  assert.ok(entry, 'fused model registered');
  assert.equal(entry.dim, 64);
  assert.equal(s.fused.model_id, 'mfn-head-cli-test');
  assert.deepEqual((await readdir(join(dir, 'report'))).sort(), ['loss.svg', 'pca-after.svg', 'pca-before.svg', 'val-accuracy.svg']);
});
