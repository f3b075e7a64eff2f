/**
 * The decision outbox: decisions through the durable queue to the broker.
 *
 * A row is on disk before it is handed to mqtt.js (QoS 1, never retained) and leaves the pending
 * set on its PUBACK. Within one process mqtt.js keeps unacknowledged packets and resends them after
 * a reconnect; after a restart the queue is replayed; rows acknowledged shortly before a connection
 * drop are sent again (see DurableQueue). A decision may therefore arrive more than once
 * (at-least-once), always with the same id and bytes.
 */
import type { MqttClient } from 'mqtt';
import type { Logger } from '../logger.ts';
import { DurableQueue, type DurableQueueOptions } from './durable-queue.ts';
import { DecisionHistory, historyPathFor, type DecisionHistoryOptions, type LocalDecisionFields } from './decision-history.ts';
import type { DecisionMessage } from './decision-message.ts';

export interface DecisionOutboxOptions {
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
}

export class DecisionOutbox {
  readonly topic: string;
  #queue: DurableQueue | undefined;
  /** Numbers each decision and keeps it for replay requests (the broker's PUBACK is not storage). */
  readonly history: DecisionHistory;
  #client: MqttClient;
  #log: Logger;
  #onAcked: (id: string) => void;
  #inflight = new Set<string>();
  #cursor = 0;
  #maxInFlight: number;
  #redeliverWindowMs: number;
  #pumpScheduled = false;
  #closed = false;
  #lastPrune = 0;
  #acked = 0;
  #redelivered = 0;

  /** Opens (or creates) the queue file; nothing is sent before `start`. */
  constructor(o: DecisionOutboxOptions & { client: MqttClient; topic: string; logger: Logger; onAcked: (id: string) => void }) {
    this.#queue = DurableQueue.open(o.queuePath, o.queue);
    try {
      this.history = DecisionHistory.open(o.history?.path ?? historyPathFor(o.queuePath), { synchronous: o.queue?.synchronous, ...o.history });
    } catch (e) {
      this.#queue.close();
      throw e;
    }
    this.#client = o.client;
    this.topic = o.topic;
    this.#log = o.logger;
    this.#onAcked = o.onAcked;
    this.#maxInFlight = o.maxInFlight ?? 64;
    this.#redeliverWindowMs = o.redeliverWindowMs ?? 30_000;
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

  /** Stores the message (on disk when this returns) and schedules its publication; `local` stays here. */
  push(msg: DecisionMessage, local?: LocalDecisionFields): void {
    if (!this.#queue) throw new Error('decision outbox is closed');
    this.#queue.push(msg.id, this.topic, this.history.record(msg, Date.now(), local));
    this.schedule();
  }

  /** On (re)connect: everything pending is offered again, oldest first. */
  connected(): void {
    this.#cursor = 0;
    this.schedule();
  }

  /** On a connection drop: whatever the broker acknowledged just before may have died with it. */
  connectionLost(): void {
    if (this.#closed || !this.#queue) return;
    const n = this.#queue.requeueAckedSince(Date.now() - this.#redeliverWindowMs);
    if (n > 0) {
      this.#redelivered += n;
      this.#cursor = 0;
      this.#log.info('connection lost: recently acknowledged decisions will be sent again', { count: n });
    }
  }

  schedule(): void {
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
    if (!q || this.#closed || !this.#client.connected) return;
    while (this.#inflight.size < this.#maxInFlight) {
      const rows = q.pendingAfter(this.#cursor, this.#maxInFlight - this.#inflight.size);
      if (rows.length === 0) return;
      for (const r of rows) {
        this.#cursor = r.seq;
        if (this.#inflight.has(r.id)) continue;
        this.#inflight.add(r.id);
        this.#client.publish(r.topic, r.payload, { qos: 1, retain: false }, (err) => {
          this.#inflight.delete(r.id);
          if (err) {
            // Only when mqtt.js drops the packet (client ended): the row stays for the next run.
            this.#cursor = 0;
          } else if (this.#queue) {
            this.#ack(r.id);
          }
          this.schedule();
        });
      }
    }
  }

  #ack(id: string): void {
    const now = Date.now();
    this.#queue!.ack(id, now);
    if (now - this.#lastPrune > 1000) {
      this.#lastPrune = now;
      this.#queue!.prune(now - this.#redeliverWindowMs);
    }
    this.#acked++;
    this.#onAcked(id);
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

  /** Stops sending; unacknowledged rows stay on disk for the next start. */
  stop(): void {
    this.#closed = true;
  }

  close(): void {
    this.#closed = true;
    this.#queue?.close();
    this.#queue = undefined;
    this.history.close();
  }
}
