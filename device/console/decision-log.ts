/**
 * The console's decision history: the last `capacity` decisions in memory with a sequence
 * number, queried by time, person, kind and sequence, and exported as CSV. The durable record is
 * the audit log and the MQTT queue; this is the operator's view and survives no restart.
 */
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
  latencyMs: number;
}

export interface DecisionQuery {
  since?: number;
  until?: number;
  person?: string;
  kind?: DecisionKind;
  afterSeq?: number;
  limit?: number;
}

export class DecisionLog {
  #items: LoggedDecision[] = [];
  #seq = 0;
  constructor(private readonly capacity = 10_000) {}

  add(d: Omit<LoggedDecision, 'seq'>): LoggedDecision {
    const e = { seq: ++this.#seq, ...d };
    this.#items.push(e);
    if (this.#items.length > this.capacity) this.#items.splice(0, this.#items.length - this.capacity);
    return e;
  }

  /** Newest first. */
  query(q: DecisionQuery = {}): LoggedDecision[] {
    const out: LoggedDecision[] = [];
    const limit = q.limit ?? 500;
    for (let i = this.#items.length - 1; i >= 0 && out.length < limit; i--) {
      const d = this.#items[i];
      if (q.afterSeq !== undefined && d.seq <= q.afterSeq) break;
      const t = Date.parse(d.at);
      if (q.since !== undefined && t < q.since) continue;
      if (q.until !== undefined && t > q.until) continue;
      if (q.kind && d.decision !== q.kind) continue;
      if (q.person && d.identity !== q.person) continue;
      out.push(d);
    }
    return out;
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
