import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLink } from '../../../sdk/mqtt/device-link.ts';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { startEmbeddedBroker } from '../../../sdk/mqtt/embedded-broker.ts';
import { Mosquitto, hasMosquitto, freePort } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';

test('status, Home Assistant discovery (re-published on HA birth), commands with transaction ids, camera events', { skip, timeout: 30_000 }, async () => {
  const broker = await Mosquitto.start();
  const t = deviceTopics('hq', 'door-1');
  const sub = await Collector.start(broker.url, [t.status, t.event, 'homeassistant/#', `${t.commandFilter}/result`]);
  let reloads = 0;
  const link = await DeviceLink.start({
    broker: { url: broker.url }, site: 'hq', device: 'door-1',
    homeAssistant: { swVersion: '0.1.0' },
    statusInfo: () => ({ modelId: 'mobilefacenet-192', galleryVersion: 12 }),
    commands: { reload: async (args) => { reloads++; return { reloaded: true, args }; } },
  });
  try {
    const configs = () => sub.messages.filter((m) => m.topic.endsWith('/config') && m.payload.length > 0).length;
    await sub.until(() => configs() === 5, 5000, 'discovery configs');
    const status = sub.json<Record<string, unknown>>(t.status).at(-1)!;
    assert.equal(status.state, 'online');
    assert.equal(status.modelId, 'mobilefacenet-192');
    assert.equal(status.galleryVersion, 12);
    assert.equal(status.broker, broker.url);
    assert.equal(status.camera, 'none');

    // HA restarts: its birth message makes the device announce itself again.
    await sub.client.publishAsync('homeassistant/status', 'online');
    await sub.until(() => configs() === 10, 5000, 'discovery re-published');

    await sub.client.publishAsync(t.command('reload'), JSON.stringify({ txn: 'tx-42', args: { why: 'test' } }), { qos: 1 });
    await sub.client.publishAsync(t.command('self-destruct'), JSON.stringify({ txn: 'tx-43' }), { qos: 1 });
    await sub.client.publishAsync(t.command('reload'), 'garbage', { qos: 1 });
    await sub.client.publishAsync(t.command('constructor'), JSON.stringify({ txn: 'tx-44' }), { qos: 1 });
    await sub.until(() => sub.on(t.commandResult('reload')).length >= 1 && sub.on(t.commandResult('constructor')).length >= 1, 5000, 'command results');
    assert.equal(sub.json<{ ok: boolean }>(t.commandResult('constructor'))[0].ok, false);
    const ok = sub.json<{ txn: string; ok: boolean; result: unknown }>(t.commandResult('reload'))[0];
    assert.deepEqual([ok.txn, ok.ok, ok.result], ['tx-42', true, { reloaded: true, args: { why: 'test' } }]);
    const bad = sub.json<{ txn: string; ok: boolean; error: { message: string } }>(t.commandResult('self-destruct'))[0];
    assert.deepEqual([bad.txn, bad.ok], ['tx-43', false]);
    assert.match(bad.error.message, /unknown command/);
    assert.equal(reloads, 1);
    await sub.until(() => sub.json<{ type: string }>(t.event).filter((e) => e.type === 'command-rejected').length === 3, 5000, 'command-rejected events');

    link.setCamera('ok');
    link.setCamera('lost');
    await sub.until(() => sub.json<{ type: string }>(t.event).some((e) => e.type === 'camera-lost'), 5000, 'camera-lost event');
    await sub.until(() => sub.json<{ camera: string }>(t.status).at(-1)?.camera === 'lost', 5000, 'status camera lost');
    assert.throws(() => link.publishDecision({ decision: 'unknown', identity: null, distance: null, threshold: 1, model: 'x' }), /no decision queue/);
  } finally {
    await link.close();
    await sub.until(() => sub.json<{ state: string; reason?: string }>(t.status).at(-1)?.reason === 'stopped', 5000, 'offline on close');
    await sub.close();
    await broker.dispose();
  }
});

test('embedded broker (aedes) on loopback: decisions flow with no external broker', { timeout: 20_000 }, async () => {
  const embedded = await startEmbeddedBroker({ port: await freePort() });
  const dir = await mkdtemp(join(tmpdir(), 'fg-emb-'));
  const t = deviceTopics('home', 'front');
  const sub = await Collector.start(embedded.url, [t.decision, t.status]);
  const link = await DeviceLink.start({ broker: { url: embedded.url }, site: 'home', device: 'front', decisions: { queuePath: join(dir, 'q.db') } });
  try {
    assert.match(embedded.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const sent = link.publishDecision({ decision: 'deny', identity: 'bob', distance: 0.9, threshold: 0.95, model: 'fr-feature-512', reason: 'outside validity window' });
    await sub.until(() => sub.on(t.decision).length === 1, 5000, 'decision via aedes');
    const got = sub.json<{ id: string; reason: string }>(t.decision)[0];
    assert.equal(got.id, sent.id);
    assert.equal(got.reason, 'outside validity window');
    assert.ok(await link.flush(5000));
    await assert.rejects(startEmbeddedBroker({ port: embedded.port }), (e: Error & { code?: string }) => e.code === 'FG_MQTT' && /cannot start the embedded MQTT broker/.test(e.message));
  } finally {
    await link.close();
    await sub.close();
    await embedded.close();
    await rm(dir, { recursive: true, force: true });
  }
});
