/**
 * Oversized MQTT payloads are refused by size, before any decoding, with a `message-rejected`
 * event naming the bound: real Mosquitto, real DeviceLink.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { mqttHarness, runMqttCase, type MqttHarness } from '../../helpers/fuzz/mqtt-cases.ts';
import { deviceTopics, enrollmentTopics } from '../../../sdk/mqtt/topics.ts';

const skip = hasMosquitto ? false : 'mosquitto not installed';
let broker: Mosquitto;
let h: MqttHarness;

before(async () => {
  if (skip) return;
  broker = await Mosquitto.start({ persistence: false, extra: ['message_size_limit 0'] });
  h = await mqttHarness(broker.url, 5);
});
after(async () => {
  await h?.close();
  await broker?.dispose();
});

test('payloads over their topic bound are rejected by size with an event; at the bound they are parsed', { skip, timeout: 60_000 }, async () => {
  const e = enrollmentTopics('fuzz');
  const cmd = deviceTopics('fuzz', 'd1').command('echo');
  const cases = [
    { topic: e.manifest, bytes: 256 * 1024 + 1, limit: 256 * 1024 },
    { topic: e.delta(7), bytes: 1 << 20, limit: 256 * 1024 },
    { topic: cmd, bytes: 64 * 1024 + 1, limit: 64 * 1024 },
    { topic: 'homeassistant/status', bytes: 1025, limit: 1024 },
  ];
  for (const c of cases) {
    const n0 = h.events.length;
    const r = await runMqttCase(h, { topic: c.topic, payload: Buffer.alloc(c.bytes, 0x7b) }, 5000);
    assert.equal(r.outcome, 'clear', `${c.topic}: ${r.message}`);
    const ev = h.events.slice(n0).find((x) => x.type === 'message-rejected');
    assert.ok(ev, `${c.topic}: no message-rejected event`);
    assert.deepEqual([ev.reason, ev.bytes, ev.limit, ev.topic], ['too-large', c.bytes, c.limit, c.topic]);
  }
  // At the bound the payload reaches its parser, which gives its own reason.
  const n0 = h.events.length;
  await runMqttCase(h, { topic: e.manifest, payload: Buffer.alloc(256 * 1024, 0x7b) }, 5000);
  const ev = h.events.slice(n0).find((x) => x.type === 'enrollment-rejected');
  assert.equal(ev?.reason, 'unsigned');
});
