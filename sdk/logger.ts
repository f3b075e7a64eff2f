/** Minimal logger contract: the sdk never prints by itself; device/CLI pass one in. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug?(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Writes one JSON line per message to stderr (keeps stdout clean for --json output). */
export const stderrLogger: Logger = {
  info: (msg, fields) => process.stderr.write(JSON.stringify({ level: 'info', msg, ...fields }) + '\n'),
  warn: (msg, fields) => process.stderr.write(JSON.stringify({ level: 'warn', msg, ...fields }) + '\n'),
  error: (msg, fields) => process.stderr.write(JSON.stringify({ level: 'error', msg, ...fields }) + '\n'),
};
