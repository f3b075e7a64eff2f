/**
 * Events on `.../event` (QoS 1, never retained): one typed payload per kind. The map is the one
 * list of kinds; Home Assistant's event entity takes its `event_types` from it (ha-discovery.ts).
 * Kind names are part of the protocol (docs/mqtt.md): the link's own use hyphens, the frame loop's
 * underscores, and both stay as published.
 */
import type { SnapshotRequest, SyncAppliedEvent, SyncRejectedEvent } from './enrollment-sync.ts';
import type { CameraState } from './status-message.ts';

/** Fields of each event kind (besides `type`, `ts`, `site`, `device`). */
export interface DeviceEventFields {
  /** The camera went from `before` to lost (the status message says so too). */
  'camera-lost': { before: CameraState };
  'camera-restored': Record<string, never>;
  /** Events dropped by the rate limit since the last one that went out. */
  'events-suppressed': { count: number };
  'snapshot-requested': SnapshotRequest;
  'enrollment-rejected': SyncRejectedEvent;
  /** A signed enrolment snapshot or delta was applied: the gallery is in sync at `version`. */
  'enrollment-applied': SyncAppliedEvent;
  'message-rejected': { topic: string; reason: 'too-large' | 'malformed'; bytes?: number; limit?: number; message?: string };
  'command-rejected': { command: string; txn?: string | null; reason?: 'overload'; message: string };
  /** A remote door opening (the `open-door` command, e.g. Home Assistant's button). */
  'door-opened': { txn: string; source: 'command' };
  /** A track denied as a presentation attack (its decision is on `.../decision` with this id). */
  presentation_attack: { decision_id: string; track: number; liveness: number | null };
  /** Frame-loop events: an undecodable frame, a lost or stalled camera, a stage failure. */
  bad_frame: { detail: string };
  camera_lost: { state: string; detail?: string };
  error: { area: 'pipeline' | 'door'; message: string };
}

export type DeviceEventType = keyof DeviceEventFields;

/** What every published event carries besides its own fields. */
export interface EventEnvelope {
  ts: string;
  site: string;
  device: string;
}

/** One event as published: discriminated by `type`, so a `switch` narrows the fields. */
export type DeviceEvent = { [K in DeviceEventType]: { type: K } & DeviceEventFields[K] & EventEnvelope }[DeviceEventType];

/** Every kind, in a fixed order. `satisfies` keeps it in step with the map. */
const KINDS = {
  'camera-lost': true, 'camera-restored': true, 'events-suppressed': true, 'snapshot-requested': true,
  'enrollment-rejected': true, 'enrollment-applied': true, 'message-rejected': true, 'command-rejected': true,
  'door-opened': true, presentation_attack: true, bad_frame: true, camera_lost: true, error: true,
} as const satisfies Record<DeviceEventType, true>;

export const DEVICE_EVENT_TYPES = Object.keys(KINDS) as DeviceEventType[];

/** Builds the published form of an event. */
export function deviceEvent<K extends DeviceEventType>(type: K, fields: DeviceEventFields[K], env: EventEnvelope): DeviceEvent {
  // Envelope last: a field can never overwrite type, time or origin.
  return { ...fields, type, ts: env.ts, site: env.site, device: env.device } as DeviceEvent;
}
