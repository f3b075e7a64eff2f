/**
 * Progress on stderr: a redrawn bar with ETA on a terminal; otherwise one counter line every
 * `every` items, so logs stay readable.
 */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export function createProgress(total: number, label: string, opts: { stream?: NodeJS.WriteStream; every?: number; enabled?: boolean } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.enabled === false || total <= 0) return { tick() {}, done() {} };
  const tty = Boolean(stream.isTTY);
  const every = opts.every ?? Math.max(50, Math.ceil(total / 20));
  const start = Date.now();
  let count = 0;
  let lastDraw = 0;
  const line = () => {
    const elapsed = (Date.now() - start) / 1000;
    const eta = count > 0 ? (elapsed / count) * (total - count) : Infinity;
    const pct = Math.floor((100 * count) / total);
    return { pct, text: `${label} ${count}/${total} (${pct}%) elapsed ${fmtDuration(elapsed)} ETA ${fmtDuration(eta)}` };
  };
  return {
    tick(n = 1) {
      count += n;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && count < total) return; // redraw at most 10 times a second
        lastDraw = now;
        const { pct, text } = line();
        const width = 24;
        const filled = Math.round((pct / 100) * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      } else if (count % every === 0 || count === total) {
        stream.write(line().text + '\n');
      }
    },
    done() {
      if (tty) stream.write('\n');
    },
  };
}
