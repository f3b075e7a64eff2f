/**
 * Home Assistant MQTT discovery: one device with
 * - `event …/door`: every door decision (event types grant, deny, unknown, presentation_attack),
 *   for automations ("when a stranger is at the door");
 * - `sensor …/last_decision` and `sensor …/last_person`: the retained last-decision summary, so
 *   they keep their state across an HA restart (last-decision.ts: a name only on a grant);
 * - `binary_sensor …/status`: connectivity;
 * - `event …/device_event`: the device's events (camera lost, gallery synced, attacks, …);
 * - diagnostic sensors (fps, latency p50, gallery size and version, presentation attacks), when
 *   the status carries them;
 * - `button …/open_door`, only when the device offers remote opening (off by default).
 *
 * One retained config per component (`<prefix>/<component>/<node>/<object>/config`), so each can
 * be removed alone with an empty retained payload; components not offered are removed that way.
 * Ids derive from site and device only (stable across restarts), injectively (haId).
 */
import type { DeviceTopics } from './topics.ts';
import { HA_PREFIX } from './topics.ts';
import { DEVICE_EVENT_TYPES } from './device-events.ts';
import { DOOR_STATES } from './last-decision.ts';

/** The command HA's door button sends (the device registers it only when remote open is allowed). */
export const OPEN_DOOR_COMMAND = 'open-door';

/** What the device tells Home Assistant about itself. */
export interface HaDeviceInfo {
  deviceName?: string;
  /** Product model; default "FaceGate terminal". */
  model?: string;
  /** What it runs: detector, embedder, model pack. */
  modelId?: string;
  /** FaceGate version. */
  swVersion?: string;
  /** Offer diagnostic sensors (the status must carry fps, latencyP50Ms, presentationAttacks). */
  diagnostics?: boolean;
  /** Seconds between status publications; diagnostics expire after 3 of them without one. */
  statusIntervalSec?: number;
  /** Offer the door button (the device must handle the `open-door` command). */
  doorButton?: boolean;
}

export interface HaDiscoveryOptions extends HaDeviceInfo {
  prefix?: string;
  site: string;
  device: string;
  topics: DeviceTopics;
}

export interface RetainedMessage {
  topic: string;
  payload: string;
}

/** The door event types (HA `event_types` of the door entity). */
export const DOOR_EVENT_TYPES = ['grant', 'deny', 'unknown', 'presentation_attack'] as const;

/**
 * HA ids allow only [a-zA-Z0-9_-]. Injective: `_` becomes `__` and `.` becomes `_-`, so an
 * encoded `_` is always followed by `_` or `-`, and the single `_` that joins site and device
 * (whose names start with a letter or digit) can be told apart: sites `a.b`, `a_b` and the pair
 * (`a`, `b_c`) vs (`a_b`, `c`) never share an id. Names of `A-Z a-z 0-9 -` keep their old ids.
 */
export function haId(s: string): string {
  return s.replace(/[_.]/g, (c) => (c === '_' ? '__' : '_-'));
}

/** The discovery node id (device identifier and unique-id prefix) of a site/device pair. */
export const haNodeId = (site: string, device: string): string => `facegate_${haId(site)}_${haId(device)}`;

