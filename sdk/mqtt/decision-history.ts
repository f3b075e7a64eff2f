/**
 * The device's own record of the decisions it published, for replay (docs/mqtt.md, "Gaps and
 * replay"). A PUBACK only says the broker holds a message in memory; whether it survives a broker
 * crash depends on the broker's persistence, which the device cannot know. So every decision gets
 * a per-device sequence number (`seq`, 1, 2, 3… never reused) and the exact bytes published are
 * kept here, bounded by count and age; a consumer that sees a gap asks for `replay since N`.
 *
 * `stream` names this history (a ULID made when the file is created): if the file is lost and
 * seqs start again at 1, consumers see a new stream rather than old numbers reused.
 *
 * It is also the device's decision log (the console's Decisions page and `/api/v1/decisions`):
 * kind and identity are kept in columns beside the bytes so that log can be filtered, and the
 * capture-to-decision latency, which the message does not carry, is kept with them.
 */
import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';
import { createPrivateFileSync, makePrivateDirSync } from '../security/private-files.ts';
import { ulid, type DecisionMessage } from './decision-message.ts';

export interface DecisionHistoryOptions {
  /** Newest rows kept (default 100,000). */
  maxRows?: number;
  /** Rows older than this are dropped (default 7 days). */
  maxAgeMs?: number;
  /** 'full' (default) fsyncs every decision; 'normal' is crash-safe only. */
  synchronous?: 'full' | 'normal';
}

export const DEFAULT_HISTORY_ROWS = 100_000;
export const DEFAULT_HISTORY_AGE_MS = 7 * 24 * 3600 * 1000;

export interface HistoryRow {
  seq: number;
  payload: Buffer;
}

/** Fields kept with a decision on this device only (never published). */
export interface LocalDecisionFields {
  /** Capture to decision, ms. */
  latencyMs?: number;
}

/** A filter over the log: all given conditions hold; `created` is when the decision was recorded. */
export interface HistoryQuery {
  sinceMs?: number;
  untilMs?: number;
  kind?: string;
  identity?: string;
  /** Only rows with seq > afterSeq. */
  afterSeq?: number;
  /** Only rows with seq < beforeSeq (paging backwards). */
  beforeSeq?: number;
  limit: number;
}

export interface LoggedRow extends HistoryRow {
  latencyMs: number | null;
}

export class DecisionHistory {
  readonly path: string;
  readonly stream: string;
  readonly #db: Database.Database;
  readonly #maxRows: number;
  readonly #maxAgeMs: number;
  #next: number;
  #lastPrune = 0;
  readonly #s;

  private constructor(path: string, db: Database.Database, opts: DecisionHistoryOptions) {
    this.path = path;
    this.#db = db;
    this.#maxRows = opts.maxRows ?? DEFAULT_HISTORY_ROWS;
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_HISTORY_AGE_MS;
    db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, payload BLOB NOT NULL, created_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS history_created ON history(created_ms);`);
    addLogColumns(db);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('stream', ulid());
    this.stream = String(db.prepare("SELECT value FROM meta WHERE key = 'stream'").pluck().get());
    // AUTOINCREMENT's counter survives deletes, so pruned seqs are never handed out again.
    const last = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'history'").pluck().get() as number | undefined;
    this.#next = (last ?? 0) + 1;
    this.#s = {
      insert: db.prepare('INSERT INTO history (seq, id, payload, created_ms, kind, identity, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      query: db.prepare(`SELECT seq, payload, latency_ms AS latencyMs FROM history
        WHERE (@sinceMs IS NULL OR created_ms >= @sinceMs) AND (@untilMs IS NULL OR created_ms <= @untilMs)
          AND (@kind IS NULL OR kind = @kind) AND (@identity IS NULL OR identity = @identity)
          AND (@afterSeq IS NULL OR seq > @afterSeq) AND (@beforeSeq IS NULL OR seq < @beforeSeq)
        ORDER BY seq DESC LIMIT @limit`),
      since: db.prepare('SELECT seq, payload FROM history WHERE seq > ? ORDER BY seq LIMIT ?'),
      oldest: db.prepare('SELECT MIN(seq) FROM history').pluck(),
      pruneAge: db.prepare('DELETE FROM history WHERE created_ms < ?'),
      pruneRows: db.prepare('DELETE FROM history WHERE seq <= (SELECT seq FROM history ORDER BY seq DESC LIMIT 1 OFFSET ?)'),
    };
  }

  static open(path: string, opts: DecisionHistoryOptions = {}): DecisionHistory {
    try {
      makePrivateDirSync(dirname(path));
      createPrivateFileSync(path);
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('secure_delete = ON'); // pruned decisions name identities
      return new DecisionHistory(path, db, opts);
    } catch (e) {
      if (e instanceof FaceGateError) throw e;
      throw new FaceGateError('FG_CONFIG_INVALID', `cannot open decision history ${path}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Gives `msg` the next seq and this stream, stores the bytes to publish, returns them. */
  record(msg: DecisionMessage, now = Date.now(), local: LocalDecisionFields = {}): Buffer {
    msg.seq = this.#next;
    msg.stream = this.stream;
    const payload = Buffer.from(JSON.stringify(msg));
    this.#s.insert.run(msg.seq, msg.id, payload, now, msg.decision, msg.identity, local.latencyMs ?? null);
    this.#next++;
    if (now - this.#lastPrune > 60_000) this.prune(now);
    return payload;
  }

  /** Up to `limit` rows with seq > since, oldest first. */
  since(seq: number, limit: number): HistoryRow[] {
    return this.#s.since.all(seq, limit) as HistoryRow[];
  }

  /** The log, newest first: rows matching every condition of `q`. */
  query(q: HistoryQuery): LoggedRow[] {
    const n = (v: number | string | undefined) => v ?? null;
    return this.#s.query.all({
      sinceMs: n(q.sinceMs), untilMs: n(q.untilMs), kind: n(q.kind), identity: n(q.identity), afterSeq: n(q.afterSeq), beforeSeq: n(q.beforeSeq), limit: q.limit,
    }) as LoggedRow[];
  }

  /** Oldest seq still held (null when empty) and the newest seq handed out (0 before any). */
  bounds(): { oldest: number | null; newest: number } {
    return { oldest: (this.#s.oldest.get() as number | null) ?? null, newest: this.#next - 1 };
  }

  prune(now = Date.now()): void {
    this.#lastPrune = now;
    this.#s.pruneAge.run(now - this.#maxAgeMs);
    this.#s.pruneRows.run(this.#maxRows);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * The log columns, added to a history file written before they existed and filled in from its
 * stored messages (latency was never kept for those: it stays null).
 */
function addLogColumns(db: Database.Database): void {
  const have = new Set((db.prepare('PRAGMA table_info(history)').all() as { name: string }[]).map((c) => c.name));
  if (have.has('kind')) return;
  db.transaction(() => {
    db.exec(`ALTER TABLE history ADD COLUMN kind TEXT;
      ALTER TABLE history ADD COLUMN identity TEXT;
      ALTER TABLE history ADD COLUMN latency_ms REAL;
      UPDATE history SET kind = json_extract(CAST(payload AS TEXT), '$.decision'), identity = json_extract(CAST(payload AS TEXT), '$.identity');
      CREATE INDEX IF NOT EXISTS history_identity ON history(identity);`);
  })();
}

/** Default history file beside the queue: decision-queue.sqlite -> decision-queue-history.sqlite. */
export function historyPathFor(queuePath: string): string {
  return /\.(sqlite|db)$/.test(queuePath) ? queuePath.replace(/\.(sqlite|db)$/, '-history.$1') : `${queuePath}-history`;
}
