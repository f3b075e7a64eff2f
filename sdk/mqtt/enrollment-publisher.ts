/**
 * Enrolment service side: reads what the broker retains for a site, publishes a signed snapshot
 * (chunks first, then the manifest, then clears what it supersedes) or the signed deltas that
 * take the retained state to the current gallery.
 *
 * Versions: a new version is max(latest retained + 1, now in Unix seconds). Time-based versions
 * keep increasing even if a broker loses its retained messages, so devices never see the next
 * publication as a rollback.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey, randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { FaceGateError, errorMessage } from '../errors.ts';
import type { EnrollmentKey } from './enrollment-cipher.ts';
import {
  buildDeltas, buildSnapshot, encodeAll, openEnvelope, readDeltaBody, sha256Hex,
  type DeltaHeader, type EncodedRecord, type ManifestHeader,
} from './enrollment-messages.ts';
import { enrollmentTopics, parseEnrollmentTopic, TOPIC_ROOT } from './topics.ts';
import { scanRecords, type TemplateEncoding, type TemplateRecord } from './template-codec.ts';

export interface RetainedState {
  manifest?: ManifestHeader;
  deltas: DeltaHeader[];
  /** Snapshot versions that have retained chunks (from each version's chunk 0): chunk counts. */
  chunkVersions: Map<number, number>;
  /** Highest version seen anywhere. */
  latestVersion: number;
  /** Retained messages that failed verification (foreign or forged), by topic. */
  invalid: { topic: string; error: string }[];
  /** With `full`: the records the devices hold at `headVersion` (identity -> encoded bytes). */
  records?: Map<string, Buffer>;
  headVersion: number;
}

function collect(client: MqttClient, filter: (topic: string) => boolean): { messages: Map<string, Buffer>; stop: () => void } {
  const messages = new Map<string, Buffer>();
  const on = (topic: string, payload: Buffer) => {
    if (filter(topic)) messages.set(topic, payload);
  };
  client.on('message', on);
  return { messages, stop: () => client.off('message', on) };
}