/** Node id before ids were injective (`.` folded into `_`): its configs are removed when it differs. */
const legacyNodeId = (site: string, device: string): string => `facegate_${site.replace(/[^A-Za-z0-9_-]/g, '_')}_${device.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** HA entity ids are lower-case `[a-z0-9_]`, no leading, trailing or doubled `_`. */
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');

/**
 * Renders the decision message as HA's event payload: the event type (a presentation attack is
 * its own type), the identity only on a grant, and why.
 */
export const DOOR_EVENT_TEMPLATE =
  '{{ {"event_type": "presentation_attack" if value_json.get("reason") == "presentation_attack" else value_json.decision,' +
  ' "identity": value_json.identity if value_json.decision == "grant" else none,' +
  ' "distance": value_json.distance, "reason": value_json.get("reason"), "liveness": value_json.get("liveness"),' +
  ' "decision_id": value_json.id} | tojson }}';

/** The device event as HA's event payload: its `type` is the event type; its fields are attributes. */
export const DEVICE_EVENT_TEMPLATE = '{{ dict(value_json, event_type=value_json.type) | tojson }}';

type Component = 'sensor' | 'binary_sensor' | 'event' | 'button';
interface Entity {
  component: Component;
  object: string;
  config: Record<string, unknown>;
}

function entities(o: HaDiscoveryOptions): { offered: Entity[]; withheld: Entity[] } {
  const t = o.topics;
  const availability = {
    availability_topic: t.status,
    availability_template: '{{ value_json.state }}',
    payload_available: 'online',
    payload_not_available: 'offline',
  };
  const offered: Entity[] = [
    { component: 'event', object: 'door', config: {
      name: 'Door', state_topic: t.decision, event_types: [...DOOR_EVENT_TYPES], value_template: DOOR_EVENT_TEMPLATE, icon: 'mdi:door', ...availability,
    } },
    { component: 'sensor', object: 'last_decision', config: {
      name: 'Last decision', state_topic: t.lastDecision, value_template: '{{ value_json.state }}',
      device_class: 'enum', options: [...DOOR_STATES], json_attributes_topic: t.lastDecision, icon: 'mdi:door', ...availability,
    } },
    { component: 'sensor', object: 'last_person', config: {
      name: 'Last person', state_topic: t.lastDecision, value_template: '{{ value_json.person }}', icon: 'mdi:account', ...availability,
    } },
    { component: 'binary_sensor', object: 'status', config: {
      name: 'Status', state_topic: t.status, value_template: '{{ value_json.state }}', payload_on: 'online', payload_off: 'offline',
      device_class: 'connectivity', entity_category: 'diagnostic', json_attributes_topic: t.status,
    } },
    { component: 'event', object: 'device_event', config: {
      name: 'Device event', state_topic: t.event, event_types: [...DEVICE_EVENT_TYPES], value_template: DEVICE_EVENT_TEMPLATE,
      entity_category: 'diagnostic', icon: 'mdi:message-alert', ...availability,
    } },
  ];
  // Live figures go stale if the device hangs with its connection up: they expire after three
  // missed status publications. Counts and versions do not expire.
  const expire = o.statusIntervalSec ? { expire_after: 3 * o.statusIntervalSec } : {};
  const diagnostic = (object: string, name: string, field: string, extra: Record<string, unknown>): Entity => ({
    component: 'sensor', object, config: {
      name, state_topic: t.status, value_template: `{{ value_json.get("${field}") }}`, entity_category: 'diagnostic', ...extra, ...availability,
    },
  });
  const diagnostics = [
    diagnostic('fps', 'Frames per second', 'fps', { unit_of_measurement: 'fps', state_class: 'measurement', suggested_display_precision: 1, icon: 'mdi:speedometer', ...expire }),
    diagnostic('latency_p50', 'Frame latency p50', 'latencyP50Ms', { device_class: 'duration', unit_of_measurement: 'ms', state_class: 'measurement', suggested_display_precision: 0, ...expire }),
    diagnostic('gallery_identities', 'Gallery identities', 'identities', { state_class: 'measurement', icon: 'mdi:account-group' }),
    diagnostic('gallery_version', 'Gallery version', 'galleryVersion', { icon: 'mdi:source-commit' }),
    diagnostic('presentation_attacks', 'Presentation attacks', 'presentationAttacks', { state_class: 'total_increasing', icon: 'mdi:shield-alert' }),
  ];
  const button: Entity = { component: 'button', object: 'open_door', config: {
    name: 'Open door', command_topic: t.command(OPEN_DOOR_COMMAND), payload_press: JSON.stringify({ txn: 'home-assistant', args: { source: 'home-assistant' } }),
    qos: 1, retain: false, icon: 'mdi:door-open', ...availability,
  } };
  const withheld: Entity[] = [];
  (o.diagnostics ? offered : withheld).push(...diagnostics);
  (o.doorButton ? offered : withheld).push(button);
  return { offered, withheld };
}

const configTopic = (prefix: string, node: string, e: Pick<Entity, 'component' | 'object'>): string => `${prefix}/${e.component}/${node}/${e.object}/config`;

/** Retained configs of the components offered. Deterministic: re-publishing is idempotent. */
export function haDiscoveryMessages(o: HaDiscoveryOptions): RetainedMessage[] {
  const prefix = o.prefix ?? HA_PREFIX;
  const node = haNodeId(o.site, o.device);
  const device = {
    identifiers: [node],
    name: o.deviceName ?? `FaceGate ${o.site}/${o.device}`,
    manufacturer: 'FaceGate',
    model: o.model ?? 'FaceGate terminal',
    ...(o.modelId ? { model_id: o.modelId } : {}),
    ...(o.swVersion ? { sw_version: o.swVersion } : {}),
  };
  const origin = { name: 'FaceGate', ...(o.swVersion ? { sw_version: o.swVersion } : {}) };
  return entities(o).offered.map((e) => ({
    topic: configTopic(prefix, node, e),
    payload: JSON.stringify({
      unique_id: `${node}_${e.object}`,
      default_entity_id: `${e.component}.${slug(`facegate_${o.site}_${o.device}_${e.object}`)}`,
      device, origin, ...e.config,
    }),
  }));
}

/**
 * Empty retained payloads that remove what is not offered: the components turned off and the
 * configs under the node id used before ids were injective. With `all`, every component.
 */
export function haDiscoveryRemovals(o: HaDiscoveryOptions, opts: { all?: boolean } = {}): RetainedMessage[] {
  const prefix = o.prefix ?? HA_PREFIX;
  const node = haNodeId(o.site, o.device);
  const { offered, withheld } = entities(o);
  const out = (opts.all ? [...offered, ...withheld] : withheld).map((e) => ({ topic: configTopic(prefix, node, e), payload: '' }));
  const legacy = legacyNodeId(o.site, o.device);
  if (legacy !== node) {
    for (const e of [{ component: 'sensor', object: 'last_decision' }, { component: 'sensor', object: 'last_person' }, { component: 'binary_sensor', object: 'status' }] as const) {
      out.push({ topic: configTopic(prefix, legacy, e), payload: '' });
    }
  }
  return out;
}
