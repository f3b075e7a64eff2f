/** Usage errors (unknown flag, missing argument, unknown command) still answer --json with one error object. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

function facegate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/facegate.js', ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const cases: [string, string[]][] = [
  ['unknown flag', ['gallery', '--db', '/nonexistent', '--bogus', '--json']],
  ['missing argument', ['detect', '--json']],
  ['missing required option', ['remove', '--db', '/nonexistent', '--json']],
  ['unknown command', ['frobnicate', '--json']],
  ['unknown subcommand', ['audit', 'frob', '--json']],
];

for (const [name, args] of cases) {
  test(`usage error with --json prints {"error":...}: ${name}`, { timeout: 70_000 }, async () => {
    const r = await facegate(args);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, `one JSON line on stdout, got ${JSON.stringify(r.stdout)}`);
    const body = JSON.parse(lines[0]) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'FG_CLI_USAGE');
    assert.ok(body.error.message.length > 5 && !body.error.message.startsWith('error:'), body.error.message);
    assert.match(r.stderr, /error/i, 'the human message still goes to stderr');
  });
}

test('usage error without --json keeps stdout empty', { timeout: 70_000 }, async () => {
  const r = await facegate(['frobnicate']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
});
