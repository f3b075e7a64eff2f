/**
 * Malformed MQTT payloads for the message fuzzer, delivered through a real broker to a real
 * DeviceLink (its subscribed topics: signed enrolment manifest/chunks/deltas, commands, Home
 * Assistant status). Some are raw corruptions of valid signed messages (they die at the
 * signature); others are re-signed with the trusted key after the mutation, so the header
 * validation, hashing and record decoding behind the signature are fuzzed too.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { DeviceLink, type DeviceEvent } from '../../../sdk/mqtt/device-link.ts';
import { buildDeltas, buildSnapshot, encodeAll, MAGIC, sealEnvelope, sha256Hex } from '../../../sdk/mqtt/enrollment-messages.ts';
import { deviceTopics, enrollmentTopics } from '../../../sdk/mqtt/topics.ts';
import type { Logger } from '../../../sdk/logger.ts';
import { MemoryTarget } from '../memory-target.ts';
import { FuzzRng, flipBits, overwrite, truncateAt, withDeadline, type Outcome } from './mutate.ts';

const SITE = 'fuzz';
const DEVICE = 'd1';
const DIM = 16;
const MODEL = 'mobilefacenet-192';

export interface MqttHarness {
  link: DeviceLink;
  pub: MqttClient;
  events: DeviceEvent[];
  /** Errors the link logged while handling a message (an exception escaped a handler). */
  handlerErrors: string[];
  valid: { topic: string; payload: Buffer }[];
  privateKey: KeyObject;
  /** Resolves once the link has received `marker` on the marker topic. */
  marker(id: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function records(n: number, r: FuzzRng) {
  return Array.from({ length: n }, (_, i) => ({
    identity: `person-${i}`,
    attributes: { name: `Person ${i}`, enabled: true },
    templates: [Float32Array.from({ length: DIM }, () => r.next() - 0.5)],
  }));
}

export async function mqttHarness(brokerUrl: string, seed: number): Promise<MqttHarness> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const events: DeviceEvent[] = [];
  const handlerErrors: string[] = [];
  const logger: Logger = {
    info() {}, warn() {},
    error(msg, fields) { if (msg === 'message handling failed') handlerErrors.push(String(fields?.error)); },
  };
  const link = await DeviceLink.start({
    broker: { url: brokerUrl, clientId: `fuzz-device-${seed}` }, site: SITE, device: DEVICE, logger,
    enrollment: { target: new MemoryTarget({ modelId: MODEL, dim: DIM }), publicKeys: [publicKey], limits: { requestIntervalMs: 0, snapshotStallMs: 1e9, gapWaitMs: 1e9 } }, // no timers: outcomes depend on the seed only
    commands: { echo: (args) => args },
    homeAssistant: { deviceName: 'fuzz' },
    events: { perSecond: 1e9, burst: 1e9 },
  });
  link.on('event', (e) => events.push(e));
  const pub = await mqtt.connectAsync(brokerUrl, { clientId: `fuzz-pub-${seed}` });
  // A marker topic on the link's own client: the link's client handles one message after the
  // other, so seeing the marker means every message published before it has been handled.
  const markerTopic = `fuzz-marker/${seed}`;
  const waiting = new Map<string, () => void>();
  link.client.on('message', (topic, payload) => { if (topic === markerTopic) waiting.get(payload.toString())?.(); });
  await link.client.subscribeAsync(markerTopic, { qos: 1 });
  const r = new FuzzRng(seed);
  const t = enrollmentTopics(SITE);
  const recs = encodeAll(records(6, r), 'f16', DIM);
  const snap = buildSnapshot({ site: SITE, version: 100, modelId: MODEL, dim: DIM, encoding: 'f16', records: recs, privateKey, publicKey, maxBodyBytes: 200 });
  const deltas = buildDeltas({ site: SITE, prevVersion: 100, modelId: MODEL, dim: DIM, encoding: 'f16', change: { upserts: encodeAll(records(2, r), 'f16', DIM), removes: ['person-3'] }, privateKey, publicKey });
  const valid = [
    { topic: t.manifest, payload: snap.manifest },
    ...snap.chunks.map((c, i) => ({ topic: t.chunk(100, i), payload: c })),
    ...deltas.map((d) => ({ topic: t.delta(d.version), payload: d.message })),
  ];
  return {
    link, pub, events, handlerErrors, valid, privateKey,
    marker(id, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`marker ${id} not seen within ${timeoutMs} ms`)); }, timeoutMs);
        waiting.set(id, () => { clearTimeout(timer); waiting.delete(id); resolve(); });
        pub.publish(markerTopic, id, { qos: 1 });
      });
    },
    async close() {
      await pub.endAsync();
      await link.close({ announceOffline: false });
    },
  };
}

const JUNK_VALUES: unknown[] = [null, -1, 0, 1.5, 2 ** 53, -(2 ** 60), 1e308, '', 'x', 'A'.repeat(2000), [], {}, true, [1, 2, 3], { a: { b: {} } }, '../../etc/passwd', '\u0000', 'snapshot', 'delta', 'chunk', '0'.repeat(64)];

/** Splits an FGE1 envelope into its header object and body (the layout of enrollment-messages.ts). */
function openRaw(msg: Buffer): { header: Record<string, unknown>; body: Buffer } {
  const rest = msg.subarray(MAGIC.length + 64);
  const hLen = rest.readUInt32LE(0);
  return { header: JSON.parse(rest.subarray(4, 4 + hLen).toString('utf8')) as Record<string, unknown>, body: rest.subarray(4 + hLen) };
}

