// CLI start-up: wall time of `facegate --help`, and of `facegate detect <photo> --json` up to its
// first byte of output (the result). Each run is a fresh process, as a user or a service sees it.
// Usage: node --import tsx test/bench/cli-startup.ts [--runs N]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../models/paths.ts';
import { demoPhotos } from '../helpers/demo-photos.ts';
import { quantile, round } from './stats.ts';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7;
const BIN = join(REPO_ROOT, 'bin', 'facegate.js');

/** Milliseconds from spawn to the first stdout byte, and to exit; rejects on a non-zero exit. */
function timeRun(args: string[]): Promise<{ first: number; exit: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = NaN;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function median(args: string[], pick: 'first' | 'exit'): Promise<number> {
  await timeRun(args); // warm the file-system cache once
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timeRun(args))[pick]);
  times.sort((a, b) => a - b);
  return round(quantile(times, 0.5), 0);
}

const [photo] = await demoPhotos();
const help = await median(['--help'], 'exit');
const detect = await median(['detect', photo, '--json', '--detector', 'rfb'], 'first');
console.log(JSON.stringify({ runs: RUNS, help_exit_ms_median: help, detect_first_result_ms_median: detect, node: process.version }));
