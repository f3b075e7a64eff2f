// The gallery CLI contract (enroll / remove / gallery / identify) on real images and real models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { cliPipelineFlags } from '../../helpers/cli-pipeline.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LFW = join(ROOT, '..', 'shared', 'data', 'lfw-dev');
const NOFACE = join(ROOT, '..', 'shared', 'data', 'noface-dev', 'images', 'coffee.png');

const FLAGS = cliPipelineFlags();

interface Run { code: number | null; json: Record<string, unknown>; stderr: string }

function cli(args: string[]): Run {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'facegate.js'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  } catch {
    // not JSON: leave empty, the assertions will say what was expected
  }
  return { code: r.status, json, stderr: r.stderr };
}

function errorCode(r: Run): string | undefined {
  return (r.json.error as { code?: string } | undefined)?.code;
}

test('enroll --id and identify on a real photo; same photo again is a skipped duplicate', { skip: FLAGS ? false : 'needs the model pack (models build)', timeout: 180_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fg-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const [photo] = await demoPhotos();
  const images = join(tmp, 'images');
  mkdirSync(images);
  copyFileSync(photo, join(images, 'door.jpg'));
  const db = join(tmp, 'db');
  let r = cli(['enroll', '--db', db, '--id', 'visitor', '--name', 'A Visitor', join(images, 'door.jpg'), '--json', ...FLAGS!]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.identities_created, r.json.templates_added], [1, 1]);
  r = cli(['enroll', '--db', db, '--id', 'visitor', join(images, 'door.jpg'), '--json', ...FLAGS!]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.templates_added, r.json.duplicates_skipped], [0, 1]);
  writeFileSync(join(tmp, 'probes.csv'), 'image\r\ndoor.jpg\r\n');
  r = cli(['identify', '--db', db, '--probes-csv', join(tmp, 'probes.csv'), '--images', images, '--threshold', '0.9', '--json', ...FLAGS!]);
  assert.equal(r.code, 0, r.stderr);
  const res = (r.json.results as { image: string; decision: string; identity: string; distance: number }[])[0];
  assert.deepEqual([res.image, res.decision, res.identity], ['door.jpg', 'grant', 'visitor']);
  assert.ok(res.distance < 1e-3, `same image, same face: distance ${res.distance}`);
  assert.equal(r.json.summary, undefined, 'no truth column, no summary');
  // a gallery is bound to its model: asking for the other embedder is refused
  const other = (FLAGS!.includes('fr-feature-512') ? 'mobilefacenet-192' : 'fr-feature-512');
  r = cli(['identify', '--db', db, '--probes-csv', join(tmp, 'probes.csv'), '--images', images, '--embedder', other, '--json']);
  assert.equal(r.code, 1);
  assert.equal(errorCode(r), 'FG_GALLERY_MODEL_MISMATCH');
});

