/**
 * The `replay` command: `{"txn": "...", "args": {"since": N}}` on `.../cmd/replay` republishes
 * the decisions with seq > N from the device's history, oldest first, with their original bytes
 * (same id, same seq), at most `limit` (default and cap 1,000) per request; the result says what
 * was sent, whether more remain, and which seqs are gone for good (aged out of the history).
 */
import { z } from 'zod';
import { FaceGateError } from '../errors.ts';
import type { CommandHandler } from './commands.ts';
import type { DecisionHistory } from './decision-history.ts';

export const REPLAY_COMMAND = 'replay';
export const MAX_REPLAY = 1000;

const ReplayArgs = z.object({
  since: z.number().int().min(0),
  limit: z.number().int().min(1).max(MAX_REPLAY).optional(),
}).strict();

export interface ReplayResult {
  stream: string;
  since: number;
  replayed: number;
  /** seq of the last decision sent (since when none). */
  last: number;
  /** Newest seq the device has handed out. */
  newest: number;
  /** More decisions after `last`: ask again with since = last. */
  more: boolean;
  /** Seqs after `since` no longer in the history (pruned by age or count): [from, to], or null. */
  lost: [number, number] | null;
}

export function replayHandler(history: DecisionHistory, publish: (payload: Buffer) => void): CommandHandler {
  return (args) => {
    const a = ReplayArgs.safeParse(args);
    if (!a.success) throw new FaceGateError('FG_INPUT_INVALID', `replay args: ${a.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')} (expected {"since": <seq>, "limit"?: <1-${MAX_REPLAY}>})`);
    const { since } = a.data;
    const limit = a.data.limit ?? MAX_REPLAY;
    const rows = history.since(since, limit);
    for (const r of rows) publish(r.payload);
    const { oldest, newest } = history.bounds();
    const last = rows.length ? rows[rows.length - 1].seq : since;
    const firstHeld = oldest ?? newest + 1;
    const result: ReplayResult = {
      stream: history.stream, since, replayed: rows.length, last, newest, more: last < newest && rows.length === limit,
      lost: firstHeld > since + 1 ? [since + 1, Math.min(firstHeld - 1, newest)] : null,
    };
    if (result.lost && result.lost[0] > result.lost[1]) result.lost = null;
    return result;
  };
}
