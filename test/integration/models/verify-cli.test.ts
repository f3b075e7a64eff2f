import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, mkdtemp, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACK_DIR, REPO_ROOT } from '../../../models/paths.ts';
import { needModels } from '../../helpers/pack.ts';

const run = promisify(execFile);
const bin = join(REPO_ROOT, 'bin', 'facegate.js');
const skip = needModels('rfb-320');

test('models verify --json: every model ok with sha256, shapes and load ms', { skip }, async () => {
  const { stdout } = await run(process.execPath, [bin, 'models', 'verify', '--json']);
  const result = JSON.parse(stdout) as { ok: boolean; models: { id: string; sha256_ok: boolean; load_ms: number; inputs: unknown[] }[] };
  assert.equal(result.ok, true);
  const manifest = JSON.parse(await readFile(join(PACK_DIR, 'manifest.json'), 'utf8')) as { models: { id: string }[] };
  assert.deepEqual(result.models.map((m) => m.id).sort(), manifest.models.map((m) => m.id).sort());
  for (const m of result.models) {
    assert.equal(m.sha256_ok, true, m.id);
    assert.ok(m.load_ms > 0, m.id);
    assert.ok(m.inputs.length > 0, m.id);
  }
});

test('models verify exits non-zero naming a corrupted file', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-pack-'));
  await cp(PACK_DIR, dir, { recursive: true });
  const victim = join(dir, 'rfb-320.onnx');
  const fh = await open(victim, 'r+');
  await fh.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, 1000); // flip bytes mid-file
  await fh.close();
  const err = await run(process.execPath, [bin, 'models', 'verify', '--json', '--dir', dir]).then(() => null, (e: { code: number; stdout: string }) => e);
  assert.ok(err, 'verify should fail');
  assert.equal(err.code, 1);
  const result = JSON.parse(err.stdout) as { ok: boolean; models: { id: string; error?: string }[] };
  assert.equal(result.ok, false);
  const bad = result.models.find((m) => m.id === 'rfb-320');
  assert.ok(bad?.error?.includes(victim), `error names the file: ${bad?.error}`);
  assert.ok(result.models.filter((m) => m.id !== 'rfb-320').every((m) => !m.error), 'other models still verify');
});
