/**
 * Signed enrolment sync end to end: real Mosquitto, the real gallery store on both sides, the
 * device in its own process. Legitimate snapshots and deltas are applied; forged, replayed,
 * rolled-back, wrong-model, truncated and random messages are rejected with an event while the
 * device keeps running and its gallery stays byte-for-byte the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { connectBroker } from '../../../sdk/mqtt/connect.ts';
import { writeKeyPair, loadPrivateKey } from '../../../sdk/mqtt/enrollment-keys.ts';
import { buildSnapshot, buildDeltas, encodeAll, sealEnvelope, sha256Hex } from '../../../sdk/mqtt/enrollment-messages.ts';
import { publishSnapshot, publishDelta, onSnapshotRequest } from '../../../sdk/mqtt/enrollment-publisher.ts';
import { GalleryEnrollmentTarget } from '../../../sdk/mqtt/gallery-target.ts';
import { deviceTopics, enrollmentTopics } from '../../../sdk/mqtt/topics.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';
import { DeviceProcess, type ChildStats } from '../../helpers/device-process.ts';
import { unitVectors } from '../../helpers/memory-target.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const MODEL = 'mobilefacenet-192';
const DIM = 192;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(get: () => Promise<T>, pred: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (pred(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

test('signed enrolment sync: snapshot, deltas, attacks and fuzzing against a device process', { skip, timeout: 110_000 }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-enr-'));
  const keys = await writeKeyPair(join(dir, 'keys'));
  const privateKey = await loadPrivateKey(keys.privateKeyPath);
  const attacker = generateKeyPairSync('ed25519');
  const site = 'hq';
  const et = enrollmentTopics(site);
  const dt = deviceTopics(site, 'door-1');
  const admin = await Gallery.open(join(dir, 'admin'), { modelId: MODEL, dim: DIM, create: true, worker: false });
  const vecs = unitVectors(80, DIM, 42);
  for (let i = 0; i < 30; i++) admin.enroll(`person-${i}`, [vecs[2 * i], vecs[2 * i + 1]], { name: `Person ${i}`, enabled: i !== 7, validUntil: i === 8 ? '2031-01-01T00:00:00.000Z' : null });
  const adminTarget = GalleryEnrollmentTarget.wrap(admin);
  const source = () => ({ modelId: MODEL, dim: DIM, records: adminTarget.exportRecords() });

  let pub: MqttClient | undefined;
  let child: DeviceProcess | undefined;
  const events = await Collector.start(broker.url, [dt.event, et.request]);
  try {
    pub = await connectBroker({ url: broker.url, clientId: 'enrolment-service' });
    const snap1 = await publishSnapshot(pub, { site, privateKey, source: source() });
    assert.equal(snap1.identities, 30);

    child = await DeviceProcess.start({
      url: broker.url, site, device: 'door-1', galleryDir: join(dir, 'device'), pubkeyPath: keys.publicKeyPath,
      modelId: MODEL, dim: DIM, homeAssistant: true, limits: { gapWaitMs: 300, requestIntervalMs: 0 },
    });
    const dev = child;
    let s: ChildStats = await until(() => dev.stats(), (x) => x.version === snap1.version, 20_000, 'snapshot applied');
    assert.equal(s.identities, 30);

    // Delta: remove, update templates, add, disable.
    admin.remove('person-1');
    admin.applyChanges({ upserts: [{ identity: { id: 'person-2', name: 'Person 2' }, templates: [vecs[70]] }] });
    admin.enroll('person-new', [vecs[71], vecs[72]]);
    admin.update('person-5', { enabled: false });
    const d1 = await publishDelta(pub, { site, privateKey, source: source() });
    assert.deepEqual([d1.upserts, d1.removes, d1.unchanged], [3, 1, false]);
    s = await until(() => dev.stats(), (x) => x.version === d1.versions.at(-1), 20_000, 'delta applied');
    assert.equal(s.identities, 30);
    assert.equal(s.snapshotVersion, snap1.version);
    assert.equal((await publishDelta(pub, { site, privateKey, source: source() })).unchanged, true);
    const applied = s;
    const before = events.json<{ type: string; reason?: string }>(dt.event).length;

    const rejectedSince = () => events.json<{ type: string; reason?: string }>(dt.event).slice(before).filter((e) => e.type === 'enrollment-rejected');
    const expectRejection = async (reason: string, n: number) => {
      await events.until(() => rejectedSince().filter((e) => e.reason === reason).length >= n, 10_000, `${n} "${reason}" rejection event(s)`);
    };
    const raw = (topic: string, payload: Buffer) => pub!.publishAsync(topic, payload, { qos: 1 });
    const records = encodeAll(source().records, 'f16', DIM);
    const newer = d1.versions.at(-1)! + 100;
    const sitePub = createPublicKey(privateKey);

    // Forged: signed by another key; and a genuine manifest with one bit flipped.
    const forged = buildSnapshot({ site, version: newer, modelId: MODEL, dim: DIM, encoding: 'f16', records: records.slice(0, 2), privateKey: attacker.privateKey, publicKey: attacker.publicKey });
    await raw(et.manifest, forged.manifest);
    const genuine = buildSnapshot({ site, version: newer, modelId: MODEL, dim: DIM, encoding: 'f16', records, privateKey, publicKey: sitePub });
    const flipped = Buffer.from(genuine.manifest);
    flipped[flipped.length - 3] ^= 0x20;
    await raw(et.manifest, flipped);
    await raw(et.manifest, Buffer.from(JSON.stringify({ kind: 'snapshot', version: newer })));
    await expectRejection('bad-signature', 2);
    await expectRejection('unsigned', 1);

    // Replayed delta and replayed / rolled-back snapshots (all genuinely signed, all old).
    const [oldDelta] = buildDeltas({ site, prevVersion: snap1.version, firstVersion: d1.versions[0], modelId: MODEL, dim: DIM, encoding: 'f16', change: { upserts: records.slice(0, 1), removes: [] }, privateKey, publicKey: sitePub });
    await raw(et.delta(oldDelta.version), oldDelta.message);
    const rollback = buildSnapshot({ site, version: snap1.version - 1, modelId: MODEL, dim: DIM, encoding: 'f16', records: records.slice(0, 3), privateKey, publicKey: sitePub });
    await raw(et.manifest, rollback.manifest);
    await expectRejection('replay', 1);
    await expectRejection('rollback', 1);

    // Wrong model id / dim, genuinely signed and newer.
    const wrongModel = buildSnapshot({ site, version: newer, modelId: 'fr-feature-512', dim: 512, encoding: 'f16', records: encodeAll([{ identity: 'x', templates: unitVectors(1, 512) }], 'f16', 512), privateKey, publicKey: sitePub });
    await raw(et.manifest, wrongModel.manifest);
    const [wrongDelta] = buildDeltas({ site, prevVersion: applied.version, modelId: 'fr-feature-512', dim: 512, encoding: 'f16', change: { upserts: [], removes: ['person-3'] }, privateKey, publicKey: sitePub });
    await raw(et.delta(wrongDelta.version), wrongDelta.message);
    await expectRejection('wrong-model', 2);

    // Truncated chunks: one cut in transit (signature fails), one signed over a truncated body
    // (its hash no longer matches). The snapshot never completes; nothing is applied.
    await raw(et.manifest, genuine.manifest);
    await sleep(300); // let the device subscribe to the new chunks
    const c0 = genuine.chunks[0];
    await raw(et.chunk(newer, 0), c0.subarray(0, c0.length - 1000));
    const hLen = c0.readUInt32LE(68);
    const hdr = JSON.parse(c0.subarray(72, 72 + hLen).toString());
    const body = c0.subarray(72 + hLen);
    await raw(et.chunk(newer, 0), sealEnvelope({ ...hdr, sha256: sha256Hex(body) }, body.subarray(0, body.length - 200), privateKey));
    await expectRejection('bad-signature', 3);
    await expectRejection('hash-mismatch', 1);

    // >= 1,000 random payloads over every topic the device subscribes to.
    const topics = [et.manifest, et.delta(newer + 1), et.delta(applied.version + 1), et.chunk(newer, 0), et.chunk(newer, 1), dt.command('reload'), dt.command('snapshot-request'), 'homeassistant/status'];
    const valid = [genuine.manifest, genuine.chunks[0], oldDelta.message];
    let fuzzed = 0;
    for (let i = 0; i < 1200; i++) {
      const topic = topics[i % topics.length];
      let payload: Buffer;
      switch (i % 6) {
        case 0: payload = randomBytes(1 + (i % 2000)); break;
        case 1: payload = Buffer.concat([Buffer.from('FGE1'), randomBytes(64 + (i % 500))]); break;
        case 2: payload = Buffer.from(JSON.stringify({ txn: i % 3 ? 123 : `t${i}`, kind: 'delta', version: i, args: 'x'.repeat(i % 50) })); break;
        case 3: { const v = Buffer.from(valid[i % 3]); v[4 + (i % (v.length - 4))] ^= 1 << (i % 8); payload = v; break; }
        case 4: payload = valid[i % 3].subarray(0, 1 + (i % (valid[i % 3].length - 1))); break;
        default: payload = i % 60 === 5 ? randomBytes(300_000) : Buffer.from(String(i * 7919)); break;
      }
      await pub.publishAsync(topic, payload, { qos: 1 });
      fuzzed++;
    }
    assert.ok(fuzzed >= 1000);
    // Every fuzz message is answered by exactly one rejection-type event (some may be summarised).
    const rejectionEvents = () => events.json<{ type: string; count?: number }>(dt.event).slice(before)
      .reduce((n, e) => n + (e.type === 'events-suppressed' ? e.count ?? 0 : ['enrollment-rejected', 'command-rejected', 'message-rejected'].includes(e.type) ? 1 : 0), 0);
    const attacksSoFar = 9;
    await events.until(() => rejectionEvents() >= attacksSoFar + fuzzed, 30_000, `${attacksSoFar + fuzzed} rejection events (have ${rejectionEvents()}, child alive ${dev.alive}, child saw ${dev.events.length} events, stderr ${dev.stderr.slice(-2000)}, broker ${broker.log.slice(-1500)})`);

    assert.ok(dev.alive, 'device process alive');
    s = await dev.stats();
    assert.equal(s.version, applied.version, 'version unchanged');
    assert.equal(s.digest, applied.digest, 'gallery unchanged');
    assert.equal(s.identities, applied.identities);
    assert.ok(s.rejected >= 10, `device counted ${s.rejected} rejected enrolment messages`);

    // A gap in deltas: the device asks for a snapshot; the enrolment service answers with one.
    const stopServing = await onSnapshotRequest(pub, site, () => {
      void publishSnapshot(pub!, { site, privateKey, source: source() }).catch(() => undefined);
    });
    const [gapDelta] = buildDeltas({ site, prevVersion: newer + 50, firstVersion: newer + 51, modelId: MODEL, dim: DIM, encoding: 'f16', change: { upserts: [], removes: ['person-3'] }, privateKey, publicKey: sitePub });
    await raw(et.delta(gapDelta.version), gapDelta.message);
    await events.until(() => events.json<{ reason: string; device: string }>(et.request).some((r) => r.reason === 'gap' && r.device === 'door-1'), 10_000, 'snapshot request');
    // The answer (version ~ now) also replaces the stalled, never-completed snapshot `newer`.
    s = await until(() => dev.stats(), (x) => x.version > applied.version && x.pending === null, 20_000, 'answering snapshot applied');
    assert.equal(s.identities, 30);
    await stopServing();
    await child.close();
    child = undefined;

    // The device gallery matches the admin one: identities, attributes, templates (f16 packing).
    const device = await Gallery.open(join(dir, 'device'), { loadIndex: false });
    const devTarget = GalleryEnrollmentTarget.wrap(device);
    const a = new Map(adminTarget.exportRecords().map((r) => [r.identity, r]));
    const d = devTarget.exportRecords();
    assert.equal(d.length, a.size);
    let worst = 1;
    for (const r of d) {
      const ar = a.get(r.identity)!;
      assert.ok(ar, `unexpected ${r.identity}`);
      assert.deepEqual({ ...r.attributes }, { ...ar.attributes }, r.identity);
      assert.equal(r.templates.length, ar.templates.length);
      for (let k = 0; k < r.templates.length; k++) {
        let dot = 0;
        for (let i = 0; i < DIM; i++) dot += r.templates[k][i] * ar.templates[k][i];
        worst = Math.min(worst, dot);
      }
    }
    assert.ok(worst > 0.99999, `cosine after f16 packing ${worst}`);
    assert.equal(d.find((r) => r.identity === 'person-7')?.attributes?.enabled, false);
    assert.equal(d.find((r) => r.identity === 'person-5')?.attributes?.enabled, false);
    assert.ok(!d.some((r) => r.identity === 'person-1'));
    await device.close();
  } finally {
    await child?.close();
    await pub?.endAsync();
    await events.close();
    await admin.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
