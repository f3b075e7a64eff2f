/** The CLI contract: keygen, enrollment publish (snapshot and --delta), sync --once --json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { writeKeyPair, loadPublicKeys } from '../../../sdk/mqtt/enrollment-keys.ts';
import { syncGallery } from '../../../sdk/mqtt/gallery-sync.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { unitVectors } from '../../helpers/memory-target.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const run = promisify(execFile);

async function facegate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['bin/facegate.js', ...args], { timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('facegate keygen / enrollment publish / sync --once --json', { skip, timeout: 110_000 }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-cli-'));
  try {
    const kg = await facegate('keygen', '--out', join(dir, 'keys'), '--json');
    assert.equal(kg.code, 0, kg.stderr);
    assert.equal((await stat(join(dir, 'keys', 'enroll.key'))).mode & 0o777, 0o600);
    assert.match(await readFile(join(dir, 'keys', 'enroll.pub'), 'utf8'), /BEGIN PUBLIC KEY/);
    await assert.rejects(writeKeyPair(join(dir, 'keys')), /already exists/, 'refuses to overwrite the site key');
    await writeKeyPair(join(dir, 'other'));

    const admin = await Gallery.open(join(dir, 'admin'), { modelId: 'fr-feature-512', dim: 512, create: true, worker: false });
    const v = unitVectors(30, 512, 3);
    for (let i = 0; i < 12; i++) admin.enroll(`emp-${i}`, [v[2 * i], v[2 * i + 1]], { enabled: i !== 0 });
    await admin.close();

    const common = ['--broker', broker.url, '--site', 'plant-7'];
    const pub = await facegate('enrollment', 'publish', ...common, '--db', join(dir, 'admin'), '--key', join(dir, 'keys', 'enroll.key'), '--json');
    assert.equal(pub.code, 0, pub.stderr);
    const snap = JSON.parse(pub.stdout) as { kind: string; version: number; identities: number };
    assert.deepEqual([snap.kind, snap.identities], ['snapshot', 12]);

    const sync1 = await facegate('sync', ...common, '--db', join(dir, 'device'), '--pubkey', join(dir, 'keys', 'enroll.pub'), '--once', '--json');
    assert.equal(sync1.code, 0, sync1.stderr);
    const s1 = JSON.parse(sync1.stdout) as { version: number; identities: number; rejected: number };
    assert.deepEqual(s1, { ...s1, version: snap.version, identities: 12, rejected: 0 });

    const a2 = await Gallery.open(join(dir, 'admin'), { worker: false });
    a2.remove('emp-3');
    a2.enroll('emp-new', [v[29]]);
    await a2.close();
    const d = await facegate('enrollment', 'publish', ...common, '--db', join(dir, 'admin'), '--key', join(dir, 'keys', 'enroll.key'), '--delta', '--json');
    assert.equal(d.code, 0, d.stderr);
    const delta = JSON.parse(d.stdout) as { kind: string; versions: number[]; upserts: number; removes: number };
    assert.deepEqual([delta.kind, delta.upserts, delta.removes], ['delta', 1, 1]);

    const r = await facegate('sync', ...common, '--db', join(dir, 'device'), '--pubkey', join(dir, 'keys', 'enroll.pub'), '--once', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s2 = JSON.parse(r.stdout) as { version: number; identities: number; rejected: number };
    assert.deepEqual([s2.version, s2.identities, s2.rejected], [delta.versions.at(-1), 12, 0]);
    const dev = await Gallery.open(join(dir, 'device'), { loadIndex: false });
    assert.equal(dev.get('emp-0')?.enabled, false);
    assert.equal(dev.get('emp-3'), null);
    assert.ok(dev.get('emp-new'));
    assert.equal(dev.modelId, 'fr-feature-512');
    await dev.close();

    // In process (same function the CLI calls): an empty device gets snapshot + delta; a device
    // holding the wrong public key applies nothing and says why; no broker is a clear error.
    const fresh = await syncGallery({ broker: { url: broker.url }, site: 'plant-7', galleryDir: join(dir, 'fresh'), publicKeys: await loadPublicKeys(join(dir, 'keys', 'enroll.pub')), once: true });
    assert.deepEqual([fresh.version, fresh.identities, fresh.rejected, fresh.snapshotVersion], [delta.versions.at(-1), 12, 0, snap.version]);
    const wrong = await syncGallery({ broker: { url: broker.url }, site: 'plant-7', galleryDir: join(dir, 'dev-wrong'), publicKeys: await loadPublicKeys(join(dir, 'other', 'enroll.pub')), once: true, timeoutMs: 5000 });
    assert.deepEqual([wrong.version, wrong.identities], [0, 0]);
    assert.ok(wrong.rejected >= 2 && wrong.rejections.every((x) => x.reason === 'bad-signature'), JSON.stringify(wrong.rejections));
    await assert.rejects(syncGallery({ broker: { url: 'mqtt://127.0.0.1:1' }, site: 'plant-7', galleryDir: join(dir, 'x'), publicKeys: [], once: true, timeoutMs: 1500 }),
      (e: Error & { code?: string }) => e.code === 'FG_MQTT' && /cannot connect to MQTT broker mqtt:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/.test(e.message));
  } finally {
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
