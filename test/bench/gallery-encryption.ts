/**
 * Encrypted gallery start-up: what opening costs with the HNSW index file sealed on disk
 * (decrypted through a RAM directory) versus keeping no index file and rebuilding the graph in
 * memory at every start, against a plain gallery as reference. Synthetic 192-d templates, two
 * per identity, centres off, default HNSW parameters.
 *
 *   node --import tsx test/bench/gallery-encryption.ts [--sizes 10000,100000] [--json out.json]
 *
 * Each size runs in its own process. Per size: replaceAll into SQLite (plain, encrypted), index
 * build + sealed write, then open times: records only (loadIndex false), open with the index
 * file (plain / sealed), and (encrypted) open with no index file: the graph rebuilt at open
 * (inline build; it also writes the file, a small part of the time).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gallery } from '../../sdk/gallery/gallery.ts';
import { readSidecar, removeIndexFiles, removeSidecar } from '../../sdk/gallery/index-file.ts';
import { SiteKey } from '../../sdk/security/site-key.ts';
import { syntheticPeople } from '../unit/gallery/synthetic.ts';

const DIM = 192;
const MODEL = 'bench-192';
const SELF = fileURLToPath(import.meta.url);

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; s: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, s: +((performance.now() - t0) / 1000).toFixed(3) };
}

async function openClose(dir: string, opts: Parameters<typeof Gallery.open>[1]): Promise<{ s: number; state: string }> {
  const { value: g, s } = await timed(() => Gallery.open(dir, opts));
  const state = g.stats().index.state;
  await g.close();
  return { s, state };
}

async function runSize(n: number): Promise<Record<string, unknown>> {
  const people = syntheticPeople(n / 2, DIM, 42);
  const snapshot = people.centres.map((_, i) => ({ identity: { id: `person-${i}`, name: `Person ${i}` }, templates: [people.sample(i), people.sample(i)] }));
  const key = SiteKey.generate('bench');
  const out: Record<string, unknown> = { templates: n };
  for (const encrypted of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'fg-bench-enc-'));
    const k = encrypted ? key : null;
    const tag = encrypted ? 'encrypted' : 'plain';
    try {
      const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, centres: false, key: k });
      const ins = await timed(async () => g.replaceAll(snapshot, 1));
      const build = await timed(async () => { await g.whenIdle(); await g.flush(); });
      await g.close();
      const sidecar = await readSidecar(dir);
      const fileMb = sidecar ? +(statSync(join(dir, sidecar.file)).size / 2 ** 20).toFixed(1) : null;
      const records = await openClose(dir, { key: k, loadIndex: false });
      const withFile = await openClose(dir, { key: k });
      const withFile2 = await openClose(dir, { key: k });
      // The alternative to a sealed file (no index file at all): only the encrypted case needs it.
      let rebuild = { s: NaN, state: 'not measured' };
      if (encrypted) {
        await removeSidecar(dir);
        await removeIndexFiles(dir, null);
        rebuild = await openClose(dir, { key: k, worker: false });
      }
      out[tag] = {
        replace_all_s: ins.s, worker_build_and_write_s: build.s, index_file_mb: fileMb,
        open_records_only_s: records.s, open_with_index_file_s: [withFile.s, withFile2.s], open_with_index_file_state: withFile.state,
        open_rebuild_in_memory_s: rebuild.s, open_rebuild_state: rebuild.state,
      };
      process.stderr.write(`${n} ${tag}: ${JSON.stringify(out[tag])}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

if (arg('child')) {
  const r = await runSize(Number(arg('child')));
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  const sizes = (arg('sizes', '10000,100000') as string).split(',').map(Number);
  const results: unknown[] = [];
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`size ${n} failed (${r.status})`);
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  const report = { machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((x) => +x.toFixed(2)) }, results };
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
  const json = arg('json');
  if (json) writeFileSync(json, JSON.stringify(report, null, 1) + '\n');
}
