// Test runner: Node 20's `node --test` does not expand globs and exits 0 when it finds no
// .ts files, so we list test files ourselves and fail when nothing ran.
import { spawn } from 'node:child_process';
import { readdir, readFile, mkdtemp } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';

async function findTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findTests(p)));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const roots = process.argv.slice(2);
const files = (await Promise.all((roots.length ? roots : ['test']).map(async (r) =>
  r.endsWith('.ts') ? [r] : findTests(r)))).flat();
if (files.length === 0) {
  console.error('test runner: no test files found under', roots.length ? roots.join(' ') : 'test/');
  process.exit(1);
}
const tapFile = join(await mkdtemp(join(tmpdir(), 'facegate-test-')), 'results.tap');
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files.map((f) => relative(process.cwd(), f))];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
const code: number = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
const tap = await readFile(tapFile, 'utf8').catch(() => '');
const count = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const [tests, pass, fail, skipped] = [count('tests'), count('pass'), count('fail'), count('skipped')];
console.log(`\n${pass} passed, ${fail} failed, ${skipped} skipped`);
if (tests === 0 || pass === 0) {
  console.error('test runner: no test ran; treating as failure');
  process.exit(1);
}
process.exit(code !== 0 || fail > 0 ? 1 : 0);
