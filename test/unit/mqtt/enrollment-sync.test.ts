import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { EnrollmentSync, type SyncRejectedEvent, type SnapshotRequest } from '../../../sdk/mqtt/enrollment-sync.ts';
import { buildSnapshot, buildDeltas, encodeAll, sealEnvelope, sha256Hex } from '../../../sdk/mqtt/enrollment-messages.ts';
import { keyId } from '../../../sdk/mqtt/enrollment-keys.ts';
import { memorySyncState, type SyncStateStore } from '../../../sdk/mqtt/enrollment-target.ts';
import { enrollmentTopics } from '../../../sdk/mqtt/topics.ts';
import type { TemplateRecord } from '../../../sdk/mqtt/template-codec.ts';
import { MemoryTarget, unitVectors } from '../../helpers/memory-target.ts';

const key = generateKeyPairSync('ed25519');
const dim = 64;
const model = { modelId: 'mobilefacenet-192', dim };
const t = enrollmentTopics('hq');

type Msg = { topic: string; payload: Buffer };

function people(ids: string[], seed = 1): TemplateRecord[] {
  return ids.map((id, i) => ({ identity: id, templates: unitVectors(2, dim, seed * 1000 + i) }));
}

function snapshot(version: number, recs: TemplateRecord[], o: { site?: string; modelId?: string; maxBodyBytes?: number; signer?: KeyObject } = {}): { manifest: Msg; chunks: Msg[] } {
  const s = buildSnapshot({
    site: o.site ?? 'hq', version, modelId: o.modelId ?? model.modelId, dim, encoding: 'f16', records: encodeAll(recs, 'f16', dim),
    privateKey: o.signer ?? key.privateKey, publicKey: key.publicKey, maxBodyBytes: o.maxBodyBytes ?? 2000,
  });
  return { manifest: { topic: t.manifest, payload: s.manifest }, chunks: s.chunks.map((payload, i) => ({ topic: t.chunk(version, i), payload })) };
}

function delta(prev: number, version: number, upserts: TemplateRecord[], removes: string[] = []): Msg {
  const [d] = buildDeltas({ site: 'hq', prevVersion: prev, firstVersion: version, modelId: model.modelId, dim, encoding: 'f16', change: { upserts: encodeAll(upserts, 'f16', dim), removes }, privateKey: key.privateKey, publicKey: key.publicKey });
  return { topic: t.delta(d.version), payload: d.message };
}

function harness(o: { target?: MemoryTarget; state?: SyncStateStore; gapWaitMs?: number } = {}) {
  const target = o.target ?? new MemoryTarget(model);
  const rejected: SyncRejectedEvent[] = [];
  const requests: SnapshotRequest[] = [];
  const subs = new Set<string>();
  const sync = new EnrollmentSync({
    site: 'hq', target, publicKeys: [key.publicKey], state: o.state,
    limits: { gapWaitMs: o.gapWaitMs ?? 60_000, requestIntervalMs: 0 },
    hooks: {
      subscribe: (f) => { subs.add(f); },
      unsubscribe: (f) => { subs.delete(f); },
      rejected: (e) => rejected.push(e),
      requestSnapshot: (r) => requests.push(r),
    },
  });
  const feed = async (msgs: Msg[], retained = false) => {
    for (const m of msgs) await sync.handle(m.topic, m.payload, retained);
  };
  return { sync, target, rejected, requests, subs, feed, reasons: () => rejected.map((r) => r.reason) };
}

test('snapshot: chunks in any order, applied once complete, chunk subscription dropped after', async () => {
  const h = harness();
  await h.sync.start();
  assert.deepEqual([...h.subs].sort(), [t.deltaFilter, t.manifest].sort());
  const recs = people(Array.from({ length: 40 }, (_, i) => `p${i}`));
  const s = snapshot(5, recs);
  assert.ok(s.chunks.length >= 3, 'several chunks');
  await h.feed([s.manifest]);
  assert.ok(h.subs.has(t.chunkFilter(5)));
  await h.feed([...s.chunks].reverse().slice(0, -1));
  assert.equal(h.target.version(), 0, 'nothing applied before the last chunk');
  await h.feed(s.chunks.slice(0, 1));
  assert.equal(h.target.version(), 5);
  assert.equal(h.target.identityCount(), 40);
  assert.ok(!h.subs.has(t.chunkFilter(5)));
  assert.deepEqual(h.rejected, []);
  h.sync.stop();
});

