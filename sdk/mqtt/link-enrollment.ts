/**
 * Signed enrolment sync on a device link: the EnrollmentSync wired to the link's client (its
 * subscriptions), its events and status, the snapshot request it publishes, and the route and
 * `snapshot-request` command the link dispatches to it.
 */
import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from '../logger.ts';
import { ulid } from './decision-message.ts';
import { EnrollmentSync, type SnapshotRequest, type SyncLimits } from './enrollment-sync.ts';
import type { EnrollmentKey } from './enrollment-cipher.ts';
import type { EnrollmentTarget, SyncStateStore } from './enrollment-target.ts';
import { MAX_MESSAGE_BYTES } from './enrollment-messages.ts';
import type { CommandHandler } from './commands.ts';
import type { DeviceEventFields } from './device-events.ts';
import type { InboundRoute } from './inbound-router.ts';

export interface LinkEnrollmentOptions {
  target: EnrollmentTarget;
  publicKeys: readonly KeyObject[];
  /** Fleet enrolment keys: bodies are sealed under them, and clear text is refused (enrollment-cipher.ts). */
  fleetKeys?: readonly EnrollmentKey[];
  state?: SyncStateStore;
  limits?: Partial<SyncLimits>;
}

export interface LinkEnrollmentContext {
  client: MqttClient;
  site: string;
  device: string;
  logger: Logger;
  subscribe: (filter: string) => void;
  event: <K extends 'enrollment-rejected' | 'enrollment-applied' | 'snapshot-requested'>(type: K, fields: DeviceEventFields[K]) => void;
  /** A change was applied: the status (gallery version) is out of date. */
  changed: () => void;
}

export interface LinkEnrollment {
  sync: EnrollmentSync;
  route: InboundRoute;
  /** The `snapshot-request` command: asks for a snapshot and re-reads the retained manifest. */
  snapshotCommand: CommandHandler;
}

export function linkEnrollment(o: LinkEnrollmentOptions, c: LinkEnrollmentContext): LinkEnrollment {
  const requestSnapshot = (r: SnapshotRequest): void => {
    // Shaped like a command (txn) so an enrolment service can answer or log it by id.
    const body = { txn: ulid(), ...r, site: c.site, device: c.device, ts: new Date().toISOString() };
    c.logger.warn('requesting an enrolment snapshot', { ...r });
    c.client.publish(sync.topics.request, JSON.stringify(body), { qos: 1 });
    c.event('snapshot-requested', { ...r });
  };
  const sync: EnrollmentSync = new EnrollmentSync({
    site: c.site,
    target: o.target,
    publicKeys: o.publicKeys,
    fleetKeys: o.fleetKeys,
    state: o.state,
    limits: o.limits,
    hooks: {
      subscribe: (f) => c.subscribe(f),
      unsubscribe: (f) => { c.client.unsubscribe(f); },
      rejected: (e) => {
        c.logger.warn('enrolment message rejected', { ...e });
        c.event('enrollment-rejected', { ...e });
      },
      applied: (e) => {
        c.logger.info('enrolment applied', { ...e });
        c.event('enrollment-applied', { ...e });
        c.changed();
      },
      requestSnapshot,
    },
  });
  return {
    sync,
    route: { matches: (t) => sync.matches(t), maxBytes: MAX_MESSAGE_BYTES, handle: (t, p, retained) => sync.handle(t, p, retained) },
    snapshotCommand: () => {
      sync.requestSnapshot('command', undefined, true);
      // Re-subscribing makes the broker re-send the retained manifest.
      c.client.unsubscribe(sync.topics.manifest, () => c.subscribe(sync.topics.manifest));
      return { version: o.target.version() };
    },
  };
}