/** Subscribes, then waits for a marker published after it: retained messages arrive before it. */
async function subscribeAndSettle(client: MqttClient, site: string, filters: string[], timeoutMs: number): Promise<void> {
  const marker = `${TOPIC_ROOT}/${site}/_publisher/${randomBytes(6).toString('hex')}`;
  const seen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { client.off('message', on); reject(new FaceGateError('FG_MQTT', `broker did not deliver retained enrolment state within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (topic: string) => {
      if (topic === marker) {
        clearTimeout(timer);
        client.off('message', on);
        resolve();
      }
    };
    client.on('message', on);
  });
  seen.catch(() => undefined); // awaited below; avoids an unhandled rejection while subscribing
  await client.subscribeAsync([...filters, marker], { qos: 1 });
  await client.publishAsync(marker, 'marker', { qos: 1 });
  await seen;
  // Some brokers (aedes) send retained messages asynchronously: let the tail arrive.
  await new Promise((r) => setTimeout(r, 100));
  await client.unsubscribeAsync(marker).catch(() => undefined);
}

/** Reads the site's retained enrolment state, verified with `publicKey`. */
export async function readRetainedState(client: MqttClient, site: string, publicKey: KeyObject, opts: { full?: boolean; timeoutMs?: number; fleetKeys?: readonly EnrollmentKey[] } = {}): Promise<RetainedState> {
  const t = enrollmentTopics(site);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const chunk0 = `${t.base}/snapshot/+/chunk/0`;
  const c = collect(client, (topic) => topic.startsWith(t.base + '/'));
  const filters = [t.manifest, t.deltaFilter, chunk0];
  const state: RetainedState = { deltas: [], chunkVersions: new Map(), latestVersion: 0, invalid: [], headVersion: 0 };
  try {
    await subscribeAndSettle(client, site, filters, timeoutMs);
    const bodies = new Map<number, Buffer>();
    for (const [topic, payload] of c.messages) {
      if (payload.length === 0) continue;
      try {
        const { header, body } = openEnvelope(payload, [publicKey], opts.fleetKeys);
        if (header.site !== site) throw new Error(`message for site ${header.site}`);
        const kind = parseEnrollmentTopic(t, topic);
        if (header.kind === 'snapshot' && kind?.kind === 'manifest') state.manifest = header;
        else if (header.kind === 'delta' && kind?.kind === 'delta') {
          readDeltaBody(header, body);
          state.deltas.push(header);
          bodies.set(header.version, body);
        } else if (header.kind === 'chunk' && kind?.kind === 'chunk') state.chunkVersions.set(header.version, header.chunks);
        else throw new Error('message does not belong on this topic');
        state.latestVersion = Math.max(state.latestVersion, header.version);
      } catch (e) {
        state.invalid.push({ topic, error: errorMessage(e) });
      }
    }
    await client.unsubscribeAsync(filters).catch(() => undefined);
    state.deltas.sort((a, b) => a.version - b.version);
    state.headVersion = state.manifest?.version ?? 0;
    if (opts.full && state.manifest) {
      state.records = await readSnapshotRecords(client, site, state.manifest, publicKey, timeoutMs, opts.fleetKeys);
      // Follow the delta chain from the snapshot.
      for (;;) {
        const d = state.deltas.find((x) => x.prevVersion === state.headVersion);
        if (!d) break;
        const opened = readDeltaBody(d, bodies.get(d.version)!);
        for (const id of opened.removes) state.records.delete(id);
        for (const s of opened.upsertSpans) state.records.set(s.identity, Buffer.from(opened.body.subarray(s.start, s.end)));
        state.headVersion = d.version;
      }
    }
    return state;
  } finally {
    c.stop();
  }
}

async function readSnapshotRecords(client: MqttClient, site: string, m: ManifestHeader, publicKey: KeyObject, timeoutMs: number, fleetKeys?: readonly EnrollmentKey[]): Promise<Map<string, Buffer>> {
  const t = enrollmentTopics(site);
  const records = new Map<string, Buffer>();
  if (m.chunks === 0) return records;
  const bodies: (Buffer | undefined)[] = new Array(m.chunks);
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { client.off('message', on); reject(new FaceGateError('FG_MQTT', `snapshot ${m.version}: only ${received}/${m.chunks} retained chunks arrived within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (topic: string, payload: Buffer) => {
      const k = parseEnrollmentTopic(t, topic);
      if (k?.kind !== 'chunk' || k.version !== m.version || bodies[k.index] || payload.length === 0) return;
      try {
        const { header, body } = openEnvelope(payload, [publicKey], fleetKeys);
        if (header.kind !== 'chunk' || header.index !== k.index || header.version !== m.version || sha256Hex(body) !== header.sha256) return;
        bodies[k.index] = body;
        if (++received === m.chunks) {
          clearTimeout(timer);
          client.off('message', on);
          resolve();
        }
      } catch {
        // A bad retained chunk: leave it missing; the timeout reports it.
      }
    };
    client.on('message', on);
    client.subscribe(t.chunkFilter(m.version), { qos: 1 });
  });
  await client.unsubscribeAsync(t.chunkFilter(m.version)).catch(() => undefined);
  for (const b of bodies) {
    for (const s of scanRecords(b!, m.encoding, m.dim)) records.set(s.identity, Buffer.from(b!.subarray(s.start, s.end)));
  }
  return records;
}

/** Publishes QoS 1 messages with at most `window` unacknowledged. */
async function publishAll(client: MqttClient, messages: { topic: string; payload: Buffer; retain: boolean }[], window = 32): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const m = messages[next++];
      await client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, messages.length) }, worker));
}

export interface PublishSource {
  modelId: string;
  dim: number;
  records: Iterable<TemplateRecord>;
}

export interface SnapshotPublished {
  version: number;
  chunks: number;
  bytes: number;
  identities: number;
  templates: number;
  encoding: TemplateEncoding;
  /** Retained topics cleared (superseded chunks and deltas). */
  cleared: number;
}

const nowVersion = (): number => Math.floor(Date.now() / 1000);

/** Publishes `source` as the site's retained snapshot and clears what it supersedes. */
export async function publishSnapshot(client: MqttClient, opts: {
  site: string; privateKey: KeyObject; source: PublishSource; encoding?: TemplateEncoding; version?: number; timeoutMs?: number;
  /** Fleet enrolment keys: the first seals; all read the retained state (during a rotation). */
  fleetKeys?: readonly EnrollmentKey[];
}): Promise<SnapshotPublished> {
  const publicKey = createPublicKey(opts.privateKey);
  const t = enrollmentTopics(opts.site);
  const state = await readRetainedState(client, opts.site, publicKey, { timeoutMs: opts.timeoutMs, fleetKeys: opts.fleetKeys });
  const version = Math.max(state.latestVersion + 1, opts.version ?? nowVersion());
  if (opts.version !== undefined && opts.version <= state.latestVersion) {
    throw new FaceGateError('FG_INPUT_INVALID', `version ${opts.version} is not newer than the retained version ${state.latestVersion}; devices would reject it`);
  }
  const encoding = opts.encoding ?? 'f16';
  const records = encodeAll(opts.source.records, encoding, opts.source.dim);
  const snap = buildSnapshot({ site: opts.site, version, modelId: opts.source.modelId, dim: opts.source.dim, encoding, records, privateKey: opts.privateKey, publicKey, fleetKey: opts.fleetKeys?.[0] });
  await publishAll(client, snap.chunks.map((payload, i) => ({ topic: t.chunk(version, i), payload, retain: true })));
  await client.publishAsync(t.manifest, snap.manifest, { qos: 1, retain: true });
  // Superseded: every other snapshot's chunks and all deltas (the snapshot includes them).
  const clear: string[] = [];
  const old = new Map(state.chunkVersions);
  if (state.manifest) old.set(state.manifest.version, state.manifest.chunks);
  for (const [v, n] of old) if (v !== version) for (let i = 0; i < n; i++) clear.push(t.chunk(v, i));
  for (const d of state.deltas) clear.push(t.delta(d.version));
  for (const inv of state.invalid) if (parseEnrollmentTopic(t, inv.topic)?.kind === 'delta') clear.push(inv.topic);
  await publishAll(client, clear.map((topic) => ({ topic, payload: Buffer.alloc(0), retain: true })));
  return { version, chunks: snap.chunks.length, bytes: snap.header.bytes, identities: snap.header.identities, templates: snap.header.templates, encoding, cleared: clear.length };
}

