import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceLink } from '../../../sdk/mqtt/device-link.ts';
import { DecisionMessage } from '../../../sdk/mqtt/decision-message.ts';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector } from '../../helpers/mqtt-collector.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';

function decision(i: number) {
  return { decision: (i % 3 === 0 ? 'unknown' : 'grant') as 'unknown' | 'grant', identity: i % 3 === 0 ? null : `person-${i % 17}`, distance: 0.5 + (i % 10) / 100, threshold: 0.95, model: 'mobilefacenet-192' };
}

test('decisions reach a subscriber: QoS 1, never retained, unique ids, schema-valid', { skip }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-dec-'));
  const t = deviceTopics('hq', 'door-1');
  const sub = await Collector.start(broker.url, [t.decision, t.status]);
  const link = await DeviceLink.start({ broker: { url: broker.url }, site: 'hq', device: 'door-1', decisions: { queuePath: join(dir, 'queue.db') } });
  try {
    const sent = Array.from({ length: 50 }, (_, i) => link.publishDecision(decision(i)));
    await sub.until(() => sub.on(t.decision).length >= 50, 10_000, '50 decisions');
    assert.ok(await link.flush(5000), 'queue drained after PUBACKs');
    const got = sub.json(t.decision).map((m) => DecisionMessage.parse(m));
    assert.deepEqual(got.map((m) => m.id).sort(), sent.map((m) => m.id).sort());
    assert.equal(new Set(got.map((m) => m.id)).size, 50);
    assert.ok(sub.on(t.decision).every((m) => !m.retain));
    assert.equal(got.find((m) => m.id === sent[3].id)?.decision, 'unknown');
    // A late subscriber gets no decision at all (nothing retained) but does get the status.
    const late = await Collector.start(broker.url, [t.decision, t.status]);
    await late.until(() => late.on(t.status).length > 0, 5000, 'retained status');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(late.on(t.decision).length, 0);
    assert.equal(late.json<{ state: string }>(t.status)[0].state, 'online');
    await late.close();
  } finally {
    await link.close();
    await sub.until(() => sub.json<{ state: string }>(t.status).at(-1)?.state === 'offline', 5000, 'offline status');
    await sub.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
