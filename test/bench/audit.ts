/**
 * Cost of the audit log per decision: the synchronous part an `append` call costs the frame loop
 * (hash + encode + queue), and the time until an entry is durable (write + fdatasync), one at a
 * time and in bursts (group commit), with a decision-sized entry.
 *
 *   node --import tsx test/bench/audit.ts [--n 2000] [--dir <folder on the device's disk>]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, verifyAuditLog } from '../../sdk/audit/index.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const n = Number(arg('n', '2000'));
const dir = await mkdtemp(join(arg('dir', tmpdir()), 'fg-audit-bench-'));
const decision = (i: number) => ({ id: `01JDX${String(i).padStart(21, '0')}`, decision: 'grant', identity: 'employee-00421', distance: 0.6123, threshold: 0.95, model: 'mobilefacenet-192', track: i, frames: 3 });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function run(label: string, o: { key?: Uint8Array; durability: 'fsync' | 'none' }, burst: number): Promise<void> {
  const path = join(dir, `${label}.log`);
  const log = await AuditLog.open(path, o);
  const callMs: number[] = [];
  const durableMs: number[] = [];
  const b0 = log.batches;
  const t0 = performance.now();
  for (let i = 0; i < n; i += burst) {
    const pending: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + burst); j++) {
      const s = performance.now();
      const p = log.append('decision', decision(j));
      callMs.push(performance.now() - s);
      pending.push(p.then(() => durableMs.push(performance.now() - s)));
    }
    await Promise.all(pending);
  }
  const wall = performance.now() - t0;
  const batches = log.batches - b0;
  await log.close();
  const v = await verifyAuditLog(path, { key: o.key });
  console.log(`${label.padEnd(26)} append call p50 ${us(pct(callMs, 0.5))} p99 ${us(pct(callMs, 0.99))} | durable p50 ${pct(durableMs, 0.5).toFixed(2)} ms p99 ${pct(durableMs, 0.99).toFixed(2)} ms | ${(n / (wall / 1000)).toFixed(0)} entries/s, ${batches} batches | verify ${v.ok ? 'ok' : 'BAD'}`);
}

console.log(`audit log bench: ${n} decision entries in ${dir}`);
await run('fsync, one at a time', { durability: 'fsync' }, 1);
await run('fsync, bursts of 16', { durability: 'fsync' }, 16);
await run('hmac+fsync, one at a time', { durability: 'fsync', key: new Uint8Array(32).fill(9) }, 1);
await run('no fsync, one at a time', { durability: 'none' }, 1);
const t = performance.now();
const big = await verifyAuditLog(join(dir, 'fsync, bursts of 16.log'));
console.log(`verify ${big.entries} entries: ${(performance.now() - t).toFixed(1)} ms`);
await rm(dir, { recursive: true, force: true });
