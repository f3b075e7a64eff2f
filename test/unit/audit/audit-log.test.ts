import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { chmod, mkdtemp, readFile, truncate, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, canonicalJson, entryHash, GENESIS, parseEntry, readAuditKey, serializeEntry, verifyAuditBytes, verifyAuditLog } from '../../../sdk/audit/index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const tmp = () => mkdtemp(join(tmpdir(), 'fg-audit-'));
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const T0 = '2026-01-01T00:00:00.000Z';
const clock = () => { let t = Date.parse(T0); return () => new Date(t += 1000); };

test('canonical JSON sorts keys, drops undefined properties and refuses non-finite numbers', () => {
  assert.equal(canonicalJson({ b: [1, 'x', null], a: { d: true, c: -0.5 }, u: undefined }), '{"a":{"c":-0.5,"d":true},"b":[1,"x",null]}');
  assert.equal(canonicalJson('é\n"'), '"é\\n\\""');
  assert.throws(() => canonicalJson({ d: Infinity }), /audit field d: Infinity/);
  assert.throws(() => canonicalJson({ x: new Date(0) }), /Date object/);
});

test('entry hash: known answers for SHA-256 and HMAC-SHA-256 (computed with sha256sum / openssl)', () => {
  const e = { seq: 1, time: T0, kind: 'test', fields: { b: [true, null, 'x'], a: 1 }, prev: GENESIS };
  assert.equal(entryHash(e), '9ddfc9d2bfaeab175ed72816f2d8f44588bf55293dce6b5f45a8d111f846cd16');
  assert.equal(entryHash(e, KEY), '5d3a1b18c5b59a1c5fc2181346fe80495e591565f5eb9dbaf2ebd481260a9d86');
  const line = serializeEntry({ ...e, hash: entryHash(e) });
  assert.equal(line, `{"seq":1,"time":"${T0}","kind":"test","fields":{"a":1,"b":[true,null,"x"]},"prev":"${GENESIS}","hash":"9ddfc9d2bfaeab175ed72816f2d8f44588bf55293dce6b5f45a8d111f846cd16"}`);
  assert.deepEqual(parseEntry(line), { ...e, fields: { a: 1, b: [true, null, 'x'] }, hash: entryHash(e) });
  // Same value, other bytes: refused (a verifier compares bytes, not just values).
  assert.equal(parseEntry(line.replace('"seq":1', '"seq": 1')), 'not in canonical form');
  assert.equal(parseEntry(line.replace('"a":1', '"a":1.0')), 'not in canonical form');
});

async function writeLog(path: string, n: number, key?: Uint8Array): Promise<void> {
  const log = await AuditLog.open(path, { key, now: clock(), durability: 'none' });
  const all = [];
  for (let i = 0; i < n; i++) all.push(log.append(i % 3 ? 'decision' : 'enroll', { decision: i % 2 ? 'grant' : 'deny', identity: log.identity(`person-${i}`), distance: i / 10, n: i }));
  await Promise.all(all);
  await log.close();
}

test('a written log verifies; seq, prev and head follow the appends', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  await writeLog(path, 20);
  const r = await verifyAuditLog(path);
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.equal(r.entries, 21); // audit-open + 20
  assert.equal(r.lastSeq, 21);
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
  const last = JSON.parse(lines[20]) as { hash: string; prev: string };
  assert.equal(r.head, last.hash);
  assert.equal(last.prev, (JSON.parse(lines[19]) as { hash: string }).hash);
  assert.equal((JSON.parse(lines[0]) as { prev: string }).prev, GENESIS);
  // Reopening continues the chain.
  await writeLog(path, 3);
  const r2 = await verifyAuditLog(path);
  assert.equal(r2.ok, true);
  assert.equal(r2.lastSeq, 25);
});

