/** Splitting a log's bytes into newline-terminated lines, shared by the writer's tail scan and verify. */

export interface LineSpan {
  /** Byte offset of the first byte of the line. */
  start: number;
  /** Offset just past the line's last byte (the newline excluded). */
  end: number;
  /** False only for a last line without its newline: a write cut short. */
  terminated: boolean;
}

export function splitLines(buf: Uint8Array, from = 0): LineSpan[] {
  const out: LineSpan[] = [];
  let start = from;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    out.push({ start, end: nl, terminated: true });
    start = nl + 1;
  }
  if (start < buf.length) out.push({ start, end: buf.length, terminated: false });
  return out;
}

export function lineText(buf: Uint8Array, s: LineSpan): string {
  return Buffer.from(buf.buffer, buf.byteOffset + s.start, s.end - s.start).toString('utf8');
}
