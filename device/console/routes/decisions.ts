/** Decisions: query by time, person, kind or sequence; the same filters as CSV. */
import type { FastifyInstance } from 'fastify';
import { FaceGateError } from '../../../sdk/errors.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { decisionsCsv, type DecisionQuery, type LoggedDecision } from '../decision-log.ts';
import { decisionQuery } from '../schemas.ts';
import type { DecisionKind } from '../../loop/frame-loop.ts';

interface Query { since?: string; until?: string; person?: string; kind?: DecisionKind; afterSeq?: number; limit?: number }

function toQuery(q: Query): DecisionQuery {
  const time = (s: string | undefined, name: string) => {
    if (s === undefined) return undefined;
    const t = Date.parse(s);
    if (Number.isNaN(t)) throw new FaceGateError('FG_INPUT_INVALID', `${name}: not a date-time`);
    return t;
  };
  return { since: time(q.since, 'since'), until: time(q.until, 'until'), person: q.person, kind: q.kind, afterSeq: q.afterSeq, limit: q.limit };
}

export function decisionRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: Query }>('/api/v1/decisions', { schema: { querystring: decisionQuery }, config: { scope: 'read' } }, async (req) => ({ decisions: deps.decisions.query(toQuery(req.query)) }));
  app.get<{ Querystring: Query }>('/api/v1/decisions.csv', { schema: { querystring: decisionQuery }, config: { scope: 'read' } }, async (req, reply) => {
    // Pages of 1000 with a turn of the event loop between them: a long export never holds up a frame.
    const q = toQuery(req.query);
    const max = q.limit ?? 10_000;
    const rows: LoggedDecision[] = [];
    for (let page = deps.decisions.query({ ...q, limit: Math.min(1000, max) }); page.length > 0 && rows.length < max;) {
      rows.push(...page);
      if (rows.length >= max) break;
      await new Promise((r) => setImmediate(r));
      page = deps.decisions.query({ ...q, beforeSeq: page[page.length - 1].seq, limit: Math.min(1000, max - rows.length) });
    }
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="decisions.csv"');
    return decisionsCsv(rows);
  });
}
