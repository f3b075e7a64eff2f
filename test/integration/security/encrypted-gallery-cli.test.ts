/**
 * Acceptance (issue 11, encryption at rest) through the real CLI on real faces: with a key no
 * file under the gallery directory holds an enrolled identity's id, name or template (float32 or
 * float16); `facegate gallery --key-file` still counts it; no key, a wrong key or a key file
 * others can read fail with a clear message, exit 1, and leave every file byte-identical. A plain
 * gallery enrolled from the same photos is the control: the same scan finds its id and template.
 * Then removal (erasure), key rotation and encrypting the plain gallery, all by the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { loadSiteKey } from '../../../sdk/security/site-key.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { cliPipelineFlags } from '../../helpers/cli-pipeline.ts';
import { dirDigest, filesContaining, templateNeedles, textNeedle } from '../../helpers/disk-scan.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const FLAGS = cliPipelineFlags();

interface Run { code: number | null; json: Record<string, unknown>; stdout: string; stderr: string }

function cli(args: string[]): Run {
  const env = { ...process.env };
  delete env.FACEGATE_GALLERY_KEY; // the key comes from the flags only
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'facegate.js'), ...args], { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 1 << 26 });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  } catch {
    // not JSON: the assertions say what was expected
  }
  return { code: r.status, json, stdout: r.stdout, stderr: r.stderr };
}

function errorOf(r: Run): { code?: string; message?: string } {
  return (r.json.error as { code?: string; message?: string } | undefined) ?? {};
}

const PEOPLE = [
  { id: 'visitor-q7x3k', name: 'Ada Quarrington' },
  { id: 'courier-z9w2m', name: 'Bram Zwolsky' },
];

/** Stored templates of every enrolled person, read back through the SDK (with the key). */
async function storedTemplates(db: string, keyFile: string | undefined): Promise<Float32Array[][]> {
  const g = await Gallery.open(db, { key: keyFile ? loadSiteKey({ keyFile }) : null, loadIndex: false });
  try {
    return PEOPLE.map((p) => g.templates(p.id).map((t) => t.embedding));
  } finally {
    await g.close();
  }
}

function needles(templates: Float32Array[][]): Record<string, Buffer> {
  let out: Record<string, Buffer> = {};
  PEOPLE.forEach((p, i) => {
    out = { ...out, ...textNeedle(`id ${p.id}`, p.id), ...textNeedle(`name ${p.name}`, p.name) };
    templates[i].forEach((v, j) => { out = { ...out, ...templateNeedles(`${p.id} template ${j}`, v) }; });
  });
  return out;
}

