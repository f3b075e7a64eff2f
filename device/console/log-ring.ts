/** A logger that keeps the last lines for the console's Device page and passes every line on. */
import type { Logger } from '../../sdk/logger.ts';

export interface LogLine { at: string; level: 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }

export class LogRing {
  #lines: LogLine[] = [];
  readonly logger: Logger;
  constructor(inner: Logger, private readonly capacity = 200) {
    const keep = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) => {
      this.#lines.push({ at: new Date().toISOString(), level, msg, ...(fields ? { fields } : {}) });
      if (this.#lines.length > this.capacity) this.#lines.shift();
      inner[level](msg, fields);
    };
    this.logger = { info: keep('info'), warn: keep('warn'), error: keep('error'), debug: inner.debug?.bind(inner) };
  }

  lines(): LogLine[] {
    return [...this.#lines];
  }
}
