/**
 * Enrolment is private on the wire: with a fleet enrolment key, a subscriber without the key sees
 * no identity id, name or template bytes on any enrolment topic, while devices holding the key sync
 * as before. Rotation: devices given the new key follow; a revoked device (old key only) cannot
 * read what is published under the new one. Control: without a key the names are in the clear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { writeKeyPair, loadPrivateKey, loadPublicKeys } from '../../../sdk/mqtt/enrollment-keys.ts';
import { publishGallery, syncGallery } from '../../../sdk/mqtt/gallery-sync.ts';
import { loadEnrollmentKeys } from '../../../sdk/mqtt/enrollment-cipher.ts';
import { toHalfBits } from '../../../sdk/runtime/float16.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { unitVectors } from '../../helpers/memory-target.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';

test('a subscriber without the enrolment key sees no name, id or template; key holders sync; rotation revokes', { skip, timeout: 150_000 }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-encsync-'));
  let spy: mqtt.MqttClient | undefined;
  try {
    await writeKeyPair(join(dir, 'keys'));
    const privateKey = await loadPrivateKey(join(dir, 'keys', 'enroll.key'));
    const publicKeys = await loadPublicKeys(join(dir, 'keys', 'enroll.pub'));
    for (const k of ['a.key', 'b.key']) await writeFile(join(dir, k), randomBytes(32), { mode: 0o600 });
    const [keyA] = loadEnrollmentKeys([join(dir, 'a.key')]);
    const [keyB] = loadEnrollmentKeys([join(dir, 'b.key')]);

    const v = unitVectors(24, 64, 9);
    const admin = await Gallery.open(join(dir, 'admin'), { modelId: 'test-model', dim: 64, create: true, worker: false });
    for (let i = 0; i < 10; i++) admin.enroll(`emp-secret-${i}`, [v[2 * i]], { name: `Zelda Quux${i}` });
    await admin.close();
    const needles = [...Array.from({ length: 10 }, (_, i) => Buffer.from(`emp-secret-${i}`)), ...Array.from({ length: 10 }, (_, i) => Buffer.from(`Quux${i}`)),
      // the first 8 template values as float16 (the wire packing)
      ...Array.from({ length: 10 }, (_, i) => Buffer.from(Uint16Array.from(v[2 * i].subarray(0, 8), (x) => toHalfBits(x)).buffer))];

    const seen: Buffer[] = [];
    spy = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    spy.on('message', (_t, p) => seen.push(Buffer.from(p)));
    await spy.subscribeAsync('facegate/#', { qos: 1 });
    const leaks = () => needles.filter((n) => seen.some((p) => p.includes(n))).length;
    const common = { broker: { url: broker.url }, site: 'plant-3', galleryDir: join(dir, 'admin'), privateKey };

    // Control: the clear-text protocol exposes the names (what the attack run saw).
    await publishGallery({ ...common, site: 'plant-clear' });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(leaks() > 0, 'control: clear-text enrolment is readable');
    assert.ok(needles.slice(20).some((n) => seen.some((p) => p.includes(n))), 'control: the template needles find clear-text templates');
    seen.length = 0;

    await publishGallery({ ...common, fleetKeys: [keyA] });
    const a2 = await Gallery.open(join(dir, 'admin'), { worker: false });
    a2.enroll('emp-secret-new', [v[22]], { name: 'Zelda QuuxNew' });
    a2.remove('emp-secret-3');
    await a2.close();
    const d = await publishGallery({ ...common, delta: true, fleetKeys: [keyA] });
    assert.equal(d.kind, 'delta');
    await new Promise((r) => setTimeout(r, 300));
    needles.push(Buffer.from('emp-secret-new'), Buffer.from('QuuxNew'));
    assert.ok(seen.length >= 3, `the spy saw the messages (${seen.length})`);
    assert.equal(leaks(), 0, 'no id, name or template bytes on the wire');

    const sync = (name: string, fleetKeys: ReturnType<typeof loadEnrollmentKeys>) =>
      syncGallery({ broker: { url: broker.url }, site: 'plant-3', galleryDir: join(dir, name), publicKeys, fleetKeys, once: true, timeoutMs: 8000 });
    const withKey = await sync('dev-a', [keyA]);
    assert.deepEqual([withKey.identities, withKey.rejected], [10, 0], JSON.stringify(withKey.rejections));
    const dev = await Gallery.open(join(dir, 'dev-a'), { loadIndex: false, worker: false });
    assert.equal(dev.get('emp-secret-new')?.name, 'Zelda QuuxNew');
    assert.equal(dev.get('emp-secret-3'), null);
    await dev.close();
    const noKey = await sync('dev-none', []);
    assert.equal(noKey.identities, 0);
    assert.ok(noKey.rejections.some((r) => r.reason === 'undecryptable'), JSON.stringify(noKey.rejections));

    // Rotation / revocation: new key B first, A still readable by the publisher.
    await publishGallery({ ...common, fleetKeys: [keyB, keyA] });
    const rotated = await sync('dev-ab', [keyA, keyB]);
    assert.deepEqual([rotated.identities, rotated.rejected], [10, 0], JSON.stringify(rotated.rejections));
    const revoked = await sync('dev-revoked', [keyA]);
    assert.equal(revoked.identities, 0);
    assert.ok(revoked.rejections.some((r) => r.reason === 'undecryptable'));
    // A device holding a key takes no clear-text enrolment (no downgrade).
    const clear = await syncGallery({ broker: { url: broker.url }, site: 'plant-clear', galleryDir: join(dir, 'dev-clear'), publicKeys, fleetKeys: [keyA], once: true, timeoutMs: 8000 });
    assert.equal(clear.identities, 0);
    assert.ok(clear.rejections.some((r) => r.reason === 'unencrypted'));
  } finally {
    await spy?.endAsync(true);
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
