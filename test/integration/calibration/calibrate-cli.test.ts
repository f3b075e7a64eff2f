import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, mkdir, readFile, readdir, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { renderReport, chromiumSkip } from './render-report.ts';

const BIN = resolve('bin/facegate.js');
const LFW = resolve('../shared/data/lfw-dev');
const PACK = resolve('models/pack');

interface Run { code: number; stdout: string; stderr: string }

function cli(args: string[]): Promise<Run> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [BIN, 'calibrate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/** A pipeline whose models are in the pack: MTCNN + MobileFaceNet when built, else RFB + fr_feature. */
function availablePipeline(): string[] | null {
  const has = (id: string) => existsSync(join(PACK, `${id}.onnx`));
  if (['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192'].every(has)) return ['--detector', 'mtcnn', '--embedder', 'mobilefacenet-192'];
  if (['rfb-320', 'landmark-68', 'fr-feature-512'].every(has)) return ['--detector', 'rfb', '--embedder', 'fr-feature-512'];
  return null;
}

async function workdir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-cal-'));
  await mkdir(join(dir, 'img'));
  for (const f of ['a1.jpg', 'a2.jpg', 'b1.jpg']) await writeFile(join(dir, 'img', f), 'not decoded: the checks fail first');
  return dir;
}

function expectRefusal(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  const json = JSON.parse(r.stdout.trim());
  assert.match(json.error.message, pattern);
}

test('bad inputs: clear message, non-zero exit, nothing written', { timeout: 120_000 }, async () => {
  const dir = await workdir();
  const report = join(dir, 'report');
  const cfg = join(dir, 'device.yaml');
  await writeFile(cfg, 'site: s\ndevice: d\ncamera: { type: files, path: ./f }\ngallery: { db: ./g.db }\nmatch: { threshold: 1.1 }\n');
  const common = ['--images', join(dir, 'img'), '--json', '--report', report];
  // Missing image.
  await writeFile(join(dir, 'missing.csv'), 'image_a,image_b,same\r\na1.jpg,a2.jpg,1\r\na1.jpg,nope.jpg,0\r\n');
  expectRefusal(await cli(['--pairs', join(dir, 'missing.csv'), ...common]), 1, /1 image not found: .*nope\.jpg/);
  // CSV without a header.
  await writeFile(join(dir, 'nohead.csv'), '1,a1.jpg,a2.jpg,1\r\n');
  expectRefusal(await cli(['--pairs', join(dir, 'nohead.csv'), ...common]), 1, /line 1 is not a valid header.*fold,image_a,image_b,same/);
  // One person only: no impostor pairs.
  await writeFile(join(dir, 'one.csv'), 'identity,image\r\nann,a1.jpg\r\nann,a2.jpg\r\n');
  expectRefusal(await cli(['--labeled-csv', join(dir, 'one.csv'), ...common]), 1, /1 identity: impostor pairs need at least two different people/);
  await writeFile(join(dir, 'same.csv'), 'image_a,image_b,same\r\na1.jpg,a2.jpg,1\r\n');
  expectRefusal(await cli(['--pairs', join(dir, 'same.csv'), ...common]), 1, /no impostor pairs/);
  // Fewer impostor pairs than the target FAR needs (also with --write-config: config untouched).
  await writeFile(join(dir, 'few.csv'), 'image_a,image_b,same\r\na1.jpg,a2.jpg,1\r\na1.jpg,b1.jpg,0\r\na2.jpg,b1.jpg,0\r\n');
  expectRefusal(await cli(['--pairs', join(dir, 'few.csv'), ...common, '--target-far', '0.01', '--write-config', cfg]), 1, /target FAR 0\.01 needs at least 300 impostor pairs.*the data have 2/);
  // Path escaping --images.
  await writeFile(join(dir, 'escape.csv'), 'image_a,image_b,same\r\na1.jpg,../escape.csv,0\r\n');
  expectRefusal(await cli(['--pairs', join(dir, 'escape.csv'), ...common]), 1, /leaves the --images folder/);
  // Usage errors exit 2.
  expectRefusal(await cli(['--pairs', join(dir, 'few.csv'), ...common, '--target-far', '2']), 2, /--target-far must be a number in \(0, 1\)/);
  expectRefusal(await cli(['--json']), 2, /an input is required/);
  expectRefusal(await cli(['--pairs', join(dir, 'few.csv'), '--json']), 2, /needs --images/);
  assert.equal(existsSync(report), false, 'report folder must not exist after a refused run');
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('device.yaml')), ['device.yaml']);
});

const pipeline = availablePipeline();
const realSkip = !existsSync(LFW) ? 'needs ../shared/data/lfw-dev' : !pipeline ? 'needs a detector + embedder in models/pack (node bin/facegate.js models build)' : false;