test('retained re-delivery is quiet; the same messages live are replays; older snapshots are rollbacks', async () => {
  const h = harness();
  await h.sync.start();
  const s5 = snapshot(5, people(['a', 'b']));
  await h.feed([s5.manifest, ...s5.chunks]);
  await h.feed([s5.manifest, ...s5.chunks], true);
  assert.deepEqual(h.reasons(), []);
  await h.feed([s5.manifest]);
  assert.deepEqual(h.reasons(), ['replay']);
  const s3 = snapshot(3, people(['evil']));
  await h.feed([s3.manifest], true);
  await h.feed([s3.manifest]);
  assert.deepEqual(h.reasons(), ['replay', 'rollback', 'rollback']);
  assert.equal(h.target.version(), 5);
  assert.deepEqual([...h.target.records.keys()].sort(), ['a', 'b']);
  assert.equal(h.target.applies, 1);
  h.sync.stop();
});

test('deltas: chained apply, live replay rejected, out-of-order buffered, fork rejected', async () => {
  const h = harness();
  await h.sync.start();
  const s = snapshot(10, people(['a', 'b', 'c']));
  await h.feed([s.manifest, ...s.chunks]);
  const d11 = delta(10, 11, people(['d'], 2), ['a']);
  const d12 = delta(11, 12, people(['b'], 3));
  const d13 = delta(12, 13, [], ['c']);
  await h.feed([d11]);
  assert.equal(h.target.version(), 11);
  assert.deepEqual([...h.target.records.keys()].sort(), ['b', 'c', 'd']);
  await h.feed([d13]); // before 12: waits
  assert.equal(h.target.version(), 11);
  assert.equal(h.sync.bufferedDeltas(), 1);
  await h.feed([d12]);
  assert.equal(h.target.version(), 13);
  assert.deepEqual([...h.target.records.keys()].sort(), ['b', 'd']);
  await h.feed([d11, d12], true);
  assert.deepEqual(h.reasons(), [], 'retained applied deltas are skipped quietly');
  await h.feed([d12]);
  assert.deepEqual(h.reasons(), ['replay']);
  await h.feed([delta(12, 14, people(['x'], 4))]);
  assert.deepEqual(h.reasons(), ['replay', 'fork']);
  assert.equal(h.target.version(), 13);
  h.sync.stop();
});

test('a gap in deltas triggers a snapshot request', async () => {
  const h = harness({ gapWaitMs: 50 });
  await h.sync.start();
  const s = snapshot(10, people(['a']));
  await h.feed([s.manifest, ...s.chunks]);
  await h.feed([delta(12, 13, people(['z'], 9))]);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(h.requests.length, 1);
  assert.deepEqual(h.requests[0], { have: 10, want: 12, reason: 'gap' });
  assert.equal(h.target.version(), 10);
  h.sync.stop();
});

test('wrong model, wrong site, hash mismatch, truncated chunk: rejected, target untouched', async () => {
  const h = harness();
  await h.sync.start();
  const good = snapshot(5, people(['a', 'b', 'c', 'd', 'e', 'f', 'g']));
  await h.feed([good.manifest, ...good.chunks]);
  const before = h.target.applies;

  const wrongModel = snapshot(6, people(['x']), { modelId: 'fr-feature-512' });
  await h.feed([wrongModel.manifest]);
  const wrongSite = snapshot(6, people(['x']), { site: 'branch' });
  await h.feed([wrongSite.manifest]);

  // A validly signed chunk whose body does not match its own signed hash.
  const body = Buffer.from('not the records');
  const badChunk = sealEnvelope({ kind: 'chunk', format: 1, site: 'hq', keyId: keyId(key.publicKey), version: 6, index: 0, chunks: 2, records: 1, sha256: sha256Hex(Buffer.from('other')) }, body, key.privateKey);
  const s6 = snapshot(6, people(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 7));
  await h.feed([s6.manifest]);
  await h.sync.handle(t.chunk(6, 0), badChunk, false);
  // Truncated in transit: the signature no longer verifies.
  await h.sync.handle(s6.chunks[1].topic, s6.chunks[1].payload.subarray(0, s6.chunks[1].payload.length - 100), false);
  // A chunk published on another index's topic.
  await h.sync.handle(t.chunk(6, 1), s6.chunks[0].payload, false);
  assert.deepEqual(h.reasons(), ['wrong-model', 'wrong-site', 'hash-mismatch', 'bad-signature', 'malformed']);
  assert.equal(h.target.applies, before);
  assert.equal(h.target.version(), 5);
  // The genuine chunks still complete the snapshot afterwards.
  await h.feed(s6.chunks);
  assert.equal(h.target.version(), 6);
  assert.equal(h.target.identityCount(), 8);

  // A manifest whose signed content hash does not match its (genuine) chunks.
  const s7 = snapshot(7, people(['q'], 8));
  const hdrLen = s7.manifest.payload.readUInt32LE(68);
  const hdr = JSON.parse(s7.manifest.payload.subarray(72, 72 + hdrLen).toString());
  hdr.contentSha256 = 'f'.repeat(64);
  await h.feed([{ topic: t.manifest, payload: sealEnvelope(hdr, Buffer.alloc(0), key.privateKey) }, ...s7.chunks]);
  assert.equal(h.reasons().at(-1), 'hash-mismatch');
  assert.equal(h.target.version(), 6);
  h.sync.stop();
});

