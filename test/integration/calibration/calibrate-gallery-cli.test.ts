import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { createPipeline } from '../../../sdk/pipeline/create-pipeline.ts';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { centralFaceIndex } from '../../../calibration/analyzer.ts';

const BIN = resolve('bin/facegate.js');
const LFW = resolve('../shared/data/lfw-dev');
const PACK = resolve('models/pack');
const has = (id: string) => existsSync(join(PACK, `${id}.onnx`));
const skip = !existsSync(LFW) ? 'needs ../shared/data/lfw-dev'
  : !['rfb-320', 'landmark-68', 'fr-feature-512'].every(has) ? 'needs rfb-320, landmark-68, fr-feature-512 in models/pack' : false;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [BIN, 'calibrate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

test('--db: 1:1 and 1:N thresholds from an lfw-dev gallery, then open-set probes', { skip, timeout: 600_000 }, async () => {
  const images = join(LFW, 'images');
  const rows = parseCsv(await readFile(join(LFW, 'ident_gallery.csv')), { columns: true, bom: true }) as { identity: string; image: string }[];
  const people = [...new Set(rows.map((r) => r.identity))].slice(0, 30);
  const dir = await mkdtemp(join(tmpdir(), 'fg-galcal-'));
  const galleryDir = join(dir, 'gallery');
  const p = await createPipeline({ detector: 'rfb', embedder: 'fr-feature-512' });
  try {
    const g = await Gallery.open(galleryDir, { create: true, modelId: p.modelId, dim: 512, worker: false });
    for (const person of people) {
      const embs: Float32Array[] = [];
      for (const r of rows.filter((x) => x.identity === person)) {
        const a = await p.analyze(join(images, r.image), { fallback: true });
        embs.push(a.faces[centralFaceIndex(a.faces, a.width, a.height)].embedding);
      }
      g.enroll(person, embs);
    }
    await g.close();
  } finally {
    await p.release();
  }
  // Without extra data: impostor distances between the enrolled people.
  const a = await cli(['--db', galleryDir, '--detector', 'rfb', '--embedder', 'fr-feature-512', '--target-far', '0.05', '--json', '--report', join(dir, 'report')]);
  assert.equal(a.code, 0, a.stderr);
  const j = JSON.parse(a.stdout);
  assert.equal(j.identities, 30);
  assert.equal(j.templates, 60);
  assert.equal(j.one_to_one.genuine_pairs, 30);
  assert.equal(j.one_to_one.impostor_pairs, (60 * 60 - 30 * 4) / 2);
  assert.ok(j.one_to_one.auc > 0.95, `auc ${j.one_to_one.auc}`);
  assert.equal(j.open_set.source, 'leave-one-identity-out');
  assert.equal(j.open_set.gallery_size, 29);
  assert.ok(typeof j.threshold_1n === 'number' && j.fpir <= 0.05);
  // A stranger meets N people: the 1:N threshold is not looser than the 1:1 one at the same rate.
  assert.ok(j.threshold_1n <= j.threshold + 1e-9, `1:N ${j.threshold_1n} vs 1:1 ${j.threshold}`);
  assert.ok(existsSync(join(dir, 'report', 'index.html')));
  // Open set with probes: known images 3+ of enrolled people, and people not enrolled.
  const probes = parseCsv(await readFile(join(LFW, 'ident_probes.csv')), { columns: true, bom: true }) as { image: string; true_identity: string }[];
  const known = probes.filter((r) => people.includes(r.true_identity)).slice(0, 40);
  const unknown = probes.filter((r) => r.true_identity === 'UNKNOWN').slice(0, 40);
  const csv = join(dir, 'probes.csv');
  await writeFile(csv, 'image,true_identity\r\n' + [...known, ...unknown].map((r) => `${r.image},${r.true_identity}`).join('\r\n') + '\r\n');
  const b = await cli(['--db', galleryDir, '--probes-csv', csv, '--images', images, '--detector', 'rfb', '--embedder', 'fr-feature-512', '--threshold', String(j.threshold_1n), '--json', '--no-progress']);
  assert.equal(b.code, 0, b.stderr);
  const k = JSON.parse(b.stdout);
  assert.equal(k.open_set.source, 'probes');
  assert.equal(k.open_set.mated_searches, known.length);
  assert.equal(k.open_set.non_mated_searches, 40);
  assert.ok(k.fpir <= 0.2 && k.fnir < 0.5, `fpir ${k.fpir} fnir ${k.fnir}`);
  // A probe embedding from another model is refused.
  const c = await cli(['--db', galleryDir, '--probes-csv', csv, '--images', images, '--embedder', 'mobilefacenet-192', '--detector', 'rfb', '--json', '--no-progress']);
  if (has('mobilefacenet-192')) {
    assert.equal(c.code, 1);
    assert.match(JSON.parse(c.stdout).error.message, /holds fr-feature-512 embeddings; the probes would be embedded with mobilefacenet-192/);
  }
});
