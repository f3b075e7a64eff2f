/**
 * `facegate calibrate --open-set` end to end on real lfw-dev photos, int8 as the device: a photo
 * swap between two LFW names (docs/data/lfw-dev-same-person.csv) makes each woman "someone else"
 * to the other as filed; refiled by the label-fix CSV, each is granted as herself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../models/paths.ts';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';

const skip = needData('lfw-dev') || needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192', 'fr-feature-512');
const LFW = join(DATA_DIR, 'lfw-dev');

interface OpenSetJson {
  precision: string;
  protocol: { moved_photos: number; merged_names: number };
  single: { granted_as_self: { count: number; of: number }; misidentified: { count: number } };
}

function openSet(csv: string, ...extra: string[]): OpenSetJson {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'facegate.js'), 'calibrate', '--open-set', '--labeled-csv', csv,
    '--images', join(LFW, 'images'), '--precision', 'int8', '--gallery-size', '16', '--json', '--no-progress', ...extra], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as OpenSetJson;
}

test('open-set: the Flor_Montulo / Nora_Bendijo photo swap, as filed and refiled', { skip, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-openset-fix-'));
  try {
    // The pair, 8 people with 3 photos and 16 with one, from lfw-dev's own list (CRLF CSV).
    const rows = (await readFile(join(LFW, 'identities.csv'), 'utf8')).split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split(','));
    const count = new Map<string, number>();
    for (const [, id] of rows) count.set(id, (count.get(id) ?? 0) + 1);
    const three = [...count].filter(([, n]) => n === 3).slice(0, 8).map(([id]) => id);
    const one = [...count].filter(([, n]) => n === 1).slice(0, 16).map(([id]) => id);
    const keep = new Set(['Flor_Montulo', 'Nora_Bendijo', ...three, ...one]);
    const csv = join(dir, 'subset.csv');
    await writeFile(csv, ['image,identity', ...rows.filter(([, id]) => keep.has(id)).map(([img, id]) => `${img},${id}`)].join('\n') + '\n');

    const filed = openSet(csv);
    assert.equal(filed.precision, 'int8');
    assert.equal(filed.protocol.moved_photos, 0);
    assert.ok(filed.single.misidentified.count >= 1, `as filed, one woman is granted as the other (${JSON.stringify(filed.single)})`);

    const fixed = openSet(csv, '--same-person', join(REPO_ROOT, 'docs', 'data', 'lfw-dev-same-person.csv'));
    assert.equal(fixed.protocol.moved_photos, 2);
    assert.equal(fixed.single.misidentified.count, 0, 'refiled, no one is granted as someone else');
    assert.ok(fixed.single.granted_as_self.count >= filed.single.granted_as_self.count + 1, 'refiled, the women are granted as themselves');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
