import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, auditSegments, verifyAuditLog } from '../../../sdk/audit/index.ts';

async function rotatedLog(key?: Uint8Array) {
  const dir = await mkdtemp(join(tmpdir(), 'fg-audit-rot-'));
  const path = join(dir, 'audit.log');
  // ~250-byte entries, rotated at 2 KiB: several segments.
  let log = await AuditLog.open(path, { durability: 'none', rotateBytes: 2048, key });
  for (let i = 0; i < 30; i++) await log.append('decision', { id: `d${i}`, decision: i % 2 ? 'grant' : 'deny', identity: log.identity(`person-${i % 3}`), distance: 0.5 });
  await log.close();
  // A restart after rotation continues the chain of the newest file.
  log = await AuditLog.open(path, { durability: 'none', rotateBytes: 2048, key });
  await log.append('device-stop', {});
  await log.close();
  return { dir, path, segments: await auditSegments(path) };
}

test('rotation continues the hash chain across files; verify spans them', async () => {
  const key = new Uint8Array(32).fill(7);
  const { dir, path, segments } = await rotatedLog(key);
  try {
    assert.ok(segments.length >= 3, `${segments.length} segments`);
    assert.match(segments[0], /audit\.log\.000001$/);
    const lines = async (f: string) => (await readFile(f, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string; seq: number; hash: string; prev: string; fields: { segment?: string; lastSeq?: number; lastHash?: string } });
    const end = (await lines(segments[0])).at(-1)!;
    const first = (await lines(segments[1]))[0];
    assert.equal(first.kind, 'log-continued');
    assert.deepEqual([first.fields.segment, first.fields.lastSeq, first.fields.lastHash], ['audit.log.000001', end.seq, end.hash]);
    assert.deepEqual([first.seq, first.prev], [end.seq + 1, end.hash]);
    const r = await verifyAuditLog(path, { key });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.segments?.length, segments.length);
    assert.equal(r.entries, r.lastSeq); // every seq from 1, once
    assert.ok(r.lastSeq >= 33);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a removed, swapped or edited segment is detected', async () => {
  const { dir, path, segments } = await rotatedLog();
  try {
    const middle = await readFile(segments[1]);
    // Removed: the next file's seqs no longer follow.
    await rm(segments[1]);
    let r = await verifyAuditLog(path);
    assert.equal(r.ok, false);
    assert.ok(r.problems.some((p) => p.kind === 'missing'), JSON.stringify(r.problems));
    await writeFile(segments[1], middle);
    assert.equal((await verifyAuditLog(path)).ok, true);
    // Swapped with the one after it.
    const third = await readFile(segments[2]);
    await writeFile(segments[1], third);
    await writeFile(segments[2], middle);
    r = await verifyAuditLog(path);
    assert.equal(r.ok, false);
    await writeFile(segments[1], middle);
    await writeFile(segments[2], third);
    // One byte edited inside the oldest segment.
    const oldest = await readFile(segments[0]);
    const edited = Buffer.from(oldest);
    edited[edited.indexOf('grant')] = 0x47; // 'G'
    await writeFile(segments[0], edited);
    r = await verifyAuditLog(path);
    assert.equal(r.ok, false);
    assert.equal(r.problems[0].kind, 'changed');
    assert.match(r.problems[0].message, /^audit\.log\.000001: /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
