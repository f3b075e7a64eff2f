import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceTopics } from '../../../sdk/mqtt/topics.ts';
import { DOOR_EVENT_TEMPLATE, DOOR_EVENT_TYPES, haDiscoveryMessages, haDiscoveryRemovals, haId, haNodeId } from '../../../sdk/mqtt/ha-discovery.ts';
import { buildDecisionMessage, type DecisionInput } from '../../../sdk/mqtt/decision-message.ts';
import { DOOR_STATES, lastDecision } from '../../../sdk/mqtt/last-decision.ts';
import { checkDiscovery } from '../../helpers/ha-mqtt-rules.ts';
import { renderTemplate } from '../../helpers/jinja-subset.ts';

test('haId is injective: a.b, a_b and a-b differ; (site, device) pairs never share a node id', () => {
  assert.deepEqual(['a.b', 'a_b', 'a-b', 'a__b', 'a._b'].map(haId), ['a_-b', 'a__b', 'a-b', 'a____b', 'a_-__b']);
  assert.notEqual(haNodeId('a', 'b_c'), haNodeId('a_b', 'c'));
  assert.notEqual(haNodeId('a.b', 'c'), haNodeId('a_b', 'c'));
  assert.equal(haNodeId('hq', 'door-1'), 'facegate_hq_door-1', 'names of A-Z a-z 0-9 - keep their ids');
  // Exhaustive over short names from the whole topic-level alphabet's interesting characters.
  const alphabet = ['a', '1', '_', '.', '-'];
  const names: string[] = [];
  const grow = (s: string) => { if (s.length > 0 && /^[A-Za-z0-9]/.test(s)) names.push(s); if (s.length < 4) for (const c of alphabet) grow(s + c); };
  grow('');
  const seen = new Map<string, string>();
  for (const site of names) for (const device of names) {
    const id = haNodeId(site, device);
    assert.match(id, /^[A-Za-z0-9_-]+$/);
    const before = seen.get(id);
    assert.equal(before, undefined, `${site}/${device} and ${before} share ${id}`);
    seen.set(id, `${site}/${device}`);
  }
  assert.equal(seen.size, names.length ** 2);
});

test('discovery: every config passes the HA rules; default_entity_id, no object_id; button and diagnostics only when offered', () => {
  const t = deviceTopics('hq', 'door.1');
  const base = { site: 'hq', device: 'door.1', topics: t, swVersion: '0.1.0', modelId: 'mtcnn + mobilefacenet-192' };
  const plain = haDiscoveryMessages(base);
  assert.deepEqual(plain.map((m) => m.topic), [
    'homeassistant/event/facegate_hq_door_-1/door/config',
    'homeassistant/sensor/facegate_hq_door_-1/last_decision/config',
    'homeassistant/sensor/facegate_hq_door_-1/last_person/config',
    'homeassistant/binary_sensor/facegate_hq_door_-1/status/config',
    'homeassistant/event/facegate_hq_door_-1/device_event/config',
  ]);
  const full = haDiscoveryMessages({ ...base, diagnostics: true, doorButton: true, statusIntervalSec: 30 });
  assert.equal(full.length, 11);
  for (const m of full) assert.deepEqual(checkDiscovery(m.topic, m.payload), [], m.topic);
  const cfg = full.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
  assert.deepEqual(cfg.map((c) => c.default_entity_id), [
    'event.facegate_hq_door_1_door', 'sensor.facegate_hq_door_1_last_decision', 'sensor.facegate_hq_door_1_last_person',
    'binary_sensor.facegate_hq_door_1_status', 'event.facegate_hq_door_1_device_event', 'sensor.facegate_hq_door_1_fps',
    'sensor.facegate_hq_door_1_latency_p50', 'sensor.facegate_hq_door_1_gallery_identities', 'sensor.facegate_hq_door_1_gallery_version',
    'sensor.facegate_hq_door_1_presentation_attacks', 'button.facegate_hq_door_1_open_door',
  ]);
  assert.equal(new Set(cfg.map((c) => c.unique_id)).size, cfg.length);
  assert.deepEqual(cfg[0].device, { identifiers: ['facegate_hq_door_-1'], name: 'FaceGate hq/door.1', manufacturer: 'FaceGate', model: 'FaceGate terminal', model_id: 'mtcnn + mobilefacenet-192', sw_version: '0.1.0' });
  assert.equal(cfg.find((c) => c.unique_id === 'facegate_hq_door_-1_fps')?.expire_after, 90);
  assert.deepEqual(haDiscoveryMessages({ ...base, diagnostics: true, doorButton: true, statusIntervalSec: 30 }), full, 'deterministic');
  // Not offered: removed with an empty retained payload, as are the pre-injective ids of door.1.
  const removals = haDiscoveryRemovals(base);
  assert.ok(removals.every((m) => m.payload === ''));
  assert.deepEqual(removals.map((m) => m.topic).sort(), [
    'homeassistant/binary_sensor/facegate_hq_door_1/status/config',
    'homeassistant/button/facegate_hq_door_-1/open_door/config',
    'homeassistant/sensor/facegate_hq_door_-1/fps/config',
    'homeassistant/sensor/facegate_hq_door_-1/gallery_identities/config',
    'homeassistant/sensor/facegate_hq_door_-1/gallery_version/config',
    'homeassistant/sensor/facegate_hq_door_-1/latency_p50/config',
    'homeassistant/sensor/facegate_hq_door_-1/presentation_attacks/config',
    'homeassistant/sensor/facegate_hq_door_1/last_decision/config',
    'homeassistant/sensor/facegate_hq_door_1/last_person/config',
  ]);
  assert.equal(haDiscoveryRemovals({ ...base, device: 'door-1', topics: deviceTopics('hq', 'door-1') }, { all: true }).length, 11, 'all: every component, no legacy ids when they did not change');
});

