import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const BIN = resolve('bin/facegate.js');
const NUAA = resolve('../shared/data/spoof-nuaa-dev');
const packHas = (id: string) => existsSync(resolve('models/pack', `${id}.onnx`));
const modelsSkip = ['fr-liveness', 'mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet'].every(packHas) ? false : 'needs fr-liveness and MTCNN in models/pack';

interface Run { code: number; stdout: string; stderr: string }
function cli(args: string[]): Promise<Run> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [BIN, 'liveness', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

function expectRefusal(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.match(JSON.parse(r.stdout.trim()).error.message, pattern);
}

test('bad inputs: clear message, non-zero exit, before any model is loaded', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-live-'));
  await mkdir(join(dir, 'img'));
  await writeFile(join(dir, 'img', 'a.jpg'), 'not decoded: the checks fail first');
  const run = async (csv: string, extra: string[] = []) => {
    await writeFile(join(dir, 'l.csv'), csv);
    return cli(['--labels', join(dir, 'l.csv'), '--images', join(dir, 'img'), '--json', ...extra]);
  };
  expectRefusal(await run('image,label\r\na.jpg,live\r\nnope.jpg,attack\r\n'), 1, /line 3: image "nope\.jpg" not found/);
  expectRefusal(await run('a.jpg,live\r\na.jpg,attack\r\n'), 1, /line 1 is not a valid header \(missing image, label\)/);
  expectRefusal(await run('image,label\na.jpg,maybe\n'), 1, /line 2 has label "maybe"; expected live or attack/);
  expectRefusal(await run('image,label\n../x.jpg,live\n'), 1, /leaves the --images folder/);
  expectRefusal(await run('image,label\n'), 1, /no rows after the header/);
  expectRefusal(await run('image,label\na.jpg,live\n', ['--model', 'best']), 2, /--model must be one of fr-liveness, antispoof-256, fused/);
  expectRefusal(await run('image,label\na.jpg,live\n', ['--threshold', '1.5']), 2, /--threshold must be a number in \[0, 1\]/);
  expectRefusal(await cli(['--images', dir, '--json']), 2, /--labels <csv> and --images <dir> are required/);
  expectRefusal(await cli(['--labels', join(dir, 'missing.csv'), '--images', dir, '--json']), 1, /missing\.csv: cannot read the CSV/);
});

test('live demo photos: one JSON object, threshold at BPCER 5%, no attacks -> apcer null', { skip: modelsSkip, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-live-'));
  const photos = (await demoPhotos()).slice(0, 2);
  await Promise.all(photos.map((p, i) => copyFile(p, join(dir, `p${i}.jpg`))));
  await writeFile(join(dir, 'l.csv'), '\ufeffimage,label,subject\r\np0.jpg,live,s0\r\np1.jpg,live,s1\r\n');
  const r = await cli(['--labels', join(dir, 'l.csv'), '--images', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim());
  assert.equal(j.model, 'fr-liveness');
  assert.equal(j.live, 2);
  assert.equal(j.attacks, 0);
  assert.equal(j.apcer, null);
  assert.equal(j.bpcer, 0); // 5% of 2 allows no reject
  assert.ok(j.threshold > 0 && j.threshold < 1);
  assert.deepEqual(j.subjects.map((s: { subject: string }) => s.subject), ['s0', 's1']);
  assert.deepEqual(j.noFace, []);
});

test('NUAA subset: BPCER/APCER per variant and subject, leave-subjects-out threshold', {
  skip: !existsSync(NUAA) ? 'needs ../shared/data/spoof-nuaa-dev' : modelsSkip, timeout: 600_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-live-'));
  const lines = (await readFile(join(NUAA, 'labels.csv'), 'utf8')).split('\r\n').filter(Boolean);
  // Every 12th row keeps live frames of the three live subjects and attacks of all eight.
  await writeFile(join(dir, 'l.csv'), [lines[0], ...lines.slice(1).filter((_, i) => i % 12 === 0)].join('\r\n') + '\r\n');
  const r = await cli(['--labels', join(dir, 'l.csv'), '--images', NUAA, '--json', '--fit-subjects', '0004,0006', '--per-image']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim());
  assert.match(j.thresholdRule, /BPCER 5% on fit subjects 0004,0006/);
  assert.deepEqual(j.fit.subjects, ['0004', '0006']);
  assert.ok(j.live > 0 && j.attacks > 0, 'subject 0007 live and attacks of 0001-0003, 0005, 0007, 0008 are reported');
  assert.ok(Object.keys(j.apcerByAttackVariant).every((k) => k.startsWith('print_handheld_')));
  assert.deepEqual(Object.keys(j.apcerByAttackType), ['print']);
  assert.ok(j.subjects.length === 8);
  const mean = (label: string) => {
    const s = j.perImage.filter((p: { label: string }) => p.label === label).map((p: { score: number }) => p.score);
    return s.reduce((a: number, b: number) => a + b, 0) / s.length;
  };
  assert.ok(mean('live') > mean('attack'));
  assert.ok(j.auc > 0.5);
});
