// SIGKILLs a child process in the middle of enrolments, index flushes and worker rebuilds, then
// opens the gallery and checks that it holds exactly the committed state, in SQLite and in the
// index: no half-applied change, every acknowledged change present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Gallery, GALLERY_DB } from '../../../sdk/gallery/index.ts';
import { plainCodec } from '../../../sdk/gallery/record-codec.ts';
import { CRASH_DIM, applyOp, opAt, templatesFor, type CrashMode, type CrashOp } from './crash-ops.ts';
import { mulberry32 } from './synthetic.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

interface Round {
  mode: CrashMode;
  /** Kill after this many lines matching `trigger`, then wait up to `jitterMs`. */
  trigger: RegExp;
  count: number;
  jitterMs: number;
}

const ROUNDS: Round[] = [
  { mode: 'enrol', trigger: /^ack /, count: 30, jitterMs: 40 },
  { mode: 'flush', trigger: /^flush-start$/, count: 3, jitterMs: 4 },
  { mode: 'build', trigger: /^build-start$/, count: 2, jitterMs: 120 },
  { mode: 'flush', trigger: /^flush-start$/, count: 5, jitterMs: 1 },
  { mode: 'build', trigger: /^build-start$/, count: 1, jitterMs: 10 },
  { mode: 'bulk', trigger: /^ack /, count: 2, jitterMs: 80 },
  // the bulk worker (started per change, ~1 s with tsx), its transaction and the sliced adoption
  { mode: 'bulk-async', trigger: /^ack /, count: 2, jitterMs: 1500 },
];

function runAndKill(dir: string, round: number, r: Round, rand: () => number): Promise<{ acked: number; killedAt: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(round), r.mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = -1;
    let seen = 0;
    let stderr = '';
    let killed = false;
    let last = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    createInterface({ input: child.stdout }).on('line', (line) => {
      last = line;
      const m = /^ack (\d+)$/.exec(line);
      if (m) acked = Number(m[1]);
      if (!killed && r.trigger.test(line) && ++seen === r.count) {
        killed = true;
        const ms = Math.floor(rand() * r.jitterMs);
        setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acked, killedAt: last });
      else reject(new Error(`child exited by itself (code ${code}): ${stderr}`));
    });
  });
}

function sameVectors(a: Float32Array[], b: Float32Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((v, i) => v.every((x, j) => Math.abs(x - b[i][j]) < 1e-6));
}

/** Which of the candidate states the database holds (null: neither — a half-applied change). */
function dbMatches(dir: string, candidates: Map<string, number>[]): Map<string, number> | null {
  const db = new Database(join(dir, GALLERY_DB), { readonly: true });
  try {
    const rows = db.prepare("SELECT id, identity_id, embedding FROM templates WHERE kind = 'sample' ORDER BY id").all() as { id: number; identity_id: string; embedding: Buffer }[];
    const ids = db.prepare('SELECT id FROM identities').pluck().all() as string[];
    const held = new Map<string, Float32Array[]>(ids.map((id) => [id, []]));
    for (const r of rows) held.get(r.identity_id)!.push(plainCodec.decodeVector(r.id, r.identity_id, 'sample', r.embedding, CRASH_DIM));
    return candidates.find((state) => state.size === held.size &&
      [...state].every(([name, variant]) => held.has(name) && sameVectors(held.get(name)!, templatesFor(name, variant)))) ?? null;
  } finally {
    db.close();
  }
}

async function checkIndex(dir: string, identities: number): Promise<string> {
  const g = await Gallery.open(dir, { exactBelow: 60 });
  try {
    const s = g.stats();
    assert.deepEqual([s.identities, s.templates, s.centres], [identities, 3 * identities, identities]);
    assert.equal(s.index.size, 4 * identities, 'index holds exactly the committed templates and centres');
    const db = new Database(join(dir, GALLERY_DB), { readonly: true });
    const rows = db.prepare('SELECT id, identity_id, kind, embedding FROM templates').all() as { id: number; identity_id: string; kind: 'sample' | 'centre'; embedding: Buffer }[];
    db.close();
    for (const r of rows) {
      const c = g.search(plainCodec.decodeVector(r.id, r.identity_id, r.kind, r.embedding, CRASH_DIM), 1);
      assert.equal(c[0].identityId, r.identity_id);
      assert.equal(c[0].templateId, r.id, `template ${r.id} is in the index`);
      assert.ok(c[0].distance < 1e-4);
    }
    return `${s.index.kind}/${s.index.state}`;
  } finally {
    await g.close();
  }
}

test('SIGKILL at any point: the gallery reopens with exactly the committed state', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rand = mulberry32(20240601);
  let state = new Map<string, number>();
  for (const [round, r] of ROUNDS.entries()) {
    const { acked, killedAt } = await runAndKill(dir, round, r, rand);
    assert.ok(acked >= 0, 'the child committed something before it was killed');
    const acknowledged = new Map(state);
    for (let i = 0; i <= acked; i++) applyOp(acknowledged, opAt(round, i, r.mode));
    const inFlight: CrashOp = opAt(round, acked + 1, r.mode);
    const withNext = new Map(acknowledged);
    applyOp(withNext, inFlight);
    const held = dbMatches(dir, [acknowledged, withNext]);
    assert.ok(held, `round ${round}: database holds neither the acknowledged state nor that plus the op in flight`);
    const how = await checkIndex(dir, held.size);
    t.diagnostic(`round ${round} (${r.mode}): killed after "${killedAt}", ${acked + 1} ops acknowledged, ${held.size} identities`
      + ` (${held === acknowledged ? 'op in flight not committed' : 'op in flight committed'}), reopened index ${how}`);
    state = held;
  }
});
