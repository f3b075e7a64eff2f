/**
 * `keygen --force` never writes through a symlink at the key path (the link is replaced, its
 * target untouched), and the key directory is created 0700 whatever the umask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPair } from '../../../sdk/mqtt/enrollment-keys.ts';

test('keygen --force replaces a symlink at enroll.key instead of writing into its target', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fg-keygen-'));
  const keys = join(root, 'keys');
  mkdirSync(keys, { mode: 0o700 });
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'do not overwrite\n', { mode: 0o644 });
  symlinkSync(victim, join(keys, 'enroll.key'));
  symlinkSync(victim, join(keys, 'enroll.pub'));
  await writeKeyPair(keys, { force: true });
  assert.equal(readFileSync(victim, 'utf8'), 'do not overwrite\n', 'the symlink target is untouched');
  assert.equal((statSync(victim).mode & 0o777), 0o644);
  for (const f of ['enroll.key', 'enroll.pub']) assert.ok(lstatSync(join(keys, f)).isFile(), `${f} is now a regular file`);
  assert.equal(lstatSync(join(keys, 'enroll.key')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(keys, 'enroll.key'), 'utf8'), /BEGIN PRIVATE KEY/);
});

test('keygen creates its directory 0700 even under umask 000', async () => {
  const old = process.umask(0o000);
  try {
    const root = mkdtempSync(join(tmpdir(), 'fg-keygen-'));
    await writeKeyPair(join(root, 'a', 'keys'));
    assert.equal(statSync(join(root, 'a', 'keys')).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, 'a')).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, 'a', 'keys', 'enroll.key')).mode & 0o777, 0o600);
  } finally {
    process.umask(old);
  }
});

test('facegate gallery keygen writes a loadable 0600 site key, refuses to overwrite, replaces a symlink', async () => {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const { loadSiteKey } = await import('../../../sdk/security/site-key.ts');
  const root = mkdtempSync(join(tmpdir(), 'fg-gkey-'));
  const file = join(root, 'etc', 'gallery.key');
  const out = JSON.parse(execFileSync(process.execPath, ['bin/facegate.js', 'gallery', 'keygen', '--out', file, '--json'], { encoding: 'utf8' })) as { keyFile: string };
  assert.equal(out.keyFile, file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(root, 'etc')).mode & 0o777, 0o700);
  assert.ok(loadSiteKey({ keyFile: file }));
  const again = spawnSync(process.execPath, ['bin/facegate.js', 'gallery', 'keygen', '--out', file, '--json'], { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stdout, /already exists/);
  const victim = join(root, 'victim');
  writeFileSync(victim, 'keep');
  symlinkSync(victim, join(root, 'linked.key'));
  execFileSync(process.execPath, ['bin/facegate.js', 'gallery', 'keygen', '--out', join(root, 'linked.key'), '--force']);
  assert.equal(readFileSync(victim, 'utf8'), 'keep');
  assert.ok(loadSiteKey({ keyFile: join(root, 'linked.key') }));
});
