import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandDoor, SysfsGpioDoor } from '../../../device/door/door-output.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

test('sysfs GPIO door: value goes high for the pulse and back low (active-high and active-low)', async () => {
  for (const activeLow of [false, true]) {
    const root = await mkdtemp(join(tmpdir(), 'fg-gpio-'));
    await mkdir(join(root, 'gpio17'));
    await writeFile(join(root, 'gpio17', 'value'), '');
    const door = new SysfsGpioDoor({ line: 17, sysfsRoot: root, activeLow, pulseMs: 150 });
    const pulse = door.pulse({ identity: 'a', decisionId: 'd1' });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(await readFile(join(root, 'gpio17', 'value'), 'utf8'), activeLow ? '0' : '1');
    assert.equal(await readFile(join(root, 'gpio17', 'direction'), 'utf8'), 'out');
    await pulse;
    assert.equal(await readFile(join(root, 'gpio17', 'value'), 'utf8'), activeLow ? '1' : '0');
    await door.close();
  }
});

test('sysfs GPIO door with a missing line fails clearly', async () => {
  const door = new SysfsGpioDoor({ line: 5, sysfsRoot: '/nonexistent-gpio', activeLow: false, pulseMs: 50 });
  await assert.rejects(door.pulse({ identity: 'a', decisionId: 'd' }), (e: unknown) => e instanceof FaceGateError && /line 5/.test(e.message));
});

test('command door runs the hook with identity in the environment; failures are errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-door-'));
  const out = join(dir, 'out.txt');
  const door = new CommandDoor({ command: '/bin/sh', args: ['-c', `printf '%s %s' "$FACEGATE_IDENTITY" "$FACEGATE_PULSE_MS" > ${out}`], pulseMs: 700 });
  await door.pulse({ identity: 'alice; rm -rf /', decisionId: 'x' });
  assert.equal(await readFile(out, 'utf8'), 'alice; rm -rf / 700');
  const bad = new CommandDoor({ command: '/bin/false', args: [], pulseMs: 100 });
  await assert.rejects(bad.pulse({ identity: 'a', decisionId: 'y' }), FaceGateError);
  const missing = new CommandDoor({ command: '/nonexistent/door-hook', args: [], pulseMs: 100 });
  await assert.rejects(missing.pulse({ identity: 'a', decisionId: 'z' }), /door-hook/);
});
