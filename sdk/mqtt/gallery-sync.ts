/**
 * The two ends of enrolment sync over a gallery directory, as used by the CLI:
 * `publishGallery` (enrolment service: gallery -> signed snapshot or deltas) and `syncGallery`
 * (device: retained snapshot + deltas -> gallery, once or following).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes, type KeyObject } from 'node:crypto';
import { FaceGateError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { GALLERY_DB } from '../gallery/index.ts';
import { connectBroker, type BrokerOptions } from './connect.ts';
import { DeviceLink } from './device-link.ts';
import { fileSyncState } from './enrollment-target.ts';
import { GalleryEnrollmentTarget } from './gallery-target.ts';
import { publishDelta, publishSnapshot, type DeltaPublished, type SnapshotPublished } from './enrollment-publisher.ts';
import type { TemplateEncoding } from './template-codec.ts';
import type { SyncAppliedEvent, SyncRejectedEvent } from './enrollment-sync.ts';
import { toTopicSegment } from './topics.ts';
import type { SiteKey } from '../security/site-key.ts';
import type { EnrollmentKey } from './enrollment-cipher.ts';

export const SYNC_STATE_FILE = 'enrollment-sync.json';

export async function publishGallery(o: {
  broker: BrokerOptions; site: string; galleryDir: string; privateKey: KeyObject;
  delta?: boolean; encoding?: TemplateEncoding; version?: number; timeoutMs?: number;
  /** Fleet enrolment keys: bodies sealed under the first (enrollment-cipher.ts). */
  fleetKeys?: readonly EnrollmentKey[];
  /** Site key of an encrypted gallery. */
  galleryKey?: SiteKey | null;
}): Promise<({ kind: 'snapshot' } & SnapshotPublished) | ({ kind: 'delta' } & DeltaPublished)> {
  if (!existsSync(join(o.galleryDir, GALLERY_DB))) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery in ${o.galleryDir} (expected ${GALLERY_DB})`);
  const target = await GalleryEnrollmentTarget.open(o.galleryDir, { gallery: { loadIndex: false, worker: false, key: o.galleryKey } });
  const model = target.model()!;
  const records = target.exportRecords();
  await target.close();
  const client = await connectBroker({ ...o.broker, clientId: o.broker.clientId ?? `facegate-publish-${randomBytes(4).toString('hex')}` }, { clean: true, reconnectPeriod: 0 }, o.timeoutMs ?? 15_000);
  try {
    const source = { modelId: model.modelId, dim: model.dim, records };
    if (o.delta) return { kind: 'delta', ...(await publishDelta(client, { site: o.site, privateKey: o.privateKey, source, timeoutMs: o.timeoutMs, fleetKeys: o.fleetKeys })) };
    return { kind: 'snapshot', ...(await publishSnapshot(client, { site: o.site, privateKey: o.privateKey, source, encoding: o.encoding, version: o.version, timeoutMs: o.timeoutMs, fleetKeys: o.fleetKeys })) };
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

export interface SyncResult {
  version: number;
  identities: number;
  rejected: number;
  snapshotVersion: number;
  modelId: string | null;
  /** A snapshot was announced but not all its chunks arrived. */
  incomplete: boolean;
  /** Deltas waiting for a missing predecessor (a snapshot was requested). */
  waitingDeltas: number;
  rejections: SyncRejectedEvent[];
}

export async function syncGallery(o: {
  broker: BrokerOptions; site: string; galleryDir: string; publicKeys: readonly KeyObject[];
  device?: string; modelId?: string; dim?: number; once: boolean; timeoutMs?: number; logger?: Logger;
  signal?: AbortSignal; onApplied?: (e: SyncAppliedEvent) => void; onRejected?: (e: SyncRejectedEvent) => void;
  fleetKeys?: readonly EnrollmentKey[];
  /** Site key of an encrypted gallery (also used to create one). */
  galleryKey?: SiteKey | null;
}): Promise<SyncResult> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const target = await GalleryEnrollmentTarget.open(o.galleryDir, { modelId: o.modelId, dim: o.dim, gallery: { loadIndex: false, worker: false, logger: o.logger, key: o.galleryKey } });
  const device = o.device ?? toTopicSegment(`sync-${hostname()}`);
  const rejections: SyncRejectedEvent[] = [];
  let link: DeviceLink | undefined;
  try {
    link = await DeviceLink.start({
      broker: { ...o.broker, clientId: o.broker.clientId ?? `facegate-sync-${device}-${randomBytes(4).toString('hex')}` },
      site: o.site, device, logger: o.logger ?? silentLogger, announce: false,
      enrollment: { target, publicKeys: o.publicKeys, fleetKeys: o.fleetKeys, state: fileSyncState(join(o.galleryDir, SYNC_STATE_FILE)) },
      waitConnectedMs: Math.min(timeoutMs, 15_000),
    });
    const sync = link.enrollment!;
    link.on('event', (e) => {
      if (e.type === 'enrollment-rejected') {
        rejections.push({ reason: e.reason, message: e.message, topic: e.topic, version: e.version });
        o.onRejected?.(e);
      } else if (e.type === 'enrollment-applied') o.onApplied?.(e);
    });
    const end = Date.now() + timeoutMs;
    // The marker queues behind the retained snapshot, which is applied in-band: allow the whole budget.
    await link.roundTrip(timeoutMs);
    // Chunks are subscribed to once the manifest is verified; wait for them (or the timeout).
    for (;;) {
      await sync.idle();
      if (!sync.pending() || Date.now() > end || o.signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await sync.idle();
    if (!o.once) {
      await new Promise<void>((resolve) => {
        if (o.signal?.aborted) resolve();
        o.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      await sync.idle();
    }
    const m = target.model();
    return {
      version: target.version(), identities: target.identityCount(), rejected: sync.rejectedCount,
      snapshotVersion: sync.snapshotVersion, modelId: m?.modelId ?? null, incomplete: sync.pending() !== undefined,
      waitingDeltas: sync.bufferedDeltas(), rejections,
    };
  } finally {
    await link?.close({ announceOffline: false });
    await target.close();
  }
}
