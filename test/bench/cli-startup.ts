// CLI start-up: wall time of `facegate --help`, and of `facegate detect <photo> --json` up to its
// first byte of output (the result). Each run is a fresh process, as a user or a service sees it.
// Both ways the bin can run are measured interleaved (same load): `src` = the TypeScript sources
// through tsx (how every install ran before the build existed), `dist` = the compiled JS (how an
// installed package runs now). Needs `npm run build` first.
// Usage: node --import tsx test/bench/cli-startup.ts [--runs N]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../models/paths.ts';
import { demoPhotos } from '../helpers/demo-photos.ts';
import { quantile, round } from './stats.ts';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7;
const BIN = join(REPO_ROOT, 'bin', 'facegate.js');

/** Milliseconds from spawn to the first stdout byte, and to exit; rejects on a non-zero exit. */
function timeRun(args: string[], mode: Mode): Promise<{ first: number; exit: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = NaN;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FACEGATE_BIN: mode } });
    let err = '';
    child.stdout.once('data', () => { first = performance.now() - t0; });
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`facegate ${args.join(' ')} exited ${code}: ${err.slice(-400)}`));
      else resolve({ first, exit: performance.now() - t0 });
    });
  });
}

type Mode = 'src' | 'dist';
const MODES: Mode[] = ['src', 'dist'];

/** Median ms per mode, the modes interleaved run by run. */
async function medians(args: string[], pick: 'first' | 'exit'): Promise<Record<Mode, number>> {
  for (const m of MODES) await timeRun(args, m); // warm the file-system cache once
  const times: Record<Mode, number[]> = { src: [], dist: [] };
  for (let i = 0; i < RUNS; i++) for (const m of MODES) times[m].push((await timeRun(args, m))[pick]);
  const med = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5), 0);
  return { src: med(times.src), dist: med(times.dist) };
}

if (!existsSync(join(REPO_ROOT, 'dist', 'device', 'cli', 'main.js'))) throw new Error('no dist/: run `npm run build` first');
const [photo] = await demoPhotos();
const help = await medians(['--help'], 'exit');
const detect = await medians(['detect', photo, '--json', '--detector', 'rfb'], 'first');
console.log(JSON.stringify({ runs: RUNS, help_exit_ms_median: help, detect_first_result_ms_median: detect, node: process.version }));
