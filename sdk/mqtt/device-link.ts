/**
 * A terminal's MQTT link: one mqtt.js client shared by parts with one job each, all optional so
 * the same link serves the daemon and the `sync` CLI:
 * - decision-outbox.ts: decisions through the durable queue (at-least-once, same id and bytes);
 * - device-presence.ts: retained status, the `offline` Last Will, camera state, HA discovery;
 * - event-rate-limit.ts: the events' token bucket (typed kinds in device-events.ts);
 * - command-router.ts: commands with transaction ids, from a table of handlers;
 * - link-enrollment.ts: signed enrolment sync;
 * - inbound-router.ts: incoming messages to their owner, size-bounded per topic.
 */
import { EventEmitter } from 'node:events';
import type { IPublishPacket, MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { FaceGateError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { describeConnectError, mqttOptions, waitConnected, type BrokerOptions } from './connect.ts';
import { applyReconnectBackoff } from './reconnect-backoff.ts';
import { buildDecisionMessage, type DecisionInput, type DecisionMessage } from './decision-message.ts';
import { DecisionOutbox, type DecisionOutboxOptions } from './decision-outbox.ts';
import type { DecisionHistory, LocalDecisionFields } from './decision-history.ts';
import { replayHandler, REPLAY_COMMAND } from './decision-replay.ts';
import type { EnrollmentSync } from './enrollment-sync.ts';
import { commandName, deviceTopics, type DeviceTopics } from './topics.ts';
import { redactUrl, type CameraState, type StatusInfo } from './status-message.ts';
import { MAX_COMMAND_BYTES, type CommandHandler } from './commands.ts';
import { deviceEvent, type DeviceEvent, type DeviceEventFields, type DeviceEventType } from './device-events.ts';
import { EventRateLimit, type EventRateOptions } from './event-rate-limit.ts';
import { DevicePresence, lastWill, type HomeAssistantOptions } from './device-presence.ts';
import { CommandRouter } from './command-router.ts';
import { InboundRouter, MAX_OTHER_BYTES } from './inbound-router.ts';
import { linkEnrollment, type LinkEnrollmentOptions } from './link-enrollment.ts';
import { lastDecision } from './last-decision.ts';

export type { DeviceEvent, DeviceEventFields, DeviceEventType } from './device-events.ts';

export interface DeviceLinkOptions {
  broker: BrokerOptions;
  site: string;
  device: string;
  logger?: Logger;
  /** Durable decision queue; without it publishDecision throws. */
  decisions?: DecisionOutboxOptions;
  /** Retained status + Last Will (default true). The sync CLI turns it off not to clobber the daemon's. */
  announce?: boolean;
  /** Extra fields for the status message, read whenever it is published. */
  statusInfo?: () => StatusInfo;
  /** Re-publish the status this often (its live figures: fps, latency); absent: only on changes. */
  statusIntervalMs?: number;
  homeAssistant?: false | HomeAssistantOptions;
  enrollment?: LinkEnrollmentOptions;
  commands?: Record<string, CommandHandler>;
  /** Event rate limit (token bucket); events over it are counted and reported in one summary. */
  events?: EventRateOptions;
  /** Wait for the first connection (and fail with FG_MQTT on bad credentials/TLS). Default true. */
  waitConnectedMs?: number | false;
}

interface LinkEvents {
  connect: [];
  offline: [];
  event: [DeviceEvent];
  acked: [string];
  error: [Error];
}

export class DeviceLink extends EventEmitter<LinkEvents> {
  readonly topics: DeviceTopics;
  readonly site: string;
  readonly device: string;
  readonly client: MqttClient;
  readonly enrollment: EnrollmentSync | undefined;
  #o: DeviceLinkOptions;
  #log: Logger;
  #outbox: DecisionOutbox | undefined;
  #presence: DevicePresence;
  #rate: EventRateLimit;
  #commands: CommandRouter;
  #inbound: InboundRouter;
  #closing = false;
  #lastConnectError = '';
  /** A connection is up (set on CONNACK, cleared on close). */
  #online = false;
  #everConnected = false;
  /** Why the live connection dropped (socket error before 'close'); told once by the offline line. */
  #dropReason: string | undefined;

  private constructor(o: DeviceLinkOptions, client: MqttClient, outbox: DecisionOutbox | undefined) {
    super();
    this.#outbox = outbox;
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.site = o.site;
    this.device = o.device;
    this.topics = deviceTopics(o.site, o.device);
    this.client = client;
    this.#rate = new EventRateLimit(o.events);
    this.#presence = new DevicePresence({
      client, topics: this.topics, site: o.site, device: o.device, brokerUrl: o.broker.url,
      announce: o.announce ?? true, homeAssistant: o.homeAssistant || undefined, statusIntervalMs: o.statusIntervalMs,
      info: () => this.#statusInfo(),
      event: (type, fields) => this.publishEvent(type, fields),
    });
    this.#commands = new CommandRouter({
      handlers: o.commands,
      reply: (name, result) => {
        if (!this.#closing) this.client.publish(this.topics.commandResult(name), JSON.stringify(result), { qos: 1 });
      },
      rejected: (fields) => this.publishEvent('command-rejected', fields),
    });
    this.#commands.register('status', () => this.#presence.status('online'));
    if (outbox) this.#commands.register(REPLAY_COMMAND, replayHandler(outbox.history, (p) => { if (!this.#closing) this.client.publish(this.topics.decision, p, { qos: 1 }); }));
    this.#inbound = new InboundRouter((fields) => {
      this.#log.warn('message rejected: too large', { topic: fields.topic, bytes: fields.bytes, limit: fields.limit });
      this.publishEvent('message-rejected', fields);
    });
    const enrollment = o.enrollment ? linkEnrollment(o.enrollment, {
      client, site: o.site, device: o.device, logger: this.#log,
      subscribe: (f) => this.#subscribe(f),
      event: (type, fields) => this.publishEvent(type, fields),
      changed: () => this.publishStatus(),
    }) : undefined;
    this.enrollment = enrollment?.sync;
    if (enrollment) {
      this.#inbound.add(enrollment.route);
      this.#commands.register('snapshot-request', enrollment.snapshotCommand);
    }
    this.#inbound.add({
      matches: (t) => commandName(this.topics, t) !== undefined,
      maxBytes: MAX_COMMAND_BYTES,
      handle: (t, payload) => this.#commands.enqueue(commandName(this.topics, t)!, payload),
    });
    const haStatus = this.#presence.haStatusTopic;
    if (haStatus) this.#inbound.add({ matches: (t) => t === haStatus, maxBytes: MAX_OTHER_BYTES, handle: (_t, payload) => this.#presence.haStatus(payload) });
  }

  /** Opens the queue, connects (see `waitConnectedMs`) and starts everything configured. */
  static async start(o: DeviceLinkOptions): Promise<DeviceLink> {
    const topics = deviceTopics(o.site, o.device);
    const will = (o.announce ?? true) ? lastWill(topics, { site: o.site, device: o.device, brokerUrl: o.broker.url }) : undefined;
    const clientId = o.broker.clientId ?? `facegate-${o.site}-${o.device}`;
    // Clean session: state that matters is retained (enrolment, status) or in our own queue
    // (decisions); a persistent session would also replay stale commands after an outage.
    const client = mqtt.connect(o.broker.url, mqttOptions({ ...o.broker, clientId }, { clean: true, will, reconnectOnConnackError: true, queueQoSZero: false }));
    let outbox: DecisionOutbox | undefined;
    try {
      // Acks arrive only after a connection, long after `link` below exists.
      outbox = o.decisions ? new DecisionOutbox({ ...o.decisions, client, topic: topics.decision, logger: o.logger ?? silentLogger, onAcked: (id) => link.emit('acked', id) }) : undefined;
    } catch (e) {
      client.end(true);
      throw e;
    }
    const link = new DeviceLink(o, client, outbox);
    link.#wire();
    applyReconnectBackoff(client, { baseMs: o.broker.reconnectPeriodMs, maxMs: o.broker.reconnectMaxMs });
    const wait = o.waitConnectedMs ?? 15_000;
    // Listen before anything else awaits, so a first CONNACK refusal is not missed.
    const connected = wait === false ? undefined : waitConnected(client, o.broker.url, wait);
    connected?.catch(() => undefined);
    try {
      // Subscriptions are queued by mqtt.js until connected; starting here orders them before
      // anything the caller does next (e.g. a roundTrip that expects the retained state first).
      await link.enrollment?.start();
      await connected;
    } catch (e) {
      await link.close({ announceOffline: false });
      throw e;
    }
    return link;
  }

  #wire(): void {
    const c = this.client;
    c.handleMessage = (packet: IPublishPacket, done) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.#inbound.route(packet.topic, payload, packet.retain === true).then(() => done(), (e) => {
        this.#log.error('message handling failed', { topic: packet.topic, error: errorMessage(e) });
        done();
      });
    };
    c.on('connect', () => {
      const recovered = this.#everConnected || this.#lastConnectError !== '';
      this.#lastConnectError = '';
      this.#online = true;
      this.#everConnected = true;
      this.#log.info(recovered ? 'mqtt reconnected' : 'mqtt connected', { broker: redactUrl(this.#o.broker.url) });
      this.#presence.connected();
      this.#outbox?.connected();
      this.emit('connect');
    });
    c.on('close', () => {
      this.#online = false;
      if (!this.#closing) this.#outbox?.connectionLost();
    });
    c.on('offline', () => {
      this.#log.warn('mqtt offline; decisions stay queued', { queued: this.queued, ...(this.#dropReason ? { reason: this.#dropReason } : {}) });
      this.#dropReason = undefined;
      this.emit('offline');
    });
    c.on('error', (e) => {
      // A live connection dropping (ECONNRESET when the broker dies) is the offline transition,
      // told by the 'offline' line; it is not a failure to connect.
      if (this.#online) {
        this.#dropReason = errorMessage(e);
        return;
      }
      const msg = describeConnectError(e, this.#o.broker.url);
      // Once per state change (connected -> this failure -> another failure -> connected), not
      // once per reconnect attempt: a wrong password retries for hours.
      if (msg === this.#lastConnectError) return;
      this.#lastConnectError = msg;
      this.#log.error(msg, { retry: 'with backoff', maxDelayMs: this.#o.broker.reconnectMaxMs ?? 60_000 });
      if (this.listenerCount('error') > 0) this.emit('error', new FaceGateError('FG_MQTT', msg, { cause: e }));
    });
    this.#subscribe(this.topics.commandFilter);
    if (this.#presence.haStatusTopic) this.#subscribe(this.#presence.haStatusTopic);
  }

  #subscribe(filter: string): void {
    this.client.subscribe(filter, { qos: 1 }, (err) => {
      if (!err) return;
      // Cut by a lost connection: mqtt.js registered it for resubscription on reconnect.
      if (!this.client.connected) this.#log.debug?.('subscribe interrupted by the lost connection; redone on reconnect', { filter });
      else this.#log.error('subscribe failed', { filter, error: errorMessage(err) });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Decisions written but not yet acknowledged by the broker. */
  get queued(): number {
    return this.#outbox?.queued ?? 0;
  }

  get ackedCount(): number {
    return this.#outbox?.ackedCount ?? 0;
  }

  /** Decisions sent again because the connection dropped right after their PUBACK. */
  get redeliveredCount(): number {
    return this.#outbox?.redeliveredCount ?? 0;
  }

  /**
   * Writes the decision to the durable queue (on disk when this returns) and schedules its
   * publication. Returns the message with its id.
   */
  publishDecision(input: DecisionInput, local?: LocalDecisionFields): DecisionMessage {
    if (!this.#outbox) throw new FaceGateError('FG_CONFIG_INVALID', 'this link has no decision queue (decisions.queuePath)');
    if (this.#closing) throw new FaceGateError('FG_MQTT', 'link is closing');
    const msg = buildDecisionMessage(input, { site: this.site, device: this.device, includeImage: this.#o.decisions?.includeImage ?? false });
    this.#outbox.push(msg, local);
    // Home Assistant's sensors read the retained summary, so they keep a state across HA restarts.
    if (this.#o.homeAssistant) this.client.publish(this.topics.lastDecision, JSON.stringify(lastDecision(msg)), { qos: 1, retain: true });
    return msg;
  }

  /** The decisions this device published, numbered and kept for replay and its own log (absent without a queue). */
  get decisionHistory(): DecisionHistory | undefined {
    return this.#outbox?.history;
  }

  /** Resolves true once the queue is empty (every decision acknowledged), false on timeout. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    return this.#outbox ? this.#outbox.flush(timeoutMs) : true;
  }

  setCamera(state: CameraState): void {
    this.#presence.setCamera(state);
  }

  #statusInfo(): StatusInfo {
    const t = this.#o.enrollment?.target;
    const m = t?.model();
    return {
      ...(t ? { galleryVersion: t.version(), identities: t.identityCount() } : {}),
      ...(m ? { modelId: m.modelId } : {}),
      camera: this.#presence.camera,
      ...(this.#outbox ? { queued: this.queued } : {}),
      ...this.#o.statusInfo?.(),
    };
  }

  publishStatus(): void {
    if (this.#closing) return;
    this.#presence.publishStatus();
  }

  publishDiscovery(): void {
    this.#presence.publishDiscovery();
  }

  /** Publishes an event (QoS 1, not retained), rate limited. Also emitted locally as 'event'. */
  publishEvent<K extends DeviceEventType>(type: K, fields: DeviceEventFields[K]): void {
    const ev = deviceEvent(type, fields, { ts: new Date().toISOString(), site: this.site, device: this.device });
    this.emit('event', ev);
    if (this.#closing) return;
    const { ok, suppressed } = this.#rate.admit();
    if (!ok) return;
    if (suppressed > 0) {
      this.client.publish(this.topics.event, JSON.stringify(deviceEvent('events-suppressed', { count: suppressed }, ev)), { qos: 1 });
    }
    this.client.publish(this.topics.event, JSON.stringify(ev), { qos: 1 });
  }

  /**
   * Round trip through the broker: subscribes to a private topic and publishes to it. Brokers
   * deliver one client's messages in order, so when this resolves every retained message of the
   * subscriptions made before it has been received and handled.
   */
  async roundTrip(timeoutMs = 10_000): Promise<void> {
    const topic = `${this.topics.event.replace(/\/event$/, '')}/_marker/${Math.random().toString(36).slice(2)}`;
    let cancel = (): void => undefined;
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { cancel(); reject(new FaceGateError('FG_MQTT', `no round trip through the broker within ${timeoutMs} ms`)); }, timeoutMs);
      cancel = this.#inbound.marker(topic, () => { clearTimeout(timer); resolve(); });
    });
    seen.catch(() => undefined); // handled below; avoids an unhandled rejection while subscribing
    await this.client.subscribeAsync(topic, { qos: 1 });
    await this.client.publishAsync(topic, 'marker', { qos: 1 });
    await seen;
    await this.client.unsubscribeAsync(topic).catch(() => undefined);
  }

  /** Publishes `offline` (unless told not to), stops, closes the queue. Unacked decisions stay queued. */
  async close(opts: { announceOffline?: boolean } = {}): Promise<void> {
    if (this.#closing) return;
    this.enrollment?.stop();
    await this.#presence.stop(opts.announceOffline ?? true);
    this.#closing = true;
    this.#outbox?.stop();
    await this.enrollment?.idle();
    await this.client.endAsync(!this.client.connected).catch(() => undefined);
    this.#outbox?.close();
    this.#outbox = undefined;
  }
}
