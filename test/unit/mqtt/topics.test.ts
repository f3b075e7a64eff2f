import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceTopics, enrollmentTopics, parseEnrollmentTopic, commandName, toTopicSegment, assertTopicSegment } from '../../../sdk/mqtt/topics.ts';
import { haDiscoveryMessages } from '../../../sdk/mqtt/ha-discovery.ts';
import { parseCommand } from '../../../sdk/mqtt/commands.ts';
import { describeConnectError, mqttOptions } from '../../../sdk/mqtt/connect.ts';
import { redactUrl } from '../../../sdk/mqtt/status-message.ts';

test('device topics and command names', () => {
  const t = deviceTopics('hq', 'door-1');
  assert.equal(t.status, 'facegate/hq/door-1/status');
  assert.equal(t.decision, 'facegate/hq/door-1/decision');
  assert.equal(t.event, 'facegate/hq/door-1/event');
  assert.equal(t.lastDecision, 'facegate/hq/door-1/last-decision');
  assert.equal(t.commandFilter, 'facegate/hq/door-1/cmd/+');
  assert.equal(t.commandResult('reload'), 'facegate/hq/door-1/cmd/reload/result');
  assert.equal(commandName(t, 'facegate/hq/door-1/cmd/reload'), 'reload');
  assert.equal(commandName(t, 'facegate/hq/door-1/cmd/reload/result'), undefined);
  assert.equal(commandName(t, 'facegate/hq/door-2/cmd/reload'), undefined);
  for (const bad of ['', 'a/b', '+', '#', 'a+b', ' x', 'x'.repeat(65), 'é']) assert.throws(() => assertTopicSegment('site', bad), /not a valid MQTT topic level/, bad);
  assert.equal(toTopicSegment('My Host.local'), 'My-Host.local');
  assert.equal(toTopicSegment('///'), 'device');
});

test('enrolment topics parse back; malformed numbers do not', () => {
  const t = enrollmentTopics('hq');
  assert.deepEqual(parseEnrollmentTopic(t, t.manifest), { kind: 'manifest' });
  assert.deepEqual(parseEnrollmentTopic(t, t.chunk(1700000000, 12)), { kind: 'chunk', version: 1700000000, index: 12 });
  assert.deepEqual(parseEnrollmentTopic(t, t.delta(42)), { kind: 'delta', version: 42 });
  for (const bad of [`${t.base}/delta/01`, `${t.base}/delta/-1`, `${t.base}/delta/1e3`, `${t.base}/delta/99999999999999999`, `${t.base}/snapshot/1/chunk/x`, `${t.base}/other`, 'facegate/other/enrollment/delta/1']) {
    assert.equal(parseEnrollmentTopic(t, bad), undefined, bad);
  }
});

test('Home Assistant discovery: stable ids, injective node id, state topics', () => {
  const t = deviceTopics('hq', 'door.1');
  const msgs = haDiscoveryMessages({ site: 'hq', device: 'door.1', topics: t });
  assert.deepEqual(msgs.map((m) => m.topic), [
    'homeassistant/event/facegate_hq_door_-1/door/config',
    'homeassistant/sensor/facegate_hq_door_-1/last_decision/config',
    'homeassistant/sensor/facegate_hq_door_-1/last_person/config',
    'homeassistant/binary_sensor/facegate_hq_door_-1/status/config',
    'homeassistant/event/facegate_hq_door_-1/device_event/config',
  ]);
  const cfg = msgs.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
  assert.deepEqual(cfg.map((c) => c.unique_id), ['facegate_hq_door_-1_door', 'facegate_hq_door_-1_last_decision', 'facegate_hq_door_-1_last_person', 'facegate_hq_door_-1_status', 'facegate_hq_door_-1_device_event']);
  assert.equal(cfg[0].state_topic, t.decision);
  assert.equal(cfg[1].state_topic, t.lastDecision);
  assert.equal(cfg[3].state_topic, t.status);
  assert.deepEqual((cfg[0].device as { identifiers: string[] }).identifiers, ['facegate_hq_door_-1']);
  assert.deepEqual(haDiscoveryMessages({ site: 'hq', device: 'door.1', topics: t }), msgs, 'deterministic');
});

test('commands: transaction id required, errors name the problem', () => {
  assert.deepEqual(parseCommand(Buffer.from('{"txn":"t-1","args":{"x":1}}')), { txn: 't-1', args: { x: 1 } });
  assert.throws(() => parseCommand(Buffer.from('nope')), /not JSON/);
  assert.throws(() => parseCommand(Buffer.from('{"args":1}')), /txn/);
  assert.throws(() => parseCommand(Buffer.from('{"txn":"a b"}')), /txn/);
  assert.throws(() => parseCommand(Buffer.alloc(70_000, 0x20)), /exceeds/);
});

test('connect: options and clear error messages', () => {
  assert.throws(() => mqttOptions({ url: 'http://x' }), /unsupported scheme/);
  assert.throws(() => mqttOptions({ url: 'nonsense' }), /not a URL/);
  assert.throws(() => mqttOptions({ url: 'mqtts://x', ca: '/no/such/ca.pem' }), /cannot read MQTT CA/);
  const o = mqttOptions({ url: 'mqtts://x', username: 'u', password: 'p', ca: '-----BEGIN CERTIFICATE-----\n' });
  assert.equal(o.rejectUnauthorized, true);
  assert.equal(o.protocolVersion, 4);
  const e4 = Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 });
  assert.equal(describeConnectError(e4, 'mqtts://u:secret@h:8883'), 'MQTT broker mqtts://h:8883 refused the connection: bad username or password (CONNACK 4)');
  const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  assert.match(describeConnectError(tls, 'mqtts://h:8883'), /unknown CA; set the broker CA file/);
  assert.equal(redactUrl('mqtt://user:pw@host:1883'), 'mqtt://host:1883');
});