test('after a restart an older retained base snapshot is not a rollback; an older one than that is', async () => {
  const state = memorySyncState();
  const target = new MemoryTarget(model);
  const h1 = harness({ target, state });
  await h1.sync.start();
  const s5 = snapshot(5, people(['a']));
  await h1.feed([s5.manifest, ...s5.chunks]);
  await h1.feed([delta(5, 6, people(['b'], 2))]);
  h1.sync.stop();
  const h2 = harness({ target, state });
  await h2.sync.start();
  await h2.feed([s5.manifest, ...s5.chunks], true);
  await h2.feed([delta(5, 6, people(['b'], 2))], true);
  assert.deepEqual(h2.reasons(), []);
  const s4 = snapshot(4, people(['old']));
  await h2.feed([s4.manifest], true);
  assert.deepEqual(h2.reasons(), ['rollback']);
  assert.equal(target.version(), 6);
  h2.sync.stop();
});

test('an empty target adopts the first snapshot model; a failing apply is reported, version kept', async () => {
  const target = new MemoryTarget();
  const h = harness({ target });
  await h.sync.start();
  const s = snapshot(3, people(['a']));
  await h.feed([s.manifest, ...s.chunks]);
  assert.deepEqual(target.model(), model);
  target.applyDelta = () => { throw new Error('disk full'); };
  await h.feed([delta(3, 4, people(['b']))]);
  assert.deepEqual(h.reasons(), ['apply-failed']);
  assert.match(h.rejected[0].message, /disk full/);
  assert.equal(target.version(), 3);
  h.sync.stop();
});

test('a newer signed manifest replaces a pending snapshot; a stalled one is reported, dropped and the manifest re-read', async () => {
  const target = new MemoryTarget(model);
  const rejected: SyncRejectedEvent[] = [];
  const requests: SnapshotRequest[] = [];
  const calls: string[] = [];
  const sync = new EnrollmentSync({
    site: 'hq', target, publicKeys: [key.publicKey], limits: { snapshotStallMs: 100, requestIntervalMs: 0 },
    hooks: { subscribe: (f) => { calls.push(`+${f}`); }, unsubscribe: (f) => { calls.push(`-${f}`); }, rejected: (e) => rejected.push(e), requestSnapshot: (r) => requests.push(r) },
  });
  await sync.start();
  const s9 = snapshot(9, people(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']));
  const s8 = snapshot(8, people(['a']));
  await sync.handle(s9.manifest.topic, s9.manifest.payload, false);
  await sync.handle(s9.chunks[0].topic, s9.chunks[0].payload, false);
  await sync.handle(s8.manifest.topic, s8.manifest.payload, true);
  assert.equal(sync.pending()?.version, 8);
  assert.ok(calls.includes(`-${t.chunkFilter(9)}`));
  await new Promise((r) => setTimeout(r, 800));
  assert.deepEqual(rejected.map((r) => r.reason), ['incomplete']);
  assert.deepEqual(requests.map((r) => r.reason), ['stalled']);
  assert.equal(sync.pending(), undefined);
  assert.deepEqual(calls.slice(-2), [`-${t.manifest}`, `+${t.manifest}`]);
  assert.equal(target.version(), 0);
  sync.stop();
});
