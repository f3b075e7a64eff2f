/**
 * A durable outbox for messages that must not be lost (decisions): rows are written, and synced
 * to disk, before anything is sent, and leave the pending set only when the broker acknowledged
 * them (PUBACK). Survives a crash or SIGKILL of the process; with `synchronous: 'full'` also a
 * power cut.
 *
 * Acknowledged rows are kept for a short window: a broker acknowledges a QoS 1 message once it
 * has accepted it, not once it is stored or delivered, so if the connection drops right after
 * (the broker crashed) the link puts the recently acknowledged rows back to pending and sends them
 * again. Consumers de-duplicate by id.
 */
import Database from 'better-sqlite3';
import { createPrivateFileSync, makePrivateDirSync } from '../security/private-files.ts';
import { dirname } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';

export interface QueuedMessage {
  seq: number;
  id: string;
  topic: string;
  payload: Buffer;
  createdMs: number;
}

export interface DurableQueueOptions {
  /** Oldest rows are dropped beyond this, so a device offline for weeks cannot fill its disk. */
  maxRows?: number;
  /** 'full' fsyncs every write (power-cut safe); 'normal' is crash-safe only. Default 'full'. */
  synchronous?: 'full' | 'normal';
}

type Row = { seq: number; id: string; topic: string; payload: Buffer; created_ms: number };

export class DurableQueue {
  readonly path: string;
  readonly maxRows: number;
  #db: Database.Database;
  #insert: Database.Statement<[string, string, Buffer, number]>;
  #ack: Database.Statement<[number, string]>;
  #pendingAfter: Database.Statement<[number, number], Row>;
  #requeue: Database.Statement<[number]>;
  #prune: Database.Statement<[number]>;
  #trim: Database.Statement<[number]>;
  #rows: number;
  #pending: number;
  #dropped = 0;

  private constructor(path: string, db: Database.Database, maxRows: number) {
    this.path = path;
    this.maxRows = maxRows;
    this.#db = db;
    this.#insert = db.prepare('INSERT OR IGNORE INTO outbox (id, topic, payload, created_ms) VALUES (?, ?, ?, ?)');
    this.#ack = db.prepare('UPDATE outbox SET acked_ms = ? WHERE id = ? AND acked_ms IS NULL');
    this.#pendingAfter = db.prepare('SELECT seq, id, topic, payload, created_ms FROM outbox WHERE seq > ? AND acked_ms IS NULL ORDER BY seq LIMIT ?');
    this.#requeue = db.prepare('UPDATE outbox SET acked_ms = NULL WHERE acked_ms >= ?');
    this.#prune = db.prepare('DELETE FROM outbox WHERE acked_ms < ?');
    this.#trim = db.prepare('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)');
    this.#rows = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    this.#pending = (db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_ms IS NULL').get() as { n: number }).n;
  }

  static open(path: string, opts: DurableQueueOptions = {}): DurableQueue {
    try {
      makePrivateDirSync(dirname(path));
      createPrivateFileSync(path);
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('busy_timeout = 5000');
      // Delivered decisions are deleted: overwrite them, they name identities.
      db.pragma('secure_delete = ON');
      db.exec(`CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        acked_ms INTEGER);
        CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE acked_ms IS NULL;
        CREATE INDEX IF NOT EXISTS outbox_acked ON outbox(acked_ms) WHERE acked_ms IS NOT NULL;`);
      return new DurableQueue(path, db, opts.maxRows ?? 100_000);
    } catch (e) {
      throw new FaceGateError('FG_MQTT', `cannot open the decision queue ${path}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Appends durably (returns after the write is on disk). A repeated id is ignored. */
  push(id: string, topic: string, payload: Buffer, createdMs = Date.now()): void {
    const added = this.#insert.run(id, topic, payload, createdMs).changes;
    this.#rows += added;
    this.#pending += added;
    const over = this.#rows - this.maxRows;
    if (over > 0) {
      this.#db.transaction(() => this.#trim.run(over))();
      this.#recount();
      this.#dropped += over;
    }
  }

  /** Up to `limit` pending rows with seq > `afterSeq`, oldest first. */
  pendingAfter(afterSeq: number, limit: number): QueuedMessage[] {
    return this.#pendingAfter.all(afterSeq, limit).map((r) => ({ seq: r.seq, id: r.id, topic: r.topic, payload: r.payload, createdMs: r.created_ms }));
  }

  /** Marks a row acknowledged (no longer pending). */
  ack(id: string, nowMs = Date.now()): void {
    this.#pending -= this.#ack.run(nowMs, id).changes;
  }

  /** Puts rows acknowledged at or after `sinceMs` back to pending; returns how many. */
  requeueAckedSince(sinceMs: number): number {
    const n = this.#requeue.run(sinceMs).changes;
    this.#pending += n;
    return n;
  }

  /** Deletes rows acknowledged before `beforeMs`. */
  prune(beforeMs: number): number {
    const n = this.#prune.run(beforeMs).changes;
    this.#rows -= n;
    return n;
  }

  #recount(): void {
    this.#rows = (this.#db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    this.#pending = (this.#db.prepare('SELECT count(*) AS n FROM outbox WHERE acked_ms IS NULL').get() as { n: number }).n;
  }

  /** Rows waiting for a PUBACK. */
  size(): number {
    return this.#pending;
  }

  /** Rows dropped by `maxRows` since open. */
  get dropped(): number {
    return this.#dropped;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
