import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLink } from '../../../sdk/mqtt/device-link.ts';
import { connectBroker } from '../../../sdk/mqtt/connect.ts';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';
import { makeTestCerts } from '../../helpers/tls-certs.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';

test('MQTT over TLS with username/password: works; wrong password and unknown CA give clear FG_MQTT errors', { skip, timeout: 60_000 }, async () => {
  const certs = await makeTestCerts();
  const broker = await Mosquitto.start({ tls: { cafile: certs.ca, certfile: certs.serverCert, keyfile: certs.serverKey }, passwords: { door: 's3cret', ops: 'ops-pw' } });
  const dir = await mkdtemp(join(tmpdir(), 'fg-tls-q-'));
  const t = deviceTopics('hq', 'door-1');
  assert.match(broker.url, /^mqtts:/);
  const sub = await Collector.start(broker.url, [t.decision], { ca: [readFileSync(certs.ca)], username: 'ops', password: 'ops-pw' });
  try {
    const link = await DeviceLink.start({ broker: { url: broker.url, ca: certs.ca, username: 'door', password: 's3cret' }, site: 'hq', device: 'door-1', decisions: { queuePath: join(dir, 'q.db') } });
    const d = link.publishDecision({ decision: 'grant', identity: 'alice', distance: 0.5, threshold: 0.95, model: 'm' });
    await sub.until(() => sub.on(t.decision).length === 1, 5000, 'decision over TLS');
    assert.equal(sub.json<{ id: string }>(t.decision)[0].id, d.id);
    await link.close();

    await assert.rejects(
      DeviceLink.start({ broker: { url: broker.url, ca: certs.ca, username: 'door', password: 'wrong' }, site: 'hq', device: 'door-1', waitConnectedMs: 5000 }),
      (e: Error & { code?: string }) => e.code === 'FG_MQTT' && /refused the connection: (bad username or password|not authorized)/.test(e.message) && e.message.includes(broker.url),
    );
    await assert.rejects(connectBroker({ url: broker.url, username: 'door', password: 's3cret' }, {}, 5000),
      (e: Error & { code?: string }) => e.code === 'FG_MQTT' && /unknown CA|self-signed|CA file/.test(e.message));
    await assert.rejects(connectBroker({ url: broker.url.replace('mqtts', 'mqtt'), username: 'door', password: 's3cret' }, {}, 1500),
      (e: Error & { code?: string }) => e.code === 'FG_MQTT' && /cannot connect|no CONNACK/.test(e.message));
  } finally {
    await sub.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
    await rm(certs.dir, { recursive: true, force: true });
  }
});

test('MQTT over TLS with a client certificate (require_certificate): with it works, without it fails', { skip, timeout: 60_000 }, async () => {
  const certs = await makeTestCerts();
  const broker = await Mosquitto.start({ tls: { cafile: certs.ca, certfile: certs.serverCert, keyfile: certs.serverKey, requireCertificate: true } });
  try {
    const c = await connectBroker({ url: broker.url, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, {}, 5000);
    await c.publishAsync('facegate/hq/x/event', '{}', { qos: 1 });
    await c.endAsync();
    await assert.rejects(connectBroker({ url: broker.url, ca: certs.ca }, {}, 5000),
      (e: Error & { code?: string }) => e.code === 'FG_MQTT' && /requires a client certificate/.test(e.message));
  } finally {
    await broker.dispose();
    await rm(certs.dir, { recursive: true, force: true });
  }
});
