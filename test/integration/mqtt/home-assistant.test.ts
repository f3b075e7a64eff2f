/**
 * Home Assistant's view of a running device, on a real Mosquitto: a device process (DeviceLink
 * with its durable queue) publishes discovery, status, decisions of every kind and events; a
 * subscriber captures the real payloads; each discovery config is held against HA's MQTT rules
 * (test/helpers/ha-mqtt-rules.ts) and each template is rendered (Jinja subset, Python semantics)
 * on the captured state payloads, as HA would on receipt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import type { DecisionInput } from '../../../sdk/mqtt/decision-message.ts';
import { Mosquitto, hasMosquitto } from '../../helpers/mosquitto.ts';
import { Collector, type Received } from '../../helpers/mqtt-collector.ts';
import { DeviceProcess } from '../../helpers/device-process.ts';
import { checkDiscovery, parseDiscoveryTopic } from '../../helpers/ha-mqtt-rules.ts';
import { renderTemplate } from '../../helpers/jinja-subset.ts';

const skip = hasMosquitto ? false : 'needs /usr/sbin/mosquitto (apt install mosquitto)';
const SITE = 'hq';
const DEVICE = 'door.1';
const NODE = 'facegate_hq_door_-1';

type Config = Record<string, unknown> & { value_template?: string; availability_template?: string; event_types?: string[]; options?: string[] };

const KINDS: [string, DecisionInput][] = [
  ['grant', { decision: 'grant', identity: 'alice', distance: 0.61, threshold: 0.95, model: 'mobilefacenet-192', liveness: 0.9987 }],
  ['deny', { decision: 'deny', identity: 'bob', distance: 0.7, threshold: 0.95, model: 'mobilefacenet-192', reason: 'expired' }],
  ['unknown', { decision: 'unknown', identity: null, distance: 1.31, threshold: 0.95, model: 'mobilefacenet-192' }],
  ['presentation_attack', { decision: 'deny', identity: 'alice', distance: 0.58, threshold: 0.95, model: 'mobilefacenet-192', reason: 'presentation_attack', liveness: 0.00001234 }],
];

/** The retained messages a new subscriber (HA after a restart) receives, by topic. */
async function retained(url: string, filters: string[]): Promise<Map<string, Received>> {
  const c = await Collector.start(url, filters);
  // Retained messages arrive right after SUBACK; a round trip through a private topic orders them.
  await c.client.subscribeAsync('ha-test/marker', { qos: 1 });
  await c.client.publishAsync('ha-test/marker', 'x', { qos: 1 });
  await c.until(() => c.messages.some((m) => m.topic === 'ha-test/marker'), 5000, 'marker');
  await c.close();
  return new Map(c.messages.filter((m) => m.retain).map((m) => [m.topic, m]));
}