export interface DeltaPublished {
  /** Versions published (empty when nothing changed). */
  versions: number[];
  fromVersion: number;
  upserts: number;
  removes: number;
  unchanged: boolean;
}

/** The change from `retained` (identity -> bytes) to `current`. */
export function diffRecords(retained: Map<string, Buffer>, current: EncodedRecord[]): { upserts: EncodedRecord[]; removes: string[] } {
  const upserts: EncodedRecord[] = [];
  const seen = new Set<string>();
  for (const r of current) {
    seen.add(r.identity);
    const old = retained.get(r.identity);
    if (!old || !old.equals(r.bytes)) upserts.push(r);
  }
  const removes = [...retained.keys()].filter((id) => !seen.has(id)).sort();
  return { upserts, removes };
}

/**
 * Publishes the deltas that take the retained state (snapshot + deltas) to `source`. Needs a
 * retained snapshot of the same model; the encoding follows the snapshot's.
 */
export async function publishDelta(client: MqttClient, opts: {
  site: string; privateKey: KeyObject; source: PublishSource; timeoutMs?: number; fleetKeys?: readonly EnrollmentKey[];
}): Promise<DeltaPublished> {
  const publicKey = createPublicKey(opts.privateKey);
  const t = enrollmentTopics(opts.site);
  const state = await readRetainedState(client, opts.site, publicKey, { full: true, timeoutMs: opts.timeoutMs, fleetKeys: opts.fleetKeys });
  const m = state.manifest;
  if (!m || !state.records) throw new FaceGateError('FG_INPUT_INVALID', `no signed snapshot is retained for site ${opts.site}; publish a snapshot first`);
  if (m.modelId !== opts.source.modelId || m.dim !== opts.source.dim) {
    throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `the retained snapshot holds ${m.modelId}/${m.dim} templates, the gallery ${opts.source.modelId}/${opts.source.dim}; publish a snapshot`);
  }
  const current = encodeAll(opts.source.records, m.encoding, m.dim);
  const change = diffRecords(state.records, current);
  if (change.upserts.length === 0 && change.removes.length === 0) {
    return { versions: [], fromVersion: state.headVersion, upserts: 0, removes: 0, unchanged: true };
  }
  const deltas = buildDeltas({
    site: opts.site, prevVersion: state.headVersion, firstVersion: Math.max(state.latestVersion + 1, nowVersion()),
    modelId: m.modelId, dim: m.dim, encoding: m.encoding, change, privateKey: opts.privateKey, publicKey, fleetKey: opts.fleetKeys?.[0],
  });
  // In order: a device that sees them live applies each as it arrives.
  for (const d of deltas) await client.publishAsync(t.delta(d.version), d.message, { qos: 1, retain: true });
  return { versions: deltas.map((d) => d.version), fromVersion: state.headVersion, upserts: change.upserts.length, removes: change.removes.length, unchanged: false };
}

/** Calls `handler` for each device snapshot request on the site (the enrolment service answers with a snapshot). */
export async function onSnapshotRequest(client: MqttClient, site: string, handler: (req: Record<string, unknown>) => void): Promise<() => Promise<void>> {
  const topic = enrollmentTopics(site).request;
  const on = (tp: string, payload: Buffer) => {
    if (tp !== topic) return;
    try {
      const v = JSON.parse(payload.toString('utf8')) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) handler(v as Record<string, unknown>);
    } catch {
      // Not JSON: ignore; requests carry no authority anyway.
    }
  };
  client.on('message', on);
  await client.subscribeAsync(topic, { qos: 1 });
  return async () => {
    client.off('message', on);
    await client.unsubscribeAsync(topic).catch(() => undefined);
  };
}
