/**
 * How the device shows itself: the retained status (`online` with what it runs, the `offline` Last
 * Will, `offline` on a clean stop), the camera state, and Home Assistant discovery (re-published
 * when HA announces itself on `homeassistant/status`).
 */
import type { MqttClient } from 'mqtt';
import { haDiscoveryMessages, haDiscoveryRemovals, type HaDeviceInfo } from './ha-discovery.ts';
import { haStatusTopic, HA_PREFIX, type DeviceTopics } from './topics.ts';
import { statusMessage, type CameraState, type StatusInfo, type StatusMessage } from './status-message.ts';
import type { DeviceEventFields } from './device-events.ts';

/** Home Assistant options of a link; `false` or absent: no discovery. */
export interface HomeAssistantOptions extends HaDeviceInfo {
  prefix?: string;
}

export interface PresenceContext {
  client: MqttClient;
  topics: DeviceTopics;
  site: string;
  device: string;
  brokerUrl: string;
  /** Retained status + Last Will; off for the sync CLI, which must not clobber the daemon's. */
  announce: boolean;
  homeAssistant: HomeAssistantOptions | undefined;
  /** Re-publish the status this often (live figures for dashboards); absent: only on changes. */
  statusIntervalMs?: number;
  /** Status fields from the parts of the link (gallery, queue, camera), read at each publication. */
  info: () => StatusInfo;
  event: <K extends 'camera-lost' | 'camera-restored' | 'message-rejected'>(type: K, fields: DeviceEventFields[K]) => void;
}

/** The Last Will the broker publishes (retained) when the device vanishes. */
export function lastWill(topics: DeviceTopics, ctx: { site: string; device: string; brokerUrl: string }) {
  const msg = statusMessage('offline', { site: ctx.site, device: ctx.device, broker: ctx.brokerUrl }, {}, 'connection lost');
  return { topic: topics.status, payload: Buffer.from(JSON.stringify(msg)), qos: 1 as const, retain: true };
}

export class DevicePresence {
  readonly haStatusTopic: string | undefined;
  #c: PresenceContext;
  #camera: CameraState = 'none';
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: PresenceContext) {
    this.#c = ctx;
    this.haStatusTopic = ctx.homeAssistant ? haStatusTopic(ctx.homeAssistant.prefix || HA_PREFIX) : undefined;
    if (ctx.statusIntervalMs && ctx.announce) {
      this.#timer = setInterval(() => { if (ctx.client.connected) this.publishStatus(); }, ctx.statusIntervalMs);
      this.#timer.unref();
    }
  }

  get camera(): CameraState {
    return this.#camera;
  }

  /** Records a camera change; a loss and a recovery are also events. */
  setCamera(state: CameraState): void {
    if (state === this.#camera) return;
    const before = this.#camera;
    this.#camera = state;
    if (state === 'lost') this.#c.event('camera-lost', { before });
    if (before === 'lost' && state === 'ok') this.#c.event('camera-restored', {});
    this.publishStatus();
  }

  status(state: 'online' | 'offline', reason?: string): StatusMessage {
    const c = this.#c;
    return statusMessage(state, { site: c.site, device: c.device, broker: c.brokerUrl }, c.info(), reason);
  }

  /** On every (re)connect: status, then discovery. */
  connected(): void {
    this.publishStatus();
    this.publishDiscovery();
  }

  publishStatus(): void {
    if (!this.#c.announce || this.#stopped) return;
    this.#c.client.publish(this.#c.topics.status, JSON.stringify(this.status('online')), { qos: 1, retain: true });
  }

  publishDiscovery(): void {
    const ha = this.#c.homeAssistant;
    if (!ha || this.#stopped) return;
    const interval = this.#c.statusIntervalMs ? { statusIntervalSec: Math.ceil(this.#c.statusIntervalMs / 1000) } : {};
    const o = { ...interval, ...ha, prefix: ha.prefix || HA_PREFIX, site: this.#c.site, device: this.#c.device, topics: this.#c.topics };
    // Removals first: a component turned off (the door button) disappears from HA.
    for (const m of [...haDiscoveryRemovals(o), ...haDiscoveryMessages(o)]) {
      this.#c.client.publish(m.topic, m.payload, { qos: 1, retain: true });
    }
  }

  /** Home Assistant's birth/will message: `online` gets discovery and status again. */
  haStatus(payload: Buffer): void {
    const s = payload.toString('utf8');
    if (s === 'online') {
      this.publishDiscovery();
      this.publishStatus();
    } else if (s !== 'offline') {
      this.#c.event('message-rejected', { topic: this.haStatusTopic ?? '', reason: 'malformed', message: 'homeassistant/status must be online or offline' });
    }
  }

  /** On a clean stop: a retained `offline` (unless told not to), then nothing more. */
  async stop(announceOffline: boolean): Promise<void> {
    clearInterval(this.#timer);
    if (announceOffline && this.#c.announce && this.#c.client.connected) {
      await this.#c.client.publishAsync(this.#c.topics.status, JSON.stringify(this.status('offline', 'stopped')), { qos: 1, retain: true }).catch(() => undefined);
    }
    this.#stopped = true;
  }
}