test('Home Assistant: discovery passes HA rules; templates render grant/deny/unknown/presentation_attack from real payloads; state survives an HA restart; button; removal', { skip, timeout: 90_000 }, async () => {
  const broker = await Mosquitto.start();
  const dir = await mkdtemp(join(tmpdir(), 'fg-ha-'));
  const t = deviceTopics(SITE, DEVICE);
  const sub = await Collector.start(broker.url, ['homeassistant/#', `facegate/${SITE}/${DEVICE}/#`]);
  const base = { url: broker.url, site: SITE, device: DEVICE, queuePath: join(dir, 'q.db'), statusIntervalMs: 500 };
  let child = await DeviceProcess.start({
    ...base, commands: ['open-door'],
    homeAssistant: { doorButton: true, diagnostics: true, swVersion: '0.1.0', modelId: 'mtcnn + mobilefacenet-192, pack 864f123dc30e' },
    statusInfo: { fps: 4.5, latencyP50Ms: 180, presentationAttacks: 1, identities: 12, galleryVersion: 1767323045 },
  });
  try {
    const configs = () => sub.messages.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config') && m.payload.length > 0);
    await sub.until(() => configs().length >= 11, 10_000, 'discovery configs');
    const byObject = new Map<string, { topic: string; config: Config }>();
    for (const m of configs()) {
      const text = m.payload.toString('utf8');
      assert.deepEqual(checkDiscovery(m.topic, text), [], m.topic);
      const parsed = parseDiscoveryTopic(m.topic)!;
      assert.equal(parsed.node, NODE);
      byObject.set(parsed.object, { topic: m.topic, config: JSON.parse(text) as Config });
    }
    assert.deepEqual([...byObject.keys()].sort(), ['device_event', 'door', 'fps', 'gallery_identities', 'gallery_version', 'last_decision', 'last_person', 'latency_p50', 'open_door', 'presentation_attacks', 'status']);
    const cfg = (o: string): Config => byObject.get(o)!.config;
    assert.deepEqual(cfg('door').device, { identifiers: [NODE], name: 'FaceGate hq/door.1', manufacturer: 'FaceGate', model: 'FaceGate terminal', model_id: 'mtcnn + mobilefacenet-192, pack 864f123dc30e', sw_version: '0.1.0' });
    // The ids of before (door.1 folded to door_1) are removed, with empty retained payloads.
    for (const o of ['sensor/facegate_hq_door_1/last_decision', 'sensor/facegate_hq_door_1/last_person', 'binary_sensor/facegate_hq_door_1/status']) {
      assert.ok(sub.messages.some((m) => m.topic === `homeassistant/${o}/config` && m.payload.length === 0), o);
    }

    // Availability and diagnostics, rendered on the real status payload.
    await sub.until(() => sub.json<{ fps?: number }>(t.status).some((s) => s.fps === 4.5), 5000, 'status with live figures');
    const status = sub.on(t.status).filter((m) => m.payload.length > 0).at(-1)!.payload.toString('utf8');
    for (const [o, c] of byObject) {
      if (c.config.availability_topic === undefined) continue;
      assert.equal(c.config.availability_topic, t.status, o);
      assert.equal(renderTemplate(c.config.availability_template!, status), c.config.payload_available, o);
    }
    assert.equal(renderTemplate(cfg('status').value_template!, status), cfg('status').payload_on);
    const diag = Object.fromEntries(['fps', 'latency_p50', 'gallery_identities', 'gallery_version', 'presentation_attacks'].map((o) => [o, renderTemplate(cfg(o).value_template!, status)]));
    assert.deepEqual(diag, { fps: '4.5', latency_p50: '180', gallery_identities: '12', gallery_version: '1767323045', presentation_attacks: '1' });
    assert.equal(cfg('fps').expire_after, 3);
    assert.equal(cfg('gallery_version').expire_after, undefined);

    // Decisions of every kind: the door event and both sensors, rendered on the captured payloads.
    child.publish(KINDS.map(([, d]) => d));
    await sub.until(() => sub.on(t.decision).length === 4 && sub.on(t.lastDecision).length === 4, 10_000, 'decisions and summaries');
    const decisions = sub.on(t.decision);
    assert.ok(decisions.every((m) => !m.retain), 'decisions are never retained');
    const summaries = sub.on(t.lastDecision);
    const expected = [['grant', 'alice'], ['deny', 'denied'], ['stranger', 'stranger'], ['presentation_attack', 'presentation_attack']];
    for (let i = 0; i < KINDS.length; i++) {
      const [kind] = KINDS[i];
      const raw = decisions[i].payload.toString('utf8');
      const ev = JSON.parse(renderTemplate(cfg('door').value_template!, raw)) as Record<string, unknown>;
      assert.equal(ev.event_type, kind);
      assert.ok(cfg('door').event_types!.includes(kind));
      assert.equal(ev.identity, kind === 'grant' ? 'alice' : null, `${kind}: the event names nobody unless admitted`);
      assert.equal(ev.reason, (JSON.parse(raw) as { reason?: string }).reason ?? null);
      const s = summaries[i].payload.toString('utf8');
      const state = renderTemplate(cfg('last_decision').value_template!, s);
      const person = renderTemplate(cfg('last_person').value_template!, s);
      assert.deepEqual([state, person], expected[i], kind);
      assert.ok(cfg('last_decision').options!.includes(state));
      if (kind !== 'grant') assert.ok(!/alice|bob/.test(s), `${kind}: a deny never shows a person as admitted: ${s}`);
      const attrs = JSON.parse(s) as Record<string, unknown>;
      assert.equal(attrs.reason, kind === 'deny' ? 'expired' : kind === 'presentation_attack' ? 'presentation_attack' : null);
      assert.equal(attrs.liveness, kind === 'grant' ? 0.9987 : kind === 'presentation_attack' ? 0.00001234 : null);
    }

    // Device events reach HA's device_event entity with a listed event type.
    child.event('camera-lost', { before: 'ok' });
    child.event('enrollment-applied', { kind: 'delta', version: 5, identities: 12 });
    child.event('presentation_attack', { decision_id: '01KB4X0Y7ZQ4J5M3N2P1R0S9TV', track: 3, liveness: 0.00001234 });
    await sub.until(() => sub.on(t.event).length >= 3, 5000, 'events');
    for (const m of sub.on(t.event)) {
      const ev = JSON.parse(renderTemplate(cfg('device_event').value_template!, m.payload.toString('utf8'))) as Record<string, unknown>;
      assert.ok(cfg('device_event').event_types!.includes(ev.event_type as string), String(ev.event_type));
    }

    // HA restarts: what it receives again is retained: configs, status and the last decision
    // summary (the sensors' state), never a decision (so the event entity cannot replay one).
    const again = await retained(broker.url, ['homeassistant/#', `facegate/${SITE}/${DEVICE}/#`]);
    assert.equal(again.has(t.decision), false);
    const last = again.get(t.lastDecision)!.payload.toString('utf8');
    assert.equal(renderTemplate(cfg('last_decision').value_template!, last), 'presentation_attack');
    assert.equal(renderTemplate(cfg('last_person').value_template!, last), 'presentation_attack');
    assert.equal([...again.keys()].filter((k) => k.startsWith(`homeassistant/`) && again.get(k)!.payload.length > 0).length, 11);

    // The door button: HA publishes payload_press (not retained) to command_topic.
    const button = cfg('open_door');
    await sub.client.publishAsync(button.command_topic as string, button.payload_press as string, { qos: 1, retain: false });
    await sub.until(() => sub.on(t.commandResult('open-door')).length === 1, 5000, 'button result');
    assert.deepEqual(sub.json<{ txn: string; ok: boolean }>(t.commandResult('open-door')).map((r) => [r.txn, r.ok]), [['home-assistant', true]]);
    assert.deepEqual(child.commands.map((c) => c.name), ['open-door']);

    // The device restarts without remote open: the button disappears (empty retained config).
    await child.close();
    child = await DeviceProcess.start({ ...base, homeAssistant: true });
    await sub.until(() => sub.on(byObject.get('open_door')!.topic).some((m) => m.payload.length === 0), 5000, 'button removed');
    const now = await retained(broker.url, ['homeassistant/#']);
    assert.equal(now.has(byObject.get('open_door')!.topic), false);
    assert.equal(now.has(byObject.get('fps')!.topic), false, 'diagnostics off: removed too');
    assert.equal(now.has(byObject.get('door')!.topic), true);

    // Killed: the Last Will makes every entity unavailable.
    await child.kill();
    await sub.until(() => sub.json<{ state: string }>(t.status).at(-1)?.state === 'offline', 10_000, 'last will');
    const will = sub.on(t.status).at(-1)!.payload.toString('utf8');
    assert.equal(renderTemplate(cfg('door').availability_template!, will), cfg('door').payload_not_available);
    assert.equal(renderTemplate(cfg('fps').value_template!, will), 'None', 'no figure in the will: HA shows unknown, not 0');
  } finally {
    await child.kill();
    await sub.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
