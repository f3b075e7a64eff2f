/**
 * Runs commands from `.../cmd/<name>`: one at a time, off the message path, each answered on
 * `.../cmd/<name>/result` with its transaction id. Handlers come from a table: the caller's, then
 * the ones the link registers for its own parts (`status`, `snapshot-request`); the caller's win.
 */
import { FaceGateError, errorMessage } from '../errors.ts';
import { parseCommand, type CommandHandler, type CommandResult } from './commands.ts';
import type { DeviceEventFields } from './device-events.ts';

/** Commands beyond this many waiting are refused (a flood must not grow memory without bound). */
const MAX_WAITING = 32;

export interface CommandRouterOptions {
  /** The caller's handlers; own properties only are looked up. */
  handlers?: Record<string, CommandHandler>;
  /** Publishes a result (QoS 1) unless the link is closing. */
  reply: (name: string, result: CommandResult) => void;
  rejected: (fields: DeviceEventFields['command-rejected']) => void;
}

export class CommandRouter {
  #o: CommandRouterOptions;
  #builtins = new Map<string, CommandHandler>();
  #chain: Promise<void> = Promise.resolve();
  #waiting = 0;

  constructor(o: CommandRouterOptions) {
    this.#o = o;
  }

  /** A handler used when the caller's table has none of that name. */
  register(name: string, handler: CommandHandler): void {
    this.#builtins.set(name, handler);
  }

  #handler(name: string): CommandHandler | undefined {
    // Own properties only: a command named "constructor" must not reach Object.prototype.
    const own = this.#o.handlers && Object.hasOwn(this.#o.handlers, name) ? this.#o.handlers[name] : undefined;
    return own ?? this.#builtins.get(name);
  }

  /** Queues a command; it runs after the ones before it. */
  enqueue(name: string, payload: Buffer): void {
    if (this.#waiting >= MAX_WAITING) {
      this.#o.rejected({ command: name, reason: 'overload', message: 'too many commands waiting' });
      return;
    }
    this.#waiting++;
    this.#chain = this.#chain.then(() => this.#run(name, payload)).catch(() => undefined).finally(() => { this.#waiting--; });
  }

  /** Resolves when every queued command has run. */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #run(name: string, payload: Buffer): Promise<void> {
    let txn: string | null = null;
    const result: CommandResult = { txn, ok: false, ts: '' };
    try {
      const req = parseCommand(payload);
      txn = req.txn;
      const handler = this.#handler(name);
      if (!handler) throw new FaceGateError('FG_INPUT_INVALID', `unknown command "${name}"`);
      result.result = await handler(req.args, { name, txn });
      result.ok = true;
    } catch (e) {
      if (e instanceof FaceGateError && typeof e.details?.txn === 'string') txn = e.details.txn;
      result.error = { code: e instanceof FaceGateError ? e.code : 'FG_INTERNAL', message: errorMessage(e) };
      this.#o.rejected({ command: name, txn, message: errorMessage(e) });
    }
    result.txn = txn;
    result.ts = new Date().toISOString();
    if (txn !== null) this.#o.reply(name, result);
  }
}
