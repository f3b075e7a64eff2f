/**
 * The console's decision log: a view of the device's decision history (sdk/mqtt/decision-history.ts,
 * the same store MQTT replay answers from), so it survives restarts and is bounded by
 * `mqtt.decisionHistory` (rows and age). Queried by time, person, kind and sequence; `seq` is the
 * decision's MQTT sequence number. Names come from the gallery at query time: a deleted person's
 * decisions keep only the identity id.
 */
import type { DecisionHistory } from '../../sdk/mqtt/decision-history.ts';
import type { DecisionMessage } from '../../sdk/mqtt/decision-message.ts';
import type { DecisionKind } from '../loop/frame-loop.ts';

export interface LoggedDecision {
  seq: number;
  id: string;
  at: string;
  decision: DecisionKind;
  identity: string | null;
  name: string | null;
  distance: number | null;
  threshold: number;
  reason: string | null;
  liveness: number | null;
  latencyMs: number | null;
}

export interface DecisionQuery {
  since?: number;
  until?: number;
  person?: string;
  kind?: DecisionKind;
  afterSeq?: number;
  /** Only decisions older than this seq (paging backwards). */
  beforeSeq?: number;
  limit?: number;
}

/** One published decision as the console shows it. */
export function loggedDecision(msg: DecisionMessage, latencyMs: number | null, name: string | null): LoggedDecision {
  return {
    seq: msg.seq ?? 0, id: msg.id, at: msg.ts, decision: msg.decision, identity: msg.identity, name,
    distance: msg.distance, threshold: msg.threshold, reason: msg.reason ?? null, liveness: msg.liveness ?? null, latencyMs,
  };
}

export class DecisionLog {
  constructor(private readonly history: DecisionHistory, private readonly nameOf: (identity: string) => string | null) {}

  /** Newest first. */
  query(q: DecisionQuery = {}): LoggedDecision[] {
    const rows = this.history.query({ sinceMs: q.since, untilMs: q.until, kind: q.kind, identity: q.person, afterSeq: q.afterSeq, beforeSeq: q.beforeSeq, limit: q.limit ?? 500 });
    return rows.map((r) => {
      const msg = JSON.parse(r.payload.toString('utf8')) as DecisionMessage;
      return loggedDecision(msg, r.latencyMs, msg.identity ? this.nameOf(msg.identity) : null);
    });
  }
}

const CSV_COLUMNS = ['seq', 'id', 'at', 'decision', 'identity', 'name', 'distance', 'threshold', 'reason', 'liveness', 'latencyMs'] as const;

/** RFC 4180 field; a leading = + - @ is prefixed with ' so a spreadsheet never runs it as a formula. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function decisionsCsv(rows: readonly LoggedDecision[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}