test('bulk enrol from a CRLF CSV, list no-face images, identify with truth, remove', { skip: !FLAGS ? 'needs the model pack' : existsSync(LFW) && existsSync(NOFACE) ? false : 'needs ../shared/data/lfw-dev and noface-dev', timeout: 300_000 }, (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fg-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const images = join(tmp, 'images');
  const people = ['Abdullah_Gul', 'Adrien_Brody', 'Al_Sharpton', 'Amelia_Vega'];
  const copy = (rel: string) => {
    mkdirSync(join(images, dirname(rel)), { recursive: true });
    copyFileSync(join(LFW, 'images', rel), join(images, rel));
  };
  const galleryRows: string[] = [];
  const probeRows: string[] = [];
  for (const p of people) {
    for (const n of [1, 2, 3]) copy(`${p}/${p}_000${n}.jpg`);
    galleryRows.push(`${p},${p}/${p}_0001.jpg,x,1`, `${p},${p}/${p}_0002.jpg,y,2`);
    probeRows.push(`${p}/${p}_0003.jpg,${p}`);
  }
  mkdirSync(join(images, 'misc'));
  copyFileSync(NOFACE, join(images, 'misc', basename(NOFACE)));
  galleryRows.push(`Nobody,misc/${basename(NOFACE)},z,1`);
  for (const stranger of ['Abba_Eban/Abba_Eban_0001.jpg', 'Abbas_Kiarostami/Abbas_Kiarostami_0001.jpg']) {
    if (!existsSync(join(LFW, 'images', stranger))) continue;
    copy(stranger);
    probeRows.push(`${stranger},UNKNOWN`);
  }
  writeFileSync(join(tmp, 'gallery.csv'), `identity,image,note,enroll_rank\r\n${galleryRows.join('\r\n')}\r\n`);
  writeFileSync(join(tmp, 'probes.csv'), `image,true_identity\r\n${probeRows.join('\r\n')}\r\n`);
  const db = join(tmp, 'db');

  let r = cli(['enroll', '--db', db, '--labeled-csv', join(tmp, 'gallery.csv'), '--images', images, '--json', ...FLAGS!]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.identities_enrolled, r.json.templates_added], [4, 8]);
  assert.deepEqual(r.json.no_face, [{ image: `misc/${basename(NOFACE)}`, identity: 'Nobody' }]);
  assert.match(r.stderr, /enrol \d+\/9/, 'progress on stderr');

  r = cli(['gallery', '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.identities, r.json.templates, r.json.model], [4, 8, FLAGS!.includes('fr-feature-512') ? 'fr-feature-512' : 'mobilefacenet-192']);

  r = cli(['identify', '--db', db, '--probes-csv', join(tmp, 'probes.csv'), '--images', images, '--json', ...FLAGS!]);
  assert.equal(r.code, 0, r.stderr);
  const results = r.json.results as { image: string; decision: string; identity: string | null; distance: number }[];
  assert.equal(results.length, probeRows.length);
  const summary = r.json.summary as { rank1: number; known: number; unknown: number; false_accept_rate: number | null; dir_at_fpir: Record<string, number>; threshold: number };
  assert.equal(summary.known, 4);
  assert.equal(summary.rank1, 1, 'each known probe finds its own identity first');
  assert.equal(typeof summary.threshold, 'number');
  if (summary.unknown > 0) {
    assert.equal(summary.false_accept_rate, 0);
    assert.equal(typeof summary.dir_at_fpir['0.01'], 'number');
  }
  for (const res of results.slice(0, 4)) assert.equal(res.decision, 'grant', `${res.image} at ${res.distance}`);

  r = cli(['remove', '--db', db, '--id', 'Adrien_Brody', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.removed, r.json.templates_removed], ['Adrien_Brody', 2]);
  r = cli(['remove', '--db', db, '--id', 'Adrien_Brody', '--json']);
  assert.deepEqual([r.code, errorCode(r)], [1, 'FG_GALLERY_NOT_FOUND']);
  r = cli(['identify', '--db', db, '--probes-csv', join(tmp, 'probes.csv'), '--images', images, '--json', ...FLAGS!]);
  const brody = (r.json.results as { image: string; decision: string; identity: string | null }[]).find((x) => x.image.startsWith('Adrien_Brody'))!;
  assert.notEqual(brody.identity, 'Adrien_Brody', 'a removed identity is never matched');
});

test('bad CSV input is refused before anything is written', { skip: FLAGS ? false : 'needs the model pack' }, (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fg-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  mkdirSync(join(tmp, 'images'));
  const db = join(tmp, 'db');
  writeFileSync(join(tmp, 'escape.csv'), 'identity,image\r\nmallory,../secret.jpg\r\n');
  let r = cli(['enroll', '--db', db, '--labeled-csv', join(tmp, 'escape.csv'), '--images', join(tmp, 'images'), '--json', ...FLAGS!]);
  assert.deepEqual([r.code, errorCode(r)], [1, 'FG_CSV_INVALID']);
  assert.match(JSON.stringify(r.json), /leaves the --images folder/);
  writeFileSync(join(tmp, 'header.csv'), 'name,file\r\na,b.jpg\r\n');
  r = cli(['enroll', '--db', db, '--labeled-csv', join(tmp, 'header.csv'), '--images', join(tmp, 'images'), '--json', ...FLAGS!]);
  assert.deepEqual([r.code, errorCode(r)], [1, 'FG_CSV_INVALID']);
  assert.equal(existsSync(db), false, 'no gallery was created');
  r = cli(['gallery', '--db', db, '--json']);
  assert.deepEqual([r.code, errorCode(r)], [1, 'FG_GALLERY_NOT_FOUND']);
  r = cli(['enroll', '--db', db, '--json']);
  assert.deepEqual([r.code, errorCode(r)], [2, 'FG_CLI_USAGE']);
});