test('encrypted gallery through the CLI: nothing readable on disk, counted with the key, refused without it', { skip: FLAGS ? false : 'needs the model pack (models build)', timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fg-sec-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const photos = await demoPhotos();
  const keyA = join(tmp, 'a.key');
  const keyB = join(tmp, 'b.key');
  const keyOpen = join(tmp, 'open.key');
  writeFileSync(keyA, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  writeFileSync(keyB, randomBytes(32), { mode: 0o600 });
  writeFileSync(keyOpen, randomBytes(32).toString('base64'));
  chmodSync(keyOpen, 0o644);
  const enc = join(tmp, 'enc');
  const plain = join(tmp, 'plain');

  for (const [db, key] of [[enc, ['--key-file', keyA]], [plain, []]] as const) {
    PEOPLE.forEach((p, i) => {
      const r = cli(['enroll', '--db', db, '--id', p.id, '--name', p.name, photos[i + 1], '--json', ...key, ...FLAGS!]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.templates_added, 1, r.stdout);
    });
  }

  // Counted with the key.
  let r = cli(['gallery', '--db', enc, '--key-file', keyA, '--json', '--list']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.identities, r.json.templates, r.json.encrypted], [2, 2, true]);
  assert.deepEqual((r.json.list as { id: string; name: string }[]).map((i) => [i.id, i.name]), PEOPLE.map((p) => [p.id, p.name]).sort());

  // No id, name or template bytes in any file; the plain control holds them all.
  const encTemplates = await storedTemplates(enc, keyA);
  assert.deepEqual(filesContaining(enc, needles(encTemplates)), []);
  const plainHits = filesContaining(plain, needles(await storedTemplates(plain, undefined)));
  for (const what of [`id ${PEOPLE[0].id}`, `name ${PEOPLE[1].name}`, `${PEOPLE[0].id} template 0 float32`]) {
    assert.ok(plainHits.some((h) => h.endsWith(what)), `control: plain gallery holds ${what}`);
  }

  // Refusals: exit 1, a clear message, files byte-identical.
  const before = dirDigest(enc);
  const refusals: [string[], RegExp][] = [
    [[], /is encrypted: give its site key/],
    [['--key-file', keyB], /wrong key for gallery/],
    [['--key-file', keyOpen], new RegExp(`key file .*open\\.key has mode 0644.*chmod 600`)],
    [['--key-file', join(tmp, 'missing.key')], /does not exist/],
  ];
  for (const [key, message] of refusals) {
    for (const args of [['gallery', '--db', enc, '--json'], ['remove', '--db', enc, '--id', PEOPLE[0].id, '--json']]) {
      r = cli([...args, ...key]);
      assert.equal(r.code, 1, `${args[0]} ${key.join(' ')}: ${r.stdout} ${r.stderr}`);
      assert.equal(errorOf(r).code, 'FG_GALLERY_KEY');
      assert.match(errorOf(r).message ?? '', message);
      assert.deepEqual(dirDigest(enc), before, `${args[0]} ${key.join(' ')} changed no file`);
    }
  }
  // Human output names the problem too.
  r = cli(['gallery', '--db', enc]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is encrypted: give its site key/);
  // A plain gallery refuses a key rather than guessing.
  r = cli(['gallery', '--db', plain, '--key-file', keyA, '--json']);
  assert.equal(r.code, 1);
  assert.match(errorOf(r).message ?? '', /not encrypted but a key was given/);

  // identify works on the encrypted gallery with its key.
  writeFileSync(join(tmp, 'probes.csv'), `image\r\n${photos[1].split('/').pop()}\r\n`);
  r = cli(['identify', '--db', enc, '--key-file', keyA, '--probes-csv', join(tmp, 'probes.csv'), '--images', join(photos[1], '..'), '--json', ...FLAGS!]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.json.results as { identity: string }[])[0].identity, PEOPLE[0].id);
  // calibrate --db reads the sealed templates with the key, and refuses without it.
  r = cli(['calibrate', '--db', enc, '--key-file', keyA, '--json', '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.identities, 2, r.stdout);
  assert.equal(errorOf(cli(['calibrate', '--db', enc, '--json', '--no-progress'])).code, 'FG_GALLERY_KEY');

  // Erasure by the CLI on the plain control: the removed person's id and template are gone.
  const plainTemplates = await storedTemplates(plain, undefined);
  r = cli(['remove', '--db', plain, '--id', PEOPLE[0].id, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const removed = { ...textNeedle('id', PEOPLE[0].id), ...templateNeedles('template', plainTemplates[0][0]) };
  assert.deepEqual(filesContaining(plain, removed), []);

  // Rotation A -> B: B opens, A is refused.
  r = cli(['gallery', 'rekey', '--db', enc, '--key-file', keyA, '--new-key-file', keyB, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.from, r.json.to, r.json.identities, r.json.templates], ['encrypted', 'encrypted', 2, 2]);
  assert.equal(cli(['gallery', '--db', enc, '--key-file', keyB, '--json']).json.identities, 2);
  assert.equal(errorOf(cli(['gallery', '--db', enc, '--key-file', keyA, '--json'])).code, 'FG_GALLERY_KEY');
  assert.deepEqual(filesContaining(enc, needles(encTemplates)), []);

  // Encrypting the plain gallery in place: its remaining person's id and template leave the files.
  r = cli(['gallery', 'rekey', '--db', plain, '--new-key-file', keyA, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([r.json.from, r.json.to], ['plain', 'encrypted']);
  assert.deepEqual(filesContaining(plain, { ...textNeedle('id', PEOPLE[1].id), ...textNeedle('name', PEOPLE[1].name), ...templateNeedles('t', plainTemplates[1][0]) }), []);
  r = cli(['gallery', '--db', plain, '--key-file', keyA, '--json']);
  assert.deepEqual([r.code, r.json.identities, r.json.encrypted], [0, 1, true]);
});