test('lfw-dev subset end to end: JSON contract, threshold, config write, report in Chromium', { skip: realSkip || chromiumSkip, timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-cal-'));
  const cfg = join(dir, 'device.yaml');
  const [, detector, , embedder] = pipeline!;
  await writeFile(cfg, `site: s\ndevice: d\ncamera: { type: files, path: ./f }\ngallery: { db: ./g.db }\nmatch: { threshold: 1.5 }\npipeline: { detector: ${detector}, embedder: ${embedder} }\n`);
  const report = join(dir, 'report');
  const r = await cli(['--pairs', join(LFW, 'pairs.csv'), '--images', join(LFW, 'images'), ...pipeline!, '--limit', '60',
    '--target-far', '0.1', '--report', report, '--write-config', cfg, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /embedding \d+\/\d+ \(\d+%\)/); // progress on stderr, not a TTY: counter lines
  const j = JSON.parse(r.stdout.trim());
  for (const k of ['pairs', 'accuracy', 'accuracy_std', 'auc', 'eer', 'threshold_eer', 'tar_at_far', 'no_face', 'ms', 'd_prime', 'model', 'detector', 'flip', 'threshold', 'far_at_threshold', 'frr_at_threshold']) {
    assert.ok(k in j, `missing key ${k}`);
  }
  assert.equal(j.pairs, 60);
  assert.deepEqual(Object.keys(j.tar_at_far), ['0.01', '0.001']);
  assert.deepEqual(Object.keys(j.no_face).sort(), ['centre_crop', 'failed', 'fallback_low_threshold', 'images']);
  assert.deepEqual(Object.keys(j.ms), ['decode', 'detect', 'embed', 'total']);
  assert.match(j.accuracy_protocol, /^3-fold/);
  // Real faces: same-person pairs are much closer than different-person pairs.
  assert.ok(j.accuracy > 0.8 && j.auc > 0.9, `accuracy ${j.accuracy}, auc ${j.auc}`);
  assert.ok(j.genuine_distance_mean < j.impostor_distance_mean);
  assert.ok(j.far_at_threshold <= 0.1);
  assert.ok(j.threshold_detail.far_ci.lower <= j.far_at_threshold && j.far_at_threshold <= j.threshold_detail.far_ci.upper);
  const written = parseYaml(await readFile(cfg, 'utf8')) as { match: { threshold: number } };
  assert.equal(written.match.threshold, j.threshold);
  assert.equal((parseYaml(await readFile(cfg + '.bak', 'utf8')) as { match: { threshold: number } }).match.threshold, 1.5);
  const page = await renderReport(pathToFileURL(join(report, 'index.html')).href);
  assert.deepEqual(page.charts.map((c) => c.kind), ['roc', 'det', 'histogram', 'embedding-map']);
  for (const c of page.charts.filter((c) => c.kind !== 'det')) assert.ok(c.coloured > 100, `${c.kind}: ${c.coloured} data pixels`);
  assert.deepEqual(page.externalRequests, []);
  // --threshold evaluates the chosen threshold again: the same FAR on the same pairs.
  const again = await cli(['--pairs', join(LFW, 'pairs.csv'), '--images', join(LFW, 'images'), ...pipeline!, '--limit', '60', '--threshold', String(j.threshold), '--json', '--no-progress']);
  assert.equal(again.code, 0, again.stderr);
  const k = JSON.parse(again.stdout.trim());
  assert.equal(k.far_at_threshold, j.far_at_threshold);
  assert.equal(k.frr_at_threshold, j.frr_at_threshold);
  assert.equal(again.stderr, '');
});

test('--labeled-dir: all genuine pairs, seeded impostor sample, threshold at a target FAR', { skip: realSkip, timeout: 600_000 }, async () => {
  // Eight lfw-dev people with 3+ images, three images each, copied into <dir>/<person>/.
  const ids = (await readFile(join(LFW, 'identities.csv'), 'utf8')).split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split(','));
  const byPerson = new Map<string, string[]>();
  for (const [image, identity] of ids) byPerson.set(identity, [...(byPerson.get(identity) ?? []), image]);
  const people = [...byPerson.entries()].filter(([, imgs]) => imgs.length >= 3).slice(0, 8);
  assert.equal(people.length, 8);
  const dir = await mkdtemp(join(tmpdir(), 'fg-lab-'));
  for (const [person, imgs] of people) {
    await mkdir(join(dir, 'people', person), { recursive: true });
    for (const img of imgs.slice(0, 3)) await copyFile(join(LFW, 'images', img), join(dir, 'people', person, img.split('/').pop()!));
  }
  const r = await cli(['--labeled-dir', join(dir, 'people'), ...pipeline!, '--target-far', '0.05', '--seed', '7', '--json', '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.input.identities, 8);
  assert.equal(j.genuine_pairs, 8 * 3);
  assert.equal(j.impostor_pairs, (24 * 24 - 8 * 9) / 2); // fewer possible than the sample size: all of them
  assert.equal(j.images, 24);
  assert.match(j.accuracy_protocol, /10 balanced blocks/);
  assert.ok(j.far_at_threshold <= 0.05);
  assert.ok(j.auc > 0.95, `auc ${j.auc}`);
});