test('a changed, a removed and swapped entries are found, naming the first bad seq', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  await writeLog(path, 10);
  const text = await readFile(path, 'utf8');
  const lines = text.trimEnd().split('\n');
  const join_ = (l: string[]) => Buffer.from(l.join('\n') + '\n');

  const changed = [...lines];
  changed[4] = changed[4].replace('"n":3', '"n":8');
  assert.notEqual(changed[4], lines[4]);
  let r = verifyAuditBytes(join_(changed), 'x');
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 5);
  assert.equal(r.problems[0].kind, 'changed');

  const removed = lines.filter((_, i) => i !== 6);
  r = verifyAuditBytes(join_(removed), 'x');
  assert.equal(r.firstBadSeq, 7);
  assert.equal(r.problems[0].kind, 'missing');

  const swapped = [...lines];
  [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
  r = verifyAuditBytes(join_(swapped), 'x');
  assert.equal(r.firstBadSeq, 4);
  assert.equal(r.problems[0].kind, 'reordered');

  // Removing the first entry: seq 1 is missing.
  r = verifyAuditBytes(join_(lines.slice(1)), 'x');
  assert.equal(r.firstBadSeq, 1);

  // Cutting whole lines off the end is only visible against an anchor kept elsewhere.
  const head = JSON.parse(lines[10]) as { hash: string };
  r = verifyAuditBytes(join_(lines.slice(0, 8)), 'x', { anchors: [head.hash] });
  assert.equal(r.ok, false);
  assert.deepEqual(r.missingAnchors, [head.hash]);
  assert.equal(verifyAuditBytes(join_(lines), 'x', { anchors: [head.hash] }).ok, true);
});

test('every single-byte change anywhere in a real log is detected', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  await writeLog(path, 12, KEY);
  const good = await readFile(path);
  assert.equal(verifyAuditBytes(good, path, { key: KEY }).ok, true);
  const xors = [0x01, 0xff]; // lowest bit, and every bit
  let flips = 0;
  for (let pos = 0; pos < good.length; pos++) {
    for (const x of xors) {
      const bad = Buffer.from(good);
      bad[pos] ^= x;
      const r = verifyAuditBytes(bad, path, { key: KEY });
      flips++;
      if (r.ok) assert.fail(`flip 0x${x.toString(16)} at byte ${pos} (${JSON.stringify(String.fromCharCode(good[pos]))}) went undetected`);
    }
  }
  assert.equal(flips, good.length * xors.length);
  // The first bad seq names the entry holding the byte.
  const lines = good.toString('utf8').split('\n');
  const at = lines[0].length + 1 + lines[1].length + 1 + 10; // inside the third entry
  const bad = Buffer.from(good);
  bad[at] ^= 0x01;
  assert.equal(verifyAuditBytes(bad, path, { key: KEY }).firstBadSeq, 3);
});

test('a keyed log does not verify without its key, and ids are pseudonymised', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  await writeLog(path, 3, KEY);
  const text = await readFile(path, 'utf8');
  assert.ok(!text.includes('person-1'));
  assert.match(text, /"identity":"p:[0-9a-f]{32}"/);
  const r = await verifyAuditLog(path);
  assert.equal(r.ok, false);
  assert.match(r.problems[0].message, /--key-file/);
  assert.equal((await verifyAuditLog(path, { key: KEY })).mode, 'hmac-sha256');
});

test('a torn last line is reported as torn; the next open records it and the chain verifies again', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  await writeLog(path, 5);
  const full = await readFile(path);
  // Simulate a crash in the middle of writing an entry.
  await appendFile(path, full.subarray(full.length - 120, full.length - 40));
  let r = await verifyAuditLog(path);
  assert.equal(r.ok, false);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].kind, 'torn');
  assert.equal(r.problems[0].seq, 7);
  await writeLog(path, 2);
  r = await verifyAuditLog(path);
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.equal(r.recoveredTorn, 1);
  assert.equal(r.lastSeq, 9); // 6 + audit-open + 2
  // A crash during that recovery too: both torn pieces are accounted for by one later open.
  await appendFile(path, '{"seq":10,"ti');
  await writeLog(path, 1);
  assert.equal((await verifyAuditLog(path)).ok, true);
  // Editing the recorded torn bytes afterwards is detected.
  const b = await readFile(path);
  const i = b.indexOf('{"seq":10,"ti');
  b[i + 3] ^= 1;
  r = verifyAuditBytes(b, path);
  assert.equal(r.ok, false);
  assert.ok(r.problems.some((p) => p.kind === 'bad-recovery'), JSON.stringify(r.problems));
});

