import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../models/paths.ts';
import { AuditLog, entryHash, serializeEntry, type AuditEntry } from '../../../sdk/audit/index.ts';

const BIN = join(REPO_ROOT, 'bin', 'facegate.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

test('audit anchor exports the head (--json); verify --anchor then detects a cut tail and a rewritten chain', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-anchor-'));
  const log = join(dir, 'audit.log');
  try {
    const a = await AuditLog.open(log, { durability: 'none', rotateBytes: 1024 });
    for (let i = 0; i < 12; i++) await a.append('decision', { id: `d${i}`, decision: 'grant', identity: `p${i}` });
    await a.close();

    const r = cli('audit', 'anchor', '--log', log, '--json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const anchor = JSON.parse(r.stdout) as { log: string; seq: number; hash: string; entries: number; segments: number };
    assert.match(anchor.hash, /^[0-9a-f]{64}$/);
    assert.equal(anchor.seq, anchor.entries);
    assert.ok(anchor.segments >= 1, 'the anchor covers rotated segments');
    assert.equal(cli('audit', 'verify', '--log', log, '--anchor', anchor.hash, '--json').status, 0);

    // Cut the tail: the shorter chain is still valid on its own, the anchor is gone.
    const full = await readFile(log, 'utf8');
    const kept = full.trimEnd().split('\n').slice(0, -2);
    await writeFile(log, kept.length ? kept.join('\n') + '\n' : '');
    let v = cli('audit', 'verify', '--log', log, '--json');
    assert.equal(v.status, 0, 'a cut tail alone verifies: that is why anchors exist; ' + v.stdout);
    v = cli('audit', 'verify', '--log', log, '--anchor', anchor.hash, '--json');
    assert.equal(v.status, 1);
    assert.deepEqual((JSON.parse(v.stdout) as { missingAnchors: string[] }).missingAnchors, [anchor.hash]);

    // Rewrite the last entry and re-hash it (unkeyed SHA-256 needs no secret): chain valid, anchor missing.
    await writeFile(log, full);
    const lines = full.trimEnd().split('\n');
    const last = JSON.parse(lines.at(-1)!) as AuditEntry;
    const forged = { ...last, fields: { ...last.fields, decision: 'deny' } };
    const rewritten = { ...forged, hash: entryHash(forged) };
    await writeFile(log, [...lines.slice(0, -1), serializeEntry(rewritten)].join('\n') + '\n');
    assert.equal(cli('audit', 'verify', '--log', log, '--json').status, 0);
    v = cli('audit', 'verify', '--log', log, '--anchor', anchor.hash, '--json');
    assert.equal(v.status, 1);

    // A broken chain exports no anchor: typed JSON error, exit 1.
    await writeFile(log, full.replace('"grant"', '"GRANT"'));
    const bad = cli('audit', 'anchor', '--log', join(dir, 'audit.log.000001'), '--json');
    assert.equal(bad.status, 0, 'the untouched first segment alone verifies');
    const seg = join(dir, 'audit.log.000001');
    await writeFile(seg, (await readFile(seg, 'utf8')).replace('"grant"', '"GRANT"'));
    const e = cli('audit', 'anchor', '--log', log, '--json');
    assert.equal(e.status, 1);
    const err = JSON.parse(e.stdout) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'FG_AUDIT');
    assert.match(err.error.message, /does not verify.*changed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
