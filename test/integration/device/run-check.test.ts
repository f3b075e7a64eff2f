/**
 * `facegate run --check` refuses every config `run` would refuse, naming the key; `run` itself
 * refuses the same configs before it opens or creates anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPair } from '../../../sdk/mqtt/enrollment-keys.ts';

function facegate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/facegate.js', ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Fixture { dir: string; base: Record<string, unknown> }

async function fixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-check-'));
  await mkdir(join(dir, 'frames'));
  await writeKeyPair(join(dir, 'keys'));
  await writeFile(join(dir, 'site.key'), Buffer.alloc(32, 7), { mode: 0o600 });
  const base = {
    site: 'hq', device: 'door-1',
    camera: { type: 'files', path: join(dir, 'frames') },
    gallery: { db: join(dir, 'var', 'gallery') },
    match: { threshold: 0.9 },
  };
  return { dir, base };
}

async function check(f: Fixture, name: string, cfg: unknown, extra: string[] = ['--check']) {
  const path = join(f.dir, `${name}.json`);
  await writeFile(path, JSON.stringify(cfg));
  const r = await facegate(['run', '--config', path, ...extra, '--json']);
  const out = r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n')[0]) as { ok?: boolean; error?: { code: string; message: string } } : {};
  return { ...r, out };
}

test('run --check: a valid config is ok; each bad one is refused naming the key', { timeout: 180_000 }, async () => {
  const f = await fixture();
  try {
    const ok = await check(f, 'ok', f.base);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.out.ok, true);
    assert.equal(existsSync(join(f.dir, 'var')), false, '--check creates nothing');

    await writeFile(join(f.dir, 'open.key'), Buffer.alloc(32, 7));
    await chmod(join(f.dir, 'open.key'), 0o644);
    const bad: [string, Record<string, unknown>, string, RegExp?][] = [
      ['plain-remote', { mqtt: { url: 'mqtt://broker.example:1883' } }, 'mqtt.url', /TLS|mqtts/],
      ['unparsable', { mqtt: { url: 'mqtt://exa mple:1883' } }, 'mqtt.url', /not a URL/],
      ['missing-ca', { mqtt: { url: 'mqtts://127.0.0.1:8883', ca: join(f.dir, 'nope', 'ca.pem') } }, 'mqtt.ca'],
      ['missing-pub', { mqtt: { enrollmentPublicKey: join(f.dir, 'nope.pub') } }, 'mqtt.enrollmentPublicKey'],
      ['missing-camera', { camera: { type: 'files', path: join(f.dir, 'no-frames') } }, 'camera.path'],
      ['open-key', { gallery: { db: join(f.dir, 'var', 'gallery'), keyFile: join(f.dir, 'open.key') } }, 'gallery.keyFile', /0644/],
      ['open-audit-key', { audit: { keyFile: join(f.dir, 'open.key') } }, 'audit.keyFile', /0644/],
      ['loose-threshold', { match: { threshold: 2 } }, 'match.threshold', /impostor/],
    ];
    for (const [name, patch, key, also] of bad) {
      const r = await check(f, name, { ...f.base, ...patch });
      assert.equal(r.code, 1, `${name}: exit 1, got ${r.code}: ${r.stderr}`);
      assert.equal(r.out.error?.code, 'FG_CONFIG_INVALID', `${name}: ${r.stdout}`);
      assert.ok(r.out.error!.message.includes(key), `${name}: names ${key}: ${r.out.error!.message}`);
      if (also) assert.match(r.out.error!.message, also, name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
    }

    // An explicitly forced loose threshold passes.
    const forced = await check(f, 'forced', { ...f.base, match: { threshold: 2, allowLooseThreshold: true } });
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);

    // A config without `match` runs at the default operating point (match.fpir 0.001).
    const { match: _m, ...noMatch } = f.base;
    const nm = await check(f, 'no-match', noMatch);
    assert.equal(nm.code, 0, nm.stdout + nm.stderr);
  } finally {
    await rm(f.dir, { recursive: true, force: true });
  }
});

test('run refuses a bad config before creating any directory', { timeout: 120_000 }, async () => {
  const f = await fixture();
  try {
    for (const [name, mqtt] of [['plain-remote', { url: 'mqtt://broker.example:1883' }], ['unparsable', { url: 'mqtt://exa mple:1883' }]] as const) {
      const r = await check(f, `run-${name}`, { ...f.base, mqtt }, []);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      assert.equal(r.out.error?.code, 'FG_CONFIG_INVALID', `${name}: ${r.stdout}`);
      assert.equal(existsSync(join(f.dir, 'var')), false, `${name}: no gallery directory was created`);
    }
  } finally {
    await rm(f.dir, { recursive: true, force: true });
  }
});