function reseal(header: Record<string, unknown>, body: Buffer, key: KeyObject): Buffer | undefined {
  try {
    return sealEnvelope(header as never, body, key);
  } catch {
    return undefined; // over the envelope limits: the builder refuses what a device would
  }
}

export const MQTT_KINDS = ['raw-flip', 'raw-truncate', 'raw-overwrite', 'resigned-header', 'resigned-body', 'wrong-topic', 'junk', 'oversize', 'command', 'ha-status', 'valid'] as const;

export function mqttCase(h: MqttHarness, r: FuzzRng): { kind: string; topic: string; payload: Buffer } {
  const t = enrollmentTopics(SITE);
  const d = deviceTopics(SITE, DEVICE);
  const base = r.pick(h.valid);
  const kind = r.pick(MQTT_KINDS);
  const anyTopic = () => r.pick([t.manifest, t.chunk(r.int(200), r.int(4)), t.delta(r.int(200)), `${d.commandFilter.replace('+', '')}echo`, 'homeassistant/status']);
  switch (kind) {
    case 'raw-flip': return { kind, topic: base.topic, payload: flipBits(base.payload, r, 1 + r.int(8)) };
    case 'raw-truncate': return { kind, topic: base.topic, payload: truncateAt(base.payload, r) };
    case 'raw-overwrite': return { kind, topic: base.topic, payload: overwrite(base.payload, r, 32) };
    case 'resigned-header': {
      const { header, body } = openRaw(base.payload);
      const keys = Object.keys(header);
      const op = r.int(3);
      if (op === 0) header[r.pick(keys)] = r.pick(JUNK_VALUES);
      else if (op === 1) delete header[r.pick(keys)];
      else header[r.pick(['extra', '__proto__', 'constructor', 'kind'])] = r.pick(JUNK_VALUES);
      return { kind, topic: base.topic, payload: reseal(header, body, h.privateKey) ?? base.payload };
    }
    case 'resigned-body': {
      const { header, body } = openRaw(base.payload);
      const nb = r.next() < 0.5 ? flipBits(body.length ? body : Buffer.alloc(1), r, 1 + r.int(8)) : truncateAt(body, r);
      // With the hash updated too, the mutated records reach the record decoder.
      if (r.next() < 0.7 && typeof header.sha256 === 'string') header.sha256 = sha256Hex(nb);
      return { kind, topic: base.topic, payload: reseal(header, nb, h.privateKey) ?? base.payload };
    }
    case 'wrong-topic': return { kind, topic: anyTopic(), payload: base.payload };
    case 'junk': return { kind, topic: anyTopic(), payload: r.bytes(r.int(2048)) };
    case 'oversize': return { kind, topic: anyTopic(), payload: r.bytes(256 * 1024 + 1 + r.int(200_000)) };
    case 'command': {
      const name = r.pick(['echo', 'status', 'snapshot-request', 'constructor', '__proto__', 'nope', 'toString']);
      const payloads = [
        JSON.stringify({ txn: `t${r.int(1e6)}`, args: r.pick(JUNK_VALUES) }),
        JSON.stringify({ txn: r.pick(JUNK_VALUES) }),
        '{"txn":"a","__proto__":{"polluted":1}}',
        '['.repeat(1 + r.int(20_000)),
        r.bytes(r.int(512)).toString('latin1'),
        '',
      ];
      return { kind, topic: `${d.commandFilter.replace('+', '')}${name}`, payload: Buffer.from(r.pick(payloads), 'latin1') };
    }
    case 'ha-status': return { kind, topic: 'homeassistant/status', payload: Buffer.from(r.pick(['online', 'offline', 'ONLINE', '', 'x'.repeat(r.int(5000))])) };
    case 'valid': return { kind, topic: base.topic, payload: base.payload };
  }
}

let markers = 0;
const REJECTIONS = new Set(['enrollment-rejected', 'message-rejected', 'command-rejected']);
/** Messages that show a JS fault leaking out instead of a reason. */
const INTERNAL = /is not a function|Cannot read propert|of undefined|undefined is not|Maximum call stack|RangeError|TypeError/;

/**
 * Publishes one payload and waits until the link has handled it (a round trip through the
 * broker: it delivers one client's messages in order). Rejections with a reason are clear errors.
 */
export async function runMqttCase(h: MqttHarness, c: { topic: string; payload: Buffer }, timeoutMs: number): Promise<{ outcome: Outcome; message: string }> {
  const e0 = h.events.length;
  const x0 = h.handlerErrors.length;
  const res = await withDeadline(async () => {
    h.pub.publish(c.topic, c.payload, { qos: 1 });
    await h.marker(String(++markers), timeoutMs);
    await h.link.enrollment?.idle();
  }, timeoutMs + 1000);
  if (res.hang) return { outcome: 'hang', message: `no round trip within ${timeoutMs} ms` };
  if (res.error) return { outcome: 'unclear', message: String(res.error) };
  if (h.handlerErrors.length > x0) return { outcome: 'unclear', message: h.handlerErrors[x0] };
  const rejected = h.events.slice(e0).filter((e) => REJECTIONS.has(e.type));
  if (rejected.length === 0) return { outcome: 'ok', message: h.events.slice(e0).map((e) => e.type).join(',') };
  const first: Record<string, unknown> = { ...rejected[0] };
  const msg = String(first.message ?? first.reason ?? '');
  if (!msg || INTERNAL.test(msg)) return { outcome: 'unclear', message: msg || JSON.stringify(rejected[0]) };
  return { outcome: 'clear', message: msg };
}
