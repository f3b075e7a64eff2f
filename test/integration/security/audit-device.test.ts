/**
 * The audit log in the running device: every published decision is appended (same id), start
 * and stop are recorded, and gallery changes applied from enrolment sync are appended with
 * their identity ids (pseudonymised with a key). Real pack, real gallery, real photos.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../device/config/load-config.ts';
import { startDevice, type PublishedDecision } from '../../../device/run-device.ts';
import { auditSink, auditedTarget, defaultAuditPath, openAudit } from '../../../device/audit/device-audit.ts';
import { createPipeline } from '../../../sdk/pipeline/index.ts';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { GalleryEnrollmentTarget } from '../../../sdk/mqtt/gallery-target.ts';
import { readAuditKey, verifyAuditLog } from '../../../sdk/audit/index.ts';
import { silentLogger } from '../../../sdk/logger.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import mqtt from 'mqtt';
import { writeKeyPair } from '../../../sdk/mqtt/enrollment-keys.ts';
import { enrollmentTopics } from '../../../sdk/mqtt/topics.ts';
import { needModels } from '../../helpers/pack.ts';

const skip = needModels('mtcnn-pnet', 'mobilefacenet-192');

interface Line { seq: number; kind: string; fields: Record<string, unknown> }
const readLog = async (p: string) => (await readFile(p, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

test('startDevice appends every decision, start and stop to audit.log beside the gallery', { skip, timeout: 240_000 }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'fg-audit-dev-'));
  const galleryDir = join(work, 'gallery');
  const photos = await demoPhotos();
  const pipeline = await createPipeline({ detector: 'mtcnn', embedder: 'mobilefacenet-192' });
  const g = await Gallery.open(galleryDir, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true });
  const enrol = await pipeline.analyze(photos[0]);
  g.enroll('visitor-7', [enrol.faces[0].embedding], { source: 'test' });
  await g.close();
  await pipeline.release();
  const frames = join(work, 'frames');
  await mkdir(frames);
  await copyFile(photos[0], join(frames, '001.jpg'));
  await copyFile(photos[1], join(frames, '002.jpg'));
  const cfg = parseConfig({
    site: 'audit', device: 'door-1', camera: { type: 'files', path: frames, fps: 4, loop: false, repeat: 3 },
    mqtt: { embeddedPort: 0, homeAssistant: false, queueDb: join(work, 'queue.sqlite') },
    gallery: { db: galleryDir }, match: { threshold: 1.0, margin: 0.05 },
    pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 },
    decision: { votes: 2, window: 3, minInterEyePx: 10, minBlur: 1, cooldownSec: 60 },
    liveness: { enabled: false }, http: { port: 0 },
  });
  const keys = join(work, 'keys');
  await writeKeyPair(keys);
  cfg.mqtt.enrollmentPublicKey = join(keys, 'enroll.pub');
  const decisions: PublishedDecision[] = [];
  const device = await startDevice(cfg, { onDecision: (d) => decisions.push(d) });
  try {
    // An unsigned enrolment message on the manifest topic: refused, and the refusal is audited.
    const rejected = new Promise<void>((resolve) => device.link.on('event', (e) => { if (e.type === 'enrollment-rejected') resolve(); }));
    const pub = await mqtt.connectAsync(device.brokerUrl, { clientId: 'audit-test' });
    // Retained: the device may not have subscribed yet (it starts without waiting for the broker).
    await pub.publishAsync(enrollmentTopics('audit').manifest, Buffer.from('{"not":"signed"}'), { qos: 1, retain: true });
    await Promise.race([rejected, new Promise((_, reject) => setTimeout(() => reject(new Error('no enrollment-rejected event within 20 s')), 20_000))]);
    await pub.endAsync();
    await device.ended;
  } finally {
    await device.stop();
  }
  const path = defaultAuditPath(galleryDir);
  assert.equal(path, join(work, 'audit.log'));
  const r = await verifyAuditLog(path);
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  const lines = await readLog(path);
  assert.deepEqual(lines.map((l) => l.kind).filter((k) => k !== 'decision'), ['audit-open', 'device-start', 'sync-rejected', 'device-stop']);
  assert.deepEqual(lines.find((l) => l.kind === 'sync-rejected')?.fields, { event: 'enrollment-rejected', reason: 'unsigned', topic: 'facegate/audit/enrollment/snapshot/manifest' });
  const logged = lines.filter((l) => l.kind === 'decision');
  assert.ok(decisions.length >= 2, `decisions: ${decisions.length}`);
  assert.deepEqual(logged.map((l) => l.fields.id), decisions.map((d) => d.id));
  assert.deepEqual(logged.map((l) => l.fields.decision), decisions.map((d) => d.decision));
  assert.ok(logged.some((l) => l.fields.decision === 'grant' && l.fields.identity === 'visitor-7'), JSON.stringify(logged.map((l) => l.fields)));
});

test('gallery changes applied from enrolment sync are appended, ids pseudonymised under a key', { timeout: 60_000 }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'fg-audit-sync-'));
  const keyFile = join(work, 'audit.key');
  await writeFile(keyFile, Buffer.alloc(32, 7), { mode: 0o600 });
  const log = await openAudit({ path: join(work, 'audit.log'), keyFile, galleryDir: join(work, 'gallery') });
  const target = await GalleryEnrollmentTarget.open(join(work, 'gallery'), { modelId: 'mobilefacenet-192', dim: 8 });
  const audited = auditedTarget(target, log, auditSink(log, silentLogger));
  const v = (x: number) => Float32Array.from({ length: 8 }, (_, i) => (i === x ? 1 : 0));
  await audited.applySnapshot([{ identity: 'emp-1', templates: [v(0)] }, { identity: 'emp-2', templates: [v(1)] }], 10, { modelId: 'mobilefacenet-192', dim: 8 });
  await audited.applyDelta({ upserts: [{ identity: 'emp-3', templates: [v(2)] }], removes: ['emp-1'], version: 11 });
  assert.equal(audited.identityCount(), 2);
  await log.close();
  await target.close();
  const text = await readFile(join(work, 'audit.log'), 'utf8');
  for (const id of ['emp-1', 'emp-2', 'emp-3']) assert.ok(!text.includes(id), `${id} in clear`);
  const lines = await readLog(join(work, 'audit.log'));
  assert.deepEqual(lines.map((l) => l.kind), ['audit-open', 'gallery-snapshot', 'gallery-delta']);
  assert.deepEqual(lines[1].fields, { source: 'mqtt', version: 10, model: 'mobilefacenet-192', identities: 2, templates: 2 });
  const delta = lines[2].fields as { upserted: string[]; removed: string[] };
  assert.match(delta.upserted[0], /^p:[0-9a-f]{32}$/);
  assert.equal(delta.removed.length, 1);
  assert.notEqual(delta.removed[0], delta.upserted[0]);
  const key = await readAuditKey(keyFile);
  assert.equal((await verifyAuditLog(join(work, 'audit.log'), { key })).ok, true);
  // The key holder can find a person's entries by recomputing the pseudonym.
  const probe = await openAudit({ path: join(work, 'probe.log'), keyFile });
  assert.equal(probe.identity('emp-1'), delta.removed[0]);
  await probe.close();
});
