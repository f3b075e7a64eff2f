/**
 * Commands: a JSON request on `.../cmd/<name>` carrying a transaction id, answered on
 * `.../cmd/<name>/result` with the same id. Only registered names run; anything else is answered
 * with an error (when a transaction id can be read) and reported as an event.
 */
import { z } from 'zod';
import { FaceGateError } from '../errors.ts';

export const MAX_COMMAND_BYTES = 64 * 1024;

export const CommandRequest = z.object({
  txn: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/),
  args: z.unknown().optional(),
}).strict();
export type CommandRequest = z.infer<typeof CommandRequest>;

export interface CommandResult {
  txn: string | null;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  ts: string;
}

export type CommandHandler = (args: unknown, ctx: { name: string; txn: string }) => unknown | Promise<unknown>;

/** Parses a request; throws FG_INPUT_INVALID naming the problem. `txn` is recovered when possible. */
export function parseCommand(payload: Uint8Array): CommandRequest {
  if (payload.length > MAX_COMMAND_BYTES) throw new FaceGateError('FG_INPUT_INVALID', `command of ${payload.length} bytes exceeds ${MAX_COMMAND_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new FaceGateError('FG_INPUT_INVALID', 'command is not JSON');
  }
  const r = CommandRequest.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new FaceGateError('FG_INPUT_INVALID', `command ${first.path.join('.') || '(root)'}: ${first.message}`, {
      details: { txn: typeof (json as { txn?: unknown })?.txn === 'string' ? (json as { txn: string }).txn.slice(0, 64) : null },
    });
  }
  return r.data;
}
