/**
 * Signed MQTT enrolment on encrypted galleries (real Mosquitto): an encrypted admin gallery is
 * published, a device gallery (plain, or encrypted under its own key) syncs it, and a signed
 * delta removing one identity erases it from the device: no file in the device's gallery
 * directory then holds its id or template (the index file written before the removal included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { publishGallery, syncGallery } from '../../../sdk/mqtt/gallery-sync.ts';
import { SiteKey } from '../../../sdk/security/site-key.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { unitVectors } from '../../helpers/memory-target.ts';
import { filesContaining, templateNeedles, textNeedle } from '../../helpers/disk-scan.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const MODEL = 'fr-feature-512';
const DIM = 512;

test('signed snapshot and delta into plain and encrypted device galleries; a delta removal erases the identity on the device', { skip, timeout: 120_000 }, async (t) => {
  const broker = await Mosquitto.start();
  const dir = mkdtempSync(join(tmpdir(), 'fg-sec-mqtt-'));
  t.after(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const adminKey = SiteKey.generate('admin key');
  const v = unitVectors(24, DIM, 5);
  const id = (i: number) => `staff-${i}-mq8v`;

  let site = 0;
  for (const deviceKey of [null, SiteKey.generate('device key')]) {
    const common = { broker: { url: broker.url }, site: `plant-${++site}` };
    const admin = join(dir, `admin-${site}`);
    const a = await Gallery.open(admin, { modelId: MODEL, dim: DIM, create: true, key: adminKey, worker: false });
    for (let i = 0; i < 12; i++) a.enroll(id(i), [v[2 * i], v[2 * i + 1]], { name: `Staff Member ${i}` });
    await a.close();
    const snap = await publishGallery({ ...common, galleryDir: admin, privateKey, galleryKey: adminKey });
    assert.equal(snap.kind, 'snapshot');
    const device = join(dir, `device-${site}`);
    const s1 = await syncGallery({ ...common, galleryDir: device, publicKeys: [publicKey], once: true, galleryKey: deviceKey, timeoutMs: 20_000 });
    assert.deepEqual([s1.identities, s1.rejected], [12, 0]);

    // The device's own index file (HNSW at this size with exactBelow 8), written before the removal.
    const d1 = await Gallery.open(device, { key: deviceKey, exactBelow: 8, worker: false });
    assert.equal(d1.encrypted, deviceKey !== null);
    assert.equal(d1.search(v[7], 1)[0].identityId, id(3));
    // As stored on the device (the snapshot carried float16: not the admin's float32 bytes).
    const stored = d1.templates(id(3)).map((x) => x.embedding);
    await d1.close();
    assert.ok(existsSync(join(device, 'index.json')), 'index file written');
    const needles = { ...textNeedle('id', id(3)), ...templateNeedles('template a', stored[0]), ...templateNeedles('template b', stored[1]) };
    if (!deviceKey) {
      const hits = filesContaining(device, needles);
      for (const f of ['gallery.sqlite: template a float32', 'gallery.sqlite: id']) assert.ok(hits.some((h) => h.endsWith(f)), `control: a plain device holds ${f} before the removal`);
      assert.ok(hits.some((h) => /hnsw-.*template b float32$/.test(h)), 'control: and its index file');
    }
    else assert.deepEqual(filesContaining(device, needles), []);

    const a2 = await Gallery.open(admin, { key: adminKey, worker: false });
    a2.remove(id(3));
    await a2.close();
    const delta = await publishGallery({ ...common, galleryDir: admin, privateKey, galleryKey: adminKey, delta: true });
    assert.equal(delta.kind, 'delta');
    const s2 = await syncGallery({ ...common, galleryDir: device, publicKeys: [publicKey], once: true, galleryKey: deviceKey, timeoutMs: 20_000 });
    assert.deepEqual([s2.identities, s2.rejected], [11, 0]);
    assert.deepEqual(filesContaining(device, needles), [], `device ${deviceKey ? 'encrypted' : 'plain'} after the delta`);

    const d2 = await Gallery.open(device, { key: deviceKey, exactBelow: 8, worker: false });
    assert.equal(d2.get(id(3)), null);
    assert.equal(d2.search(v[9], 1)[0].identityId, id(4));
    await d2.close();
  }
});
