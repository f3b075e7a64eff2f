/**
 * A terminal's MQTT link: decisions through the durable queue, retained status with an `offline`
 * Last Will, events, commands, Home Assistant discovery and signed enrolment sync, on one mqtt.js
 * client. Every piece is optional so the same link serves the daemon and the `sync` CLI.
 *
 * Delivery of decisions: a row is on disk before it is handed to mqtt.js (QoS 1, never retained)
 * and leaves the pending set on its PUBACK. Within one process mqtt.js keeps unacknowledged
 * packets and resends them after a reconnect; after a restart the queue is replayed; rows
 * acknowledged shortly before a connection drop are sent again (see DurableQueue). A decision may
 * therefore arrive more than once (at-least-once), always with the same id and bytes.
 */
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { IPublishPacket, MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { FaceGateError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { describeConnectError, mqttOptions, waitConnected, type BrokerOptions } from './connect.ts';
import { buildDecisionMessage, ulid, type DecisionInput, type DecisionMessage } from './decision-message.ts';
import { DurableQueue, type DurableQueueOptions } from './durable-queue.ts';
import { DecisionHistory, historyPathFor, type DecisionHistoryOptions } from './decision-history.ts';
import { replayHandler, REPLAY_COMMAND } from './decision-replay.ts';
import type { EnrollmentKey } from './enrollment-cipher.ts';
import { EnrollmentSync, type SyncLimits, type SnapshotRequest } from './enrollment-sync.ts';
import type { EnrollmentTarget, SyncStateStore } from './enrollment-target.ts';
import { haDiscoveryMessages } from './ha-discovery.ts';
import { commandName, deviceTopics, haStatusTopic, HA_PREFIX, type DeviceTopics } from './topics.ts';
import { redactUrl, statusMessage, type CameraState, type StatusInfo } from './status-message.ts';
import { parseCommand, MAX_COMMAND_BYTES, type CommandHandler, type CommandResult } from './commands.ts';
import { MAX_MESSAGE_BYTES } from './enrollment-messages.ts';

/** Bound for any other subscribed topic (Home Assistant status: "online"/"offline"). */
const MAX_OTHER_BYTES = 1024;

export interface DeviceLinkOptions {
  broker: BrokerOptions;
  site: string;
  device: string;
  logger?: Logger;
  /** Durable decision queue; without it publishDecision throws. */
  decisions?: {
    queuePath: string;
    queue?: DurableQueueOptions;
    includeImage?: boolean;
    maxInFlight?: number;
    /**
     * Decisions acknowledged this recently before the connection drops are sent again (the broker
     * may have crashed before storing or delivering them). Cover the broker's persistence interval
     * (Mosquitto `autosave_interval`). Default 30 s.
     */
    redeliverWindowMs?: number;
    /** Sequence numbers and the replay history (decision-history.ts); `path` defaults beside the queue. */
    history?: DecisionHistoryOptions & { path?: string };
  };
  /** Retained status + Last Will (default true). The sync CLI turns it off not to clobber the daemon's. */
  announce?: boolean;
  /** Extra fields for the status message, read whenever it is published. */
  statusInfo?: () => StatusInfo;
  homeAssistant?: false | { prefix?: string; deviceName?: string; model?: string; swVersion?: string };
  enrollment?: { target: EnrollmentTarget; publicKeys: readonly KeyObject[]; fleetKeys?: readonly EnrollmentKey[]; state?: SyncStateStore; limits?: Partial<SyncLimits> };
  commands?: Record<string, CommandHandler>;
  /** Event rate limit (token bucket); events over it are counted and reported in one summary. */
  events?: { perSecond?: number; burst?: number };
  /** Wait for the first connection (and fail with FG_MQTT on bad credentials/TLS). Default true. */
  waitConnectedMs?: number | false;
}

export interface DeviceEvent {
  type: string;
  [k: string]: unknown;
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
  #queue: DurableQueue | undefined;
  #inflight = new Set<string>();
  #cursor = 0;
  #maxInFlight: number;
  #pumpScheduled = false;
  #closing = false;
  #camera: CameraState = 'none';
  #tokens: number;
  #lastRefill = Date.now();
  #suppressed = 0;
  #commandChain: Promise<void> = Promise.resolve();
  #commandsWaiting = 0;
  #acked = 0;
  #lastConnectError = '';
  #haPrefix: string;
  #markers = new Map<string, () => void>();
  #redeliverWindowMs: number;
  #lastPrune = 0;
  #redelivered = 0;
  #history: DecisionHistory | undefined;

  private constructor(o: DeviceLinkOptions, client: MqttClient, queue: DurableQueue | undefined, history?: DecisionHistory) {
    super();
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.site = o.site;
    this.device = o.device;
    this.topics = deviceTopics(o.site, o.device);
    this.client = client;
    this.#queue = queue;
    this.#history = history;
    this.#maxInFlight = o.decisions?.maxInFlight ?? 64;
    this.#redeliverWindowMs = o.decisions?.redeliverWindowMs ?? 30_000;
    this.#tokens = o.events?.burst ?? 100;
    this.#haPrefix = (o.homeAssistant && o.homeAssistant.prefix) || HA_PREFIX;
    this.enrollment = o.enrollment ? new EnrollmentSync({
      site: o.site,
      target: o.enrollment.target,
      publicKeys: o.enrollment.publicKeys,
      fleetKeys: o.enrollment.fleetKeys,
      state: o.enrollment.state,
      limits: o.enrollment.limits,
      hooks: {
        subscribe: (f) => this.#subscribe(f),
        unsubscribe: (f) => { this.client.unsubscribe(f); },
        rejected: (e) => {
          this.#log.warn('enrolment message rejected', { ...e });
          this.publishEvent('enrollment-rejected', { ...e });
        },
        applied: (e) => {
          this.#log.info('enrolment applied', { ...e });
          this.publishEvent('enrollment-applied', { ...e });
          this.publishStatus();
        },
        requestSnapshot: (r) => this.#requestSnapshot(r),
      },
    }) : undefined;
  }

  /** Opens the queue, connects (see `waitConnectedMs`) and starts everything configured. */
  static async start(o: DeviceLinkOptions): Promise<DeviceLink> {
    const queue = o.decisions ? DurableQueue.open(o.decisions.queuePath, o.decisions.queue) : undefined;
    const history = o.decisions ? DecisionHistory.open(o.decisions.history?.path ?? historyPathFor(o.decisions.queuePath), { synchronous: o.decisions.queue?.synchronous, ...o.decisions.history }) : undefined;
    const topics = deviceTopics(o.site, o.device);
    const announce = o.announce ?? true;
    const will = announce
      ? { topic: topics.status, payload: Buffer.from(JSON.stringify(statusMessage('offline', { site: o.site, device: o.device, broker: o.broker.url }, {}, 'connection lost'))), qos: 1 as const, retain: true }
      : undefined;
    const clientId = o.broker.clientId ?? `facegate-${o.site}-${o.device}`;
    let client: MqttClient;
    try {
      // Clean session: state that matters is retained (enrolment, status) or in our own queue
      // (decisions); a persistent session would also replay stale commands after an outage.
      client = mqtt.connect(o.broker.url, mqttOptions({ ...o.broker, clientId }, { clean: true, will, reconnectOnConnackError: true, queueQoSZero: false }));
    } catch (e) {
      queue?.close();
      history?.close();
      throw e;
    }
    const link = new DeviceLink(o, client, queue, history);
    link.#wire();
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
      this.#route(packet).then(() => done(), (e) => {
        this.#log.error('message handling failed', { topic: packet.topic, error: errorMessage(e) });
        done();
      });
    };
    c.on('connect', () => {
      this.#lastConnectError = '';
      this.#log.info('mqtt connected', { broker: redactUrl(this.#o.broker.url) });
      if (this.#o.announce ?? true) this.publishStatus();
      if (this.#o.homeAssistant) this.publishDiscovery();
      this.#cursor = 0;
      this.#schedulePump();
      this.emit('connect');
    });
    c.on('close', () => {
      if (this.#closing || !this.#queue) return;
      // Whatever the broker acknowledged just before the drop may have died with it.
      const n = this.#queue.requeueAckedSince(Date.now() - this.#redeliverWindowMs);
      if (n > 0) {
        this.#redelivered += n;
        this.#cursor = 0;
        this.#log.info('connection lost: recently acknowledged decisions will be sent again', { count: n });
      }
    });
    c.on('offline', () => {
      this.#log.warn('mqtt offline; decisions stay queued', { queued: this.queued });
      this.emit('offline');
    });
    c.on('error', (e) => {
      const msg = describeConnectError(e, this.#o.broker.url);
      // Log each distinct failure once, not once per reconnect attempt.
      if (msg !== this.#lastConnectError) this.#log.error(msg);
      this.#lastConnectError = msg;
      if (this.listenerCount('error') > 0) this.emit('error', new FaceGateError('FG_MQTT', msg, { cause: e }));
    });
    this.#subscribe(this.topics.commandFilter);
    if (this.#o.homeAssistant) this.#subscribe(haStatusTopic(this.#haPrefix));
  }

  #subscribe(filter: string): void {
    this.client.subscribe(filter, { qos: 1 }, (err) => {
      if (err) this.#log.error('subscribe failed', { filter, error: errorMessage(err) });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Decisions written but not yet acknowledged by the broker. */
  get queued(): number {
    return this.#queue?.size() ?? 0;
  }

  get ackedCount(): number {
    return this.#acked;
  }

  /** Decisions sent again because the connection dropped right after their PUBACK. */
  get redeliveredCount(): number {
    return this.#redelivered;
  }

  // ---------- decisions ----------

  /**
   * Writes the decision to the durable queue (on disk when this returns) and schedules its
   * publication. Returns the message with its id.
   */
  publishDecision(input: DecisionInput): DecisionMessage {
    if (!this.#queue) throw new FaceGateError('FG_CONFIG_INVALID', 'this link has no decision queue (decisions.queuePath)');
    if (this.#closing) throw new FaceGateError('FG_MQTT', 'link is closing');
    const msg = buildDecisionMessage(input, { site: this.site, device: this.device, includeImage: this.#o.decisions?.includeImage ?? false });
    this.#queue.push(msg.id, this.topics.decision, this.#history ? this.#history.record(msg) : Buffer.from(JSON.stringify(msg)));
    this.#schedulePump();
    return msg;
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Hands queued rows to mqtt.js, at most maxInFlight unacknowledged at a time, oldest first. */
  #pump(): void {
    const q = this.#queue;
    if (!q || this.#closing || !this.client.connected) return;
    while (this.#inflight.size < this.#maxInFlight) {
      const rows = q.pendingAfter(this.#cursor, this.#maxInFlight - this.#inflight.size);
      if (rows.length === 0) return;
      for (const r of rows) {
        this.#cursor = r.seq;
        if (this.#inflight.has(r.id)) continue;
        this.#inflight.add(r.id);
        this.client.publish(r.topic, r.payload, { qos: 1, retain: false }, (err) => {
          this.#inflight.delete(r.id);
          if (err) {
            // Only when mqtt.js drops the packet (client ended): the row stays for the next run.
            this.#cursor = 0;
          } else if (this.#queue) {
            const now = Date.now();
            this.#queue.ack(r.id, now);
            if (now - this.#lastPrune > 1000) {
              this.#lastPrune = now;
              this.#queue.prune(now - this.#redeliverWindowMs);
            }
            this.#acked++;
            this.emit('acked', r.id);
          }
          this.#schedulePump();
        });
      }
    }
  }

  /** Resolves true once the queue is empty (every decision acknowledged), false on timeout. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.queued > 0) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  // ---------- status, events, discovery ----------

  setCamera(state: CameraState): void {
    if (state === this.#camera) return;
    const before = this.#camera;
    this.#camera = state;
    if (state === 'lost') this.publishEvent('camera-lost', { before });
    if (before === 'lost' && state === 'ok') this.publishEvent('camera-restored', {});
    this.publishStatus();
  }

  #statusInfo(): StatusInfo {
    const t = this.#o.enrollment?.target;
    const m = t?.model();
    return {
      ...(t ? { galleryVersion: t.version(), identities: t.identityCount() } : {}),
      ...(m ? { modelId: m.modelId } : {}),
      camera: this.#camera,
      ...(this.#queue ? { queued: this.queued } : {}),
      ...this.#o.statusInfo?.(),
    };
  }

  publishStatus(): void {
    if (!(this.#o.announce ?? true) || this.#closing) return;
    const msg = statusMessage('online', { site: this.site, device: this.device, broker: this.#o.broker.url }, this.#statusInfo());
    this.client.publish(this.topics.status, JSON.stringify(msg), { qos: 1, retain: true });
  }

  publishDiscovery(): void {
    const ha = this.#o.homeAssistant;
    if (!ha) return;
    for (const m of haDiscoveryMessages({ prefix: this.#haPrefix, site: this.site, device: this.device, deviceName: ha.deviceName, model: ha.model, swVersion: ha.swVersion, topics: this.topics })) {
      this.client.publish(m.topic, m.payload, { qos: 1, retain: true });
    }
  }

  /** Publishes an event (QoS 1, not retained), rate limited. Also emitted locally as 'event'. */
  publishEvent(type: string, fields: Record<string, unknown> = {}): void {
    const ev: DeviceEvent = { ...fields, type, ts: new Date().toISOString(), site: this.site, device: this.device };
    this.emit('event', ev);
    if (this.#closing) return;
    const rate = this.#o.events?.perSecond ?? 20;
    const burst = this.#o.events?.burst ?? 100;
    const now = Date.now();
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#lastRefill) / 1000) * rate);
    this.#lastRefill = now;
    if (this.#tokens < 1) {
      this.#suppressed++;
      return;
    }
    this.#tokens -= 1;
    if (this.#suppressed > 0) {
      const n = this.#suppressed;
      this.#suppressed = 0;
      this.client.publish(this.topics.event, JSON.stringify({ type: 'events-suppressed', count: n, ts: ev.ts, site: this.site, device: this.device }), { qos: 1 });
    }
    this.client.publish(this.topics.event, JSON.stringify(ev), { qos: 1 });
  }

  #requestSnapshot(r: SnapshotRequest): void {
    if (!this.enrollment) return;
    // Shaped like a command (txn) so an enrolment service can answer or log it by id.
    const body = { txn: ulid(), ...r, site: this.site, device: this.device, ts: new Date().toISOString() };
    this.#log.warn('requesting an enrolment snapshot', { ...r });
    this.client.publish(this.enrollment.topics.request, JSON.stringify(body), { qos: 1 });
    this.publishEvent('snapshot-requested', { ...r });
  }

  // ---------- incoming ----------

  async #route(packet: IPublishPacket): Promise<void> {
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const marker = this.#markers.get(topic);
    if (marker) {
      marker();
      return;
    }
    // Size first, before any decoding: each topic kind has a payload bound.
    const limit = this.enrollment?.matches(topic) ? MAX_MESSAGE_BYTES : commandName(this.topics, topic) !== undefined ? MAX_COMMAND_BYTES : MAX_OTHER_BYTES;
    if (payload.length > limit) {
      this.#log.warn('message rejected: too large', { topic, bytes: payload.length, limit });
      this.publishEvent('message-rejected', { topic, reason: 'too-large', bytes: payload.length, limit });
      return;
    }
    if (this.enrollment?.matches(topic)) {
      await this.enrollment.handle(topic, payload, packet.retain === true);
      return;
    }
    const name = commandName(this.topics, topic);
    if (name !== undefined) {
      this.#queueCommand(name, payload);
      return;
    }
    if (this.#o.homeAssistant && topic === haStatusTopic(this.#haPrefix)) {
      const s = payload.toString('utf8');
      if (s === 'online') {
        this.publishDiscovery();
        this.publishStatus();
      } else if (s !== 'offline') {
        this.publishEvent('message-rejected', { topic, reason: 'malformed', message: 'homeassistant/status must be online or offline' });
      }
    }
  }

  #queueCommand(name: string, payload: Buffer): void {
    // Commands run one at a time, off the message path; a flood beyond 32 waiting is dropped.
    if (this.#commandsWaiting >= 32) {
      this.publishEvent('command-rejected', { command: name, reason: 'overload', message: 'too many commands waiting' });
      return;
    }
    this.#commandsWaiting++;
    this.#commandChain = this.#commandChain.then(() => this.#runCommand(name, payload)).catch(() => undefined).finally(() => { this.#commandsWaiting--; });
  }

  #builtinCommand(name: string): CommandHandler | undefined {
    if (name === 'snapshot-request' && this.enrollment) {
      return () => {
        const sync = this.enrollment!;
        sync.requestSnapshot('command', undefined, true);
        // Re-subscribing makes the broker re-send the retained manifest.
        this.client.unsubscribe(sync.topics.manifest, () => this.#subscribe(sync.topics.manifest));
        return { version: this.#o.enrollment!.target.version() };
      };
    }
    if (name === REPLAY_COMMAND && this.#history) return replayHandler(this.#history, (p) => { if (!this.#closing) this.client.publish(this.topics.decision, p, { qos: 1 }); });
    if (name === 'status') return () => statusMessage('online', { site: this.site, device: this.device, broker: this.#o.broker.url }, this.#statusInfo());
    return undefined;
  }

  async #runCommand(name: string, payload: Buffer): Promise<void> {
    let txn: string | null = null;
    const result: CommandResult = { txn, ok: false, ts: '' };
    try {
      const req = parseCommand(payload);
      txn = req.txn;
      // Own properties only: a command named "constructor" must not reach Object.prototype.
      const own = this.#o.commands && Object.hasOwn(this.#o.commands, name) ? this.#o.commands[name] : undefined;
      const handler = own ?? this.#builtinCommand(name);
      if (!handler) throw new FaceGateError('FG_INPUT_INVALID', `unknown command "${name}"`);
      result.result = await handler(req.args, { name, txn });
      result.ok = true;
    } catch (e) {
      if (e instanceof FaceGateError && typeof e.details?.txn === 'string') txn = e.details.txn;
      result.error = { code: e instanceof FaceGateError ? e.code : 'FG_INTERNAL', message: errorMessage(e) };
      this.publishEvent('command-rejected', { command: name, txn, message: errorMessage(e) });
    }
    result.txn = txn;
    result.ts = new Date().toISOString();
    if (txn !== null && !this.#closing) this.client.publish(this.topics.commandResult(name), JSON.stringify(result), { qos: 1 });
  }

  /**
   * Round trip through the broker: subscribes to a private topic and publishes to it. Brokers
   * deliver one client's messages in order, so when this resolves every retained message of the
   * subscriptions made before it has been received and handled.
   */
  async roundTrip(timeoutMs = 10_000): Promise<void> {
    const topic = `${this.topics.event.replace(/\/event$/, '')}/_marker/${Math.random().toString(36).slice(2)}`;
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.#markers.delete(topic); reject(new FaceGateError('FG_MQTT', `no round trip through the broker within ${timeoutMs} ms`)); }, timeoutMs);
      this.#markers.set(topic, () => { clearTimeout(timer); this.#markers.delete(topic); resolve(); });
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
    if ((opts.announceOffline ?? true) && (this.#o.announce ?? true) && this.client.connected) {
      const msg = statusMessage('offline', { site: this.site, device: this.device, broker: this.#o.broker.url }, this.#statusInfo(), 'stopped');
      await this.client.publishAsync(this.topics.status, JSON.stringify(msg), { qos: 1, retain: true }).catch(() => undefined);
    }
    this.#closing = true;
    await this.enrollment?.idle();
    await this.client.endAsync(!this.client.connected).catch(() => undefined);
    this.#queue?.close();
    this.#queue = undefined;
    this.#history?.close();
  }
}


