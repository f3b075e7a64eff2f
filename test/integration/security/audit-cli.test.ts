/**
 * The audit log through the real CLI: `enroll` and `remove` with --audit-log append entries,
 * `audit verify` accepts the log and finds one flipped byte, a removed and a swapped entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../models/paths.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { needModels } from '../../helpers/pack.ts';

const skip = needModels('mtcnn-pnet', 'mobilefacenet-192');
const BIN = join(REPO_ROOT, 'bin', 'facegate.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

interface Report { ok: boolean; entries: number; lastSeq: number; firstBadSeq: number | null; problems: { kind: string; seq: number }[] }

test('enroll/remove --audit-log append to a chain that `audit verify` accepts and that detects edits', { skip, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-audit-cli-'));
  const db = join(dir, 'gallery');
  const log = join(dir, 'audit.log');
  const [photo] = await demoPhotos();
  let r = cli('enroll', '--db', db, '--embedder', 'mobilefacenet-192', '--id', 'alice-0042', '--name', 'Alice Example', photo, '--audit-log', log, '--json', '--no-progress');
  assert.equal(r.status, 0, r.stderr);
  r = cli('remove', '--db', db, '--id', 'alice-0042', '--audit-log', log, '--json');
  assert.equal(r.status, 0, r.stderr);

  const text = await readFile(log, 'utf8');
  const kinds = text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind);
  assert.deepEqual(kinds, ['audit-open', 'identities-enrolled', 'audit-open', 'identity-removed']);
  assert.ok(text.includes('"ids":["alice-0042"]'));
  assert.ok(!text.includes('Alice Example'), 'display names are never written');

  r = cli('audit', 'verify', '--log', log, '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const ok = JSON.parse(r.stdout) as Report;
  assert.equal(ok.ok, true);
  assert.equal(ok.lastSeq, 4);
  r = cli('audit', 'verify', '--log', log);
  assert.match(r.stdout, /OK, 4 entries, seq 1\.\.4 \(sha256\)/);

  // One byte changed inside entry 2: exit 1, first bad seq 2.
  const bytes = await readFile(log);
  const at = bytes.indexOf('"templates":') + 12;
  const flipped = Buffer.from(bytes);
  flipped[at] ^= 0x01;
  const bad = join(dir, 'flipped.log');
  await writeFile(bad, flipped);
  r = cli('audit', 'verify', '--log', bad, '--json');
  assert.equal(r.status, 1);
  let rep = JSON.parse(r.stdout) as Report;
  assert.equal(rep.firstBadSeq, 2);
  assert.equal(rep.problems[0].kind, 'changed');
  r = cli('audit', 'verify', '--log', bad);
  assert.match(r.stdout, /BAD, first bad seq 2/);

  const lines = text.trimEnd().split('\n');
  await writeFile(bad, [lines[0], lines[1], lines[3]].join('\n') + '\n');
  rep = JSON.parse(cli('audit', 'verify', '--log', bad, '--json').stdout) as Report;
  assert.deepEqual([rep.ok, rep.firstBadSeq, rep.problems[0].kind], [false, 3, 'missing']);
  await writeFile(bad, [lines[0], lines[2], lines[1], lines[3]].join('\n') + '\n');
  rep = JSON.parse(cli('audit', 'verify', '--log', bad, '--json').stdout) as Report;
  assert.deepEqual([rep.ok, rep.firstBadSeq, rep.problems[0].kind], [false, 2, 'reordered']);
});

test('an unkeyed audit log inside the gallery directory is refused before any change', { skip, timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-audit-cli-'));
  const db = join(dir, 'gallery');
  const [photo] = await demoPhotos();
  const r = cli('enroll', '--db', db, '--id', 'bob', photo, '--audit-log', join(db, 'audit.log'), '--json', '--no-progress');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /inside the gallery directory/);
  assert.ok(!existsSync(db), 'nothing was created');
});
