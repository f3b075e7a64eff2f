/** `facegate console passwd|token` with --json, and the start-time rule: off loopback needs an admin password. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../models/paths.ts';
import { Credentials } from '../../../device/console/credentials.ts';
import { startConsole } from '../../../device/console/server.ts';
import type { ConsoleDeps } from '../../../device/console/console-deps.ts';
import { parseConfig } from '../../../device/config/load-config.ts';

const bin = join(REPO_ROOT, 'bin', 'facegate.js');
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').pop()!) : null, err: r.stderr };
};

test('console passwd reads stdin and stores a scrypt hash; token create/list/revoke; usage errors as JSON', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-cli-console-'));
  const cfgPath = join(dir, 'device.json');
  await writeFile(cfgPath, JSON.stringify({ site: 's', device: 'd', camera: { type: 'files', path: dir }, gallery: { db: join(dir, 'gallery') }, match: { threshold: 1 } }));
  const set = run(['console', 'passwd', '--config', cfgPath, '--json'], 'a fine admin password\n');
  assert.equal(set.code, 0, set.err);
  assert.equal(set.out.credentials, join(dir, 'console-credentials.json'));
  assert.equal(await (await Credentials.open(set.out.credentials)).verifyAdmin('admin', 'a fine admin password'), true);
  const short = run(['console', 'passwd', '--config', cfgPath, '--json'], 'short\n');
  assert.equal(short.code, 1);
  assert.equal(short.out.error.code, 'FG_INPUT_INVALID');
  const tok = run(['console', 'token', 'create', '--config', cfgPath, '--name', 'ci', '--scope', 'read', '--json']);
  assert.equal(tok.code, 0, tok.err);
  assert.match(tok.out.token, /^fgt_/);
  const list = run(['console', 'token', 'list', '--config', cfgPath, '--json']);
  assert.deepEqual(list.out.tokens.map((t: { name: string; scope: string; revoked: string | null }) => [t.name, t.scope, t.revoked]), [['ci', 'read', null]]);
  assert.ok(!JSON.stringify(list.out).includes(tok.out.token));
  assert.equal(run(['console', 'token', 'revoke', '--config', cfgPath, '--id', tok.out.id, '--json']).code, 0);
  const bad = run(['console', 'token', 'create', '--config', cfgPath, '--name', 'x', '--scope', 'root', '--json']);
  assert.equal(bad.code, 2);
  assert.equal(bad.out.error.code, 'FG_CLI_USAGE');
});

test('a console on a non-loopback address does not start without an admin password', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-console-bind-'));
  const cfg = parseConfig({ site: 's', device: 'd', camera: { type: 'files', path: dir }, gallery: { db: join(dir, 'g') }, match: { threshold: 1 }, console: { enabled: true, host: '0.0.0.0', tls: { cert: 'c', key: 'k' } } });
  const credentials = await Credentials.open(join(dir, 'c.json'));
  // Only cfg and credentials are read before the refusal.
  await assert.rejects(startConsole({ cfg, credentials } as unknown as ConsoleDeps), /not loopback: set an admin password first/);
});