test('a torn write that cut exactly before the newline is still recovered, not double-counted', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  await writeLog(path, 2);
  await truncate(path, (await readFile(path)).length - 1); // the last entry lost its newline
  await writeLog(path, 1);
  const r = await verifyAuditLog(path);
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.equal(r.lastSeq, 4); // open(1), 2, [torn 3], open(3) recording it, 4: the torn entry's seq is reused
});

test('appends are grouped into few fsynced batches and never reorder', async () => {
  const dir = await tmp();
  const log = await AuditLog.open(join(dir, 'audit.log'));
  const batches0 = log.batches;
  const done = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append('decision', { i })));
  assert.deepEqual(done.map((e) => e.seq), Array.from({ length: 200 }, (_, i) => i + 2));
  assert.ok(log.batches - batches0 < 200, `200 concurrent appends took ${log.batches - batches0} batches`);
  await log.close();
  assert.equal((await verifyAuditLog(join(dir, 'audit.log'))).ok, true);
});

test('a second writer is refused while the first holds the log; a stale lock is taken over', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  const a = await AuditLog.open(path);
  await assert.rejects(AuditLog.open(path), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_AUDIT' && /(in use by process|already open in this process)/.test(e.message));
  await a.close();
  await writeFile(`${path}.lock`, `${process.ppid}\n`); // another live process holds it
  await assert.rejects(AuditLog.open(path), /in use by process/);
  await writeFile(`${path}.lock`, '2147483646\n'); // no such process
  const b = await AuditLog.open(path);
  await b.close();
  assert.equal((await verifyAuditLog(path)).ok, true);
});

test('oversized or unencodable fields are refused without breaking the chain', async () => {
  const dir = await tmp();
  const path = join(dir, 'audit.log');
  const log = await AuditLog.open(path);
  await assert.rejects(log.append('x', { big: 'a'.repeat(70_000) }), /limit 65536/);
  await assert.rejects(log.append('x', { d: Number.NaN }), /NaN cannot be encoded/);
  await log.append('ok', {});
  await log.close();
  const r = await verifyAuditLog(path);
  assert.equal(r.ok, true);
  assert.equal(r.lastSeq, 2);
});

test('audit key file: 32 bytes raw or base64, owner-only; the HMAC key is derived from it (HKDF-SHA256)', async () => {
  const dir = await tmp();
  const raw = join(dir, 'raw.key');
  await writeFile(raw, Buffer.from(KEY), { mode: 0o600 });
  const derived = new Uint8Array(hkdfSync('sha256', KEY, 'audit-log', 'facegate-audit-hmac/1', 32));
  assert.deepEqual(await readAuditKey(raw), derived);
  assert.notDeepEqual(derived, KEY);
  const b64 = join(dir, 'b64.key');
  await writeFile(b64, Buffer.from(KEY).toString('base64') + '\n', { mode: 0o600 });
  assert.deepEqual(await readAuditKey(b64), derived);
  await chmod(b64, 0o644);
  await assert.rejects(readAuditKey(b64), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_AUDIT' && /group or others/.test(e.message));
  const short = join(dir, 'short.key');
  await writeFile(short, 'abc', { mode: 0o600 });
  await assert.rejects(readAuditKey(short), /expected 32 raw bytes/);
  await assert.rejects(readAuditKey(join(dir, 'missing.key')), /does not exist/);
});