const KINDS: [string, DecisionInput][] = [
  ['grant', { decision: 'grant', identity: 'alice', distance: 0.61, threshold: 0.95, model: 'm', liveness: 0.9987 }],
  ['deny', { decision: 'deny', identity: 'bob', distance: 0.7, threshold: 0.95, model: 'm', reason: 'expired' }],
  ['unknown', { decision: 'unknown', identity: null, distance: 1.31, threshold: 0.95, model: 'm' }],
  ['presentation_attack', { decision: 'deny', identity: 'alice', distance: 0.58, threshold: 0.95, model: 'm', reason: 'presentation_attack', liveness: 0.00001234 }],
];

test('templates render what HA expects for grant, deny, unknown and presentation_attack; a deny never shows a person', () => {
  const t = deviceTopics('hq', 'door-1');
  const cfg = Object.fromEntries(haDiscoveryMessages({ site: 'hq', device: 'door-1', topics: t }).map((m) => [m.topic.split('/')[3], JSON.parse(m.payload) as Record<string, string | string[]>]));
  const expected = {
    grant: { state: 'grant', person: 'alice' }, deny: { state: 'deny', person: 'denied' },
    unknown: { state: 'stranger', person: 'stranger' }, presentation_attack: { state: 'presentation_attack', person: 'presentation_attack' },
  };
  for (const [kind, input] of KINDS) {
    const msg = buildDecisionMessage(input, { site: 'hq', device: 'door-1', includeImage: false });
    const ev = JSON.parse(renderTemplate(cfg.door.value_template as string, JSON.stringify(msg))) as Record<string, unknown>;
    assert.equal(ev.event_type, kind);
    assert.ok((cfg.door.event_types as string[]).includes(ev.event_type as string));
    assert.equal(ev.identity, kind === 'grant' ? 'alice' : null, kind);
    assert.equal(ev.distance, msg.distance);
    assert.equal(ev.reason, msg.reason ?? null);
    assert.equal(ev.liveness, msg.liveness ?? null);
    assert.equal(ev.decision_id, msg.id);
    const summary = JSON.stringify(lastDecision(msg));
    const state = renderTemplate(cfg.last_decision.value_template as string, summary);
    const person = renderTemplate(cfg.last_person.value_template as string, summary);
    assert.deepEqual({ state, person }, expected[kind as keyof typeof expected]);
    assert.ok((cfg.last_decision.options as string[]).includes(state));
    assert.notEqual(state, 'unknown', 'HA reads "unknown" as no data');
    if (kind !== 'grant') assert.ok(!summary.includes('alice') && !summary.includes('bob'), `${kind}: ${summary}`);
  }
  assert.deepEqual([...DOOR_EVENT_TYPES], ['grant', 'deny', 'unknown', 'presentation_attack']);
  assert.deepEqual([...DOOR_STATES], ['grant', 'deny', 'stranger', 'presentation_attack']);
  assert.ok(DOOR_EVENT_TEMPLATE.includes('tojson'));
});
