/**
 * A device process for tests that kill it: a DeviceLink with the durable queue and (optionally)
 * enrolment sync into a real gallery, driven over the IPC channel of child_process.fork.
 *
 * Config comes as JSON in FG_CHILD_CONFIG. Messages in: {cmd:'decide', n, prefix?} |
 * {cmd:'publish', decisions} (given decisions, in order) | {cmd:'event', type, fields} |
 * {cmd:'stats'} | {cmd:'close'}. Messages out: {ready} | {decided:id} | {stats:{...}} |
 * {event:{...}} | {command:{name, txn, args}} | {closed}.
 */
import { createHash } from 'node:crypto';
import { DeviceLink } from '../../sdk/mqtt/device-link.ts';
import { loadPublicKeys } from '../../sdk/mqtt/enrollment-keys.ts';
import { fileSyncState } from '../../sdk/mqtt/enrollment-target.ts';
import type { SyncLimits } from '../../sdk/mqtt/enrollment-sync.ts';
import type { DecisionInput } from '../../sdk/mqtt/decision-message.ts';
import type { DeviceEventFields, DeviceEventType } from '../../sdk/mqtt/device-events.ts';
import type { HaDeviceInfo } from '../../sdk/mqtt/ha-discovery.ts';
import type { StatusInfo } from '../../sdk/mqtt/status-message.ts';
import type { CommandHandler } from '../../sdk/mqtt/commands.ts';

export interface ChildConfig {
  url: string;
  site: string;
  device: string;
  queuePath?: string;
  galleryDir?: string;
  pubkeyPath?: string;
  modelId?: string;
  dim?: number;
  reconnectPeriodMs?: number;
  homeAssistant?: boolean | HaDeviceInfo;
  /** Fixed extra status fields (the daemon's live figures, say). */
  statusInfo?: StatusInfo;
  statusIntervalMs?: number;
  /** Command names the child answers with {handled: name, args}, reporting each to the parent. */
  commands?: string[];
  limits?: Partial<SyncLimits>;
}

type Msg = { cmd: 'decide'; n: number } | { cmd: 'publish'; decisions: DecisionInput[] } | { cmd: 'event'; type: DeviceEventType; fields: DeviceEventFields[DeviceEventType] } | { cmd: 'stats' } | { cmd: 'close' };

const cfg = JSON.parse(process.env.FG_CHILD_CONFIG ?? '{}') as ChildConfig;
const send = (m: unknown) => process.send?.(m);

// Imported only when needed: the gallery pulls in the native index library.
const target = cfg.galleryDir
  ? await (await import('../../sdk/mqtt/gallery-target.ts')).GalleryEnrollmentTarget.open(cfg.galleryDir, { modelId: cfg.modelId, dim: cfg.dim, gallery: { loadIndex: false, worker: false } })
  : undefined;
const link = await DeviceLink.start({
  broker: { url: cfg.url, reconnectPeriodMs: cfg.reconnectPeriodMs ?? 200, reconnectMaxMs: cfg.reconnectPeriodMs ?? 200 },
  site: cfg.site,
  device: cfg.device,
  waitConnectedMs: false,
  ...(cfg.queuePath ? { decisions: { queuePath: cfg.queuePath } } : {}),
  ...(target && cfg.pubkeyPath ? {
    enrollment: { target, publicKeys: await loadPublicKeys(cfg.pubkeyPath), state: fileSyncState(`${cfg.galleryDir}/enrollment-sync.json`), limits: cfg.limits },
  } : {}),
  homeAssistant: cfg.homeAssistant ? (cfg.homeAssistant === true ? {} : cfg.homeAssistant) : false,
  events: { perSecond: 1000, burst: 2000 },
  ...(cfg.statusInfo ? { statusInfo: () => cfg.statusInfo! } : {}),
  statusIntervalMs: cfg.statusIntervalMs,
  commands: Object.fromEntries((cfg.commands ?? []).map((name): [string, CommandHandler] => [name, (args, { txn }) => {
    send({ command: { name, txn, args } });
    return { handled: name, args };
  }])),
});
link.on('event', (e) => send({ event: e }));

/** Digest of the gallery content (identities, attributes, template count), to prove it unchanged. */
function galleryDigest(): string {
  const h = createHash('sha256');
  for (const r of target?.exportRecords() ?? []) {
    h.update(JSON.stringify([r.identity, r.attributes]));
    for (const t of r.templates) h.update(Buffer.from(t.buffer, t.byteOffset, t.byteLength));
  }
  return h.digest('hex');
}

process.on('message', async (m: Msg) => {
  if (m.cmd === 'decide') {
    for (let i = 0; i < m.n; i++) {
      const d = link.publishDecision({ decision: 'grant', identity: `p${i % 7}`, distance: 0.6, threshold: 0.95, model: 'mobilefacenet-192' });
      send({ decided: d.id });
    }
  } else if (m.cmd === 'publish') {
    for (const d of m.decisions) send({ decided: link.publishDecision(d).id });
  } else if (m.cmd === 'event') {
    link.publishEvent(m.type, m.fields);
  } else if (m.cmd === 'stats') {
    await link.enrollment?.idle();
    send({ stats: {
      pid: process.pid, queued: link.queued, acked: link.ackedCount, connected: link.connected,
      version: target?.version() ?? 0, identities: target?.identityCount() ?? 0,
      rejected: link.enrollment?.rejectedCount ?? 0, digest: galleryDigest(),
      snapshotVersion: link.enrollment?.snapshotVersion ?? 0, pending: link.enrollment?.pending() ?? null,
      bufferedDeltas: link.enrollment?.bufferedDeltas() ?? 0,
    } });
  } else if (m.cmd === 'close') {
    await link.close();
    await target?.close();
    send({ closed: true });
    process.disconnect?.();
  }
});
send({ ready: true, pid: process.pid });
