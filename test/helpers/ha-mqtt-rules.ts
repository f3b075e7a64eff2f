/**
 * The Home Assistant MQTT discovery rules that apply to what FaceGate publishes, as facts read from
 * HA core (components/mqtt: discovery.py topic format, schemas.py common/device/origin/availability
 * schemas, sensor.py, binary_sensor.py, event.py, button.py). Discovery schemas drop unknown keys
 * silently (REMOVE_EXTRA), so an unknown key here is a bug HA would never report: it is an error.
 *
 * `checkDiscovery` returns every problem found (empty: valid).
 */

const AVAILABILITY = ['availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available', 'payload_not_available'];
const ENTITY_COMMON = [
  ...AVAILABILITY, 'device', 'origin', 'enabled_by_default', 'entity_category', 'entity_picture', 'icon',
  'json_attributes_topic', 'json_attributes_template', 'default_entity_id', 'object_id', 'unique_id', 'name',
];
const READ_ONLY = ['state_topic', 'value_template', 'qos', 'encoding'];

/** Keys each platform's discovery schema accepts (full names; FaceGate sends no abbreviations). */
export const PLATFORM_KEYS: Record<string, readonly string[]> = {
  sensor: [...ENTITY_COMMON, ...READ_ONLY, 'device_class', 'expire_after', 'force_update', 'last_reset_value_template', 'suggested_display_precision', 'state_class', 'unit_of_measurement', 'options'],
  binary_sensor: [...ENTITY_COMMON, ...READ_ONLY, 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_on', 'payload_off'],
  event: [...ENTITY_COMMON, ...READ_ONLY, 'device_class', 'event_types'],
  button: [...ENTITY_COMMON, 'command_topic', 'command_template', 'payload_press', 'retain', 'qos', 'encoding', 'device_class'],
};

const REQUIRED: Record<string, readonly string[]> = {
  sensor: ['state_topic'],
  binary_sensor: ['state_topic'],
  event: ['state_topic', 'event_types'],
  button: ['command_topic'],
};

const DEVICE_KEYS = ['identifiers', 'connections', 'manufacturer', 'model', 'model_id', 'name', 'hw_version', 'serial_number', 'sw_version', 'via_device', 'suggested_area', 'configuration_url'];
const ORIGIN_KEYS = ['name', 'sw_version', 'support_url'];
const STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'];
const DURATION_UNITS = ['d', 'h', 'min', 's', 'ms', 'µs'];
const BINARY_SENSOR_CLASSES_USED = ['connectivity'];

/** HA's valid entity id: `<domain>.<object>`, lower-case [a-z0-9_], no leading/trailing/double `_`. */
const ENTITY_ID = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;
/** discovery.py: `<prefix>/<component>/[<node_id>/]<object_id>/config`, ids of [a-zA-Z0-9_-]. */
const DISCOVERY_TOPIC = /^(?<prefix>.+)\/(?<component>\w+)\/(?:(?<node>[a-zA-Z0-9_-]+)\/)?(?<object>[a-zA-Z0-9_-]+)\/config$/;
/** A topic one may subscribe to: no empty publish wildcards misuse, no NUL. */
const validTopic = (t: unknown): boolean => typeof t === 'string' && t.length > 0 && !t.includes('\0') && !/[+#]/.test(t);

export interface ParsedDiscovery {
  component: string;
  node: string | undefined;
  object: string;
  config: Record<string, unknown>;
}

export function parseDiscoveryTopic(topic: string): { component: string; node?: string; object: string } | undefined {
  const m = DISCOVERY_TOPIC.exec(topic);
  return m?.groups ? { component: m.groups.component, node: m.groups.node, object: m.groups.object } : undefined;
}

/** Problems of one retained discovery message (topic + JSON payload), as HA would judge it. */
export function checkDiscovery(topic: string, payload: string): string[] {
  const p: string[] = [];
  const t = parseDiscoveryTopic(topic);
  if (!t) return [`${topic}: not a discovery topic`];
  const keys = PLATFORM_KEYS[t.component];
  if (!keys) return [`${topic}: component ${t.component} is not one FaceGate's rules cover`];
  let c: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(payload);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`${topic}: payload is not a JSON object`];
    c = v as Record<string, unknown>;
  } catch {
    return [`${topic}: payload is not JSON`];
  }
  const where = (k: string) => `${topic}: ${k}`;
  for (const k of Object.keys(c)) if (!keys.includes(k)) p.push(where(`unknown key "${k}" (HA drops it silently)`));
  for (const k of REQUIRED[t.component]) if (c[k] === undefined) p.push(where(`required key "${k}" missing`));
  if ('object_id' in c) p.push(where('object_id is ignored since HA 2026.4 (use default_entity_id)'));
  if (typeof c.unique_id !== 'string' || !c.unique_id) p.push(where('unique_id missing (needed for the device registry)'));
  if (c.default_entity_id !== undefined) {
    const id = c.default_entity_id;
    if (typeof id !== 'string' || !ENTITY_ID.test(id)) p.push(where(`default_entity_id "${String(id)}" is not a valid entity id`));
    else if (!id.startsWith(`${t.component}.`)) p.push(where(`default_entity_id "${id}" is not in domain ${t.component}`));
  }
  for (const k of ['state_topic', 'json_attributes_topic', 'availability_topic', 'command_topic']) {
    if (c[k] !== undefined && !validTopic(c[k])) p.push(where(`${k} is not a valid topic`));
  }
  if (c.availability_topic !== undefined && c.availability !== undefined) p.push(where('availability and availability_topic are exclusive'));
  if (c.entity_category !== undefined && !['config', 'diagnostic'].includes(String(c.entity_category))) p.push(where(`entity_category ${String(c.entity_category)}`));
  if (c.qos !== undefined && ![0, 1, 2].includes(c.qos as number)) p.push(where('qos must be 0, 1 or 2'));
  // Device and origin.
  const d = c.device as Record<string, unknown> | undefined;
  if (d === undefined) p.push(where('no device: the entities would not group under one device'));
  else {
    for (const k of Object.keys(d)) if (!DEVICE_KEYS.includes(k)) p.push(where(`device: unknown key "${k}"`));
    const ids = Array.isArray(d.identifiers) ? d.identifiers : d.identifiers === undefined ? [] : [d.identifiers];
    if (ids.length === 0 && !d.connections) p.push(where('device must have at least one identifier or connection'));
    for (const k of ['manufacturer', 'model', 'model_id', 'name', 'sw_version']) if (d[k] !== undefined && typeof d[k] !== 'string') p.push(where(`device.${k} must be a string`));
  }
  const o = c.origin as Record<string, unknown> | undefined;
  if (o !== undefined) {
    for (const k of Object.keys(o)) if (!ORIGIN_KEYS.includes(k)) p.push(where(`origin: unknown key "${k}"`));
    if (typeof o.name !== 'string') p.push(where('origin.name is required'));
  }
  // Platform specifics.
  if (t.component === 'sensor') {
    if (c.options !== undefined) {
      if (!Array.isArray(c.options) || c.options.length === 0 || c.options.some((x) => typeof x !== 'string')) p.push(where('options must be a non-empty list of strings'));
      if (c.device_class !== 'enum') p.push(where('options need device_class enum'));
      if (c.state_class !== undefined || c.unit_of_measurement !== undefined) p.push(where('an enum sensor has no state_class or unit'));
    }
    if (c.device_class === 'enum' && c.options === undefined) p.push(where('device_class enum needs options'));
    if (c.state_class !== undefined && !STATE_CLASSES.includes(String(c.state_class))) p.push(where(`state_class ${String(c.state_class)}`));
    if (c.device_class === 'duration' && !DURATION_UNITS.includes(String(c.unit_of_measurement))) p.push(where('duration needs a time unit'));
    if (c.expire_after !== undefined && !(Number.isInteger(c.expire_after) && (c.expire_after as number) > 0)) p.push(where('expire_after must be a positive integer'));
    if (c.suggested_display_precision !== undefined && !(Number.isInteger(c.suggested_display_precision) && (c.suggested_display_precision as number) >= 0)) p.push(where('suggested_display_precision'));
  }
  if (t.component === 'binary_sensor' && c.device_class !== undefined && !BINARY_SENSOR_CLASSES_USED.includes(String(c.device_class))) p.push(where(`binary_sensor device_class ${String(c.device_class)}`));
  if (t.component === 'event') {
    if (!Array.isArray(c.event_types) || c.event_types.length === 0 || c.event_types.some((x) => typeof x !== 'string')) p.push(where('event_types must be a non-empty list of strings'));
  }
  if (t.component === 'button' && c.retain === true) p.push(where('a retained button press would replay on every reconnect'));
  return p;
}
