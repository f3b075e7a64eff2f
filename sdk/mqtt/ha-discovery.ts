/**
 * Home Assistant MQTT discovery: one device with sensors for the last decision, the last person
 * and connectivity. Ids derive from site and device only, so they stay stable across restarts and
 * re-publishing the (retained) configs is idempotent.
 */
import type { DeviceTopics } from './topics.ts';
import { HA_PREFIX } from './topics.ts';

/** What the device tells Home Assistant about itself. */
export interface HaDeviceInfo {
  deviceName?: string;
  model?: string;
  swVersion?: string;
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

/** HA allows only [a-zA-Z0-9_-] in node and object ids. */
const haId = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');

export function haDiscoveryMessages(o: HaDiscoveryOptions): RetainedMessage[] {
  const prefix = o.prefix ?? HA_PREFIX;
  const node = `facegate_${haId(o.site)}_${haId(o.device)}`;
  const device = {
    identifiers: [node],
    name: o.deviceName ?? `FaceGate ${o.site}/${o.device}`,
    manufacturer: 'FaceGate',
    model: o.model ?? 'FaceGate terminal',
    ...(o.swVersion ? { sw_version: o.swVersion } : {}),
  };
  const availability = {
    availability_topic: o.topics.status,
    availability_template: '{{ value_json.state }}',
    payload_available: 'online',
    payload_not_available: 'offline',
  };
  const origin = { name: 'FaceGate', ...(o.swVersion ? { sw_version: o.swVersion } : {}) };
  const entity = (component: string, object: string, config: Record<string, unknown>): RetainedMessage => ({
    topic: `${prefix}/${component}/${node}/${object}/config`,
    payload: JSON.stringify({ unique_id: `${node}_${object}`, object_id: `${node}_${object}`, device, origin, ...config }),
  });
  return [
    entity('sensor', 'last_decision', {
      name: 'Last decision',
      state_topic: o.topics.decision,
      value_template: '{{ value_json.decision }}',
      json_attributes_topic: o.topics.decision,
      json_attributes_template: '{{ {"identity": value_json.identity, "distance": value_json.distance, "threshold": value_json.threshold, "ts": value_json.ts, "id": value_json.id} | tojson }}',
      icon: 'mdi:door',
      ...availability,
    }),
    entity('sensor', 'last_person', {
      name: 'Last person',
      state_topic: o.topics.decision,
      value_template: "{{ value_json.identity if value_json.identity else 'unknown' }}",
      icon: 'mdi:account',
      ...availability,
    }),
    entity('binary_sensor', 'status', {
      name: 'Status',
      state_topic: o.topics.status,
      value_template: '{{ value_json.state }}',
      payload_on: 'online',
      payload_off: 'offline',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
      json_attributes_topic: o.topics.status,
    }),
  ];
}
