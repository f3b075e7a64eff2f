/**
 * Verifies an audit log: every line an entry in canonical form, seq 1, 2, 3... without gaps,
 * each `prev` the previous hash, each hash recomputed. Bytes a crash left behind are accepted
 * only where the next `audit-open` entry records exactly their length and SHA-256.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { auditSegments } from './audit-log.ts';
import { FaceGateError, errorMessage } from '../errors.ts';
import { entryHash, GENESIS, parseEntry, type AuditEntry } from './audit-entry.ts';
import { lineText, splitLines, type LineSpan } from './log-lines.ts';

export type ProblemKind = 'malformed' | 'changed' | 'missing' | 'reordered' | 'broken-link' | 'torn' | 'bad-recovery';

export interface AuditProblem {
  kind: ProblemKind;
  /** The seq the chain expected at this point (the first entry that cannot be trusted). */
  seq: number;
  /** 1-based line number and byte offset in the file. */
  line: number;
  offset: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  path: string;
  mode: 'sha256' | 'hmac-sha256';
  entries: number;
  lastSeq: number;
  /** Hash of the last entry: compare with an anchor kept elsewhere to detect a cut tail. */
  head: string;
  firstBadSeq: number | null;
  problems: AuditProblem[];
  /** Torn writes the log recovered from (each recorded by an audit-open entry). */
  recoveredTorn: number;
  /** With `anchors`: those not found as the hash of any intact entry. */
  missingAnchors?: string[];
  /** Rotated segments verified before the log itself, oldest first (absent when none). */
  segments?: string[];
}

export interface VerifyOptions {
  key?: Uint8Array;
  anchors?: readonly string[];
  /** Where the chain stands before this file (a segment after rotation): last seq and hash. */
  start?: { seq: number; hash: string };
}

const MAX_PROBLEMS = 100;

interface Parsed {
  span: LineSpan;
  index: number;
  entry: AuditEntry | null;
  error: string;
}

function tornRecord(e: AuditEntry): { bytes: number; sha256: string } | null {
  if (e.kind !== 'audit-open') return null;
  const t = e.fields.torn;
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return null;
  const { bytes, sha256 } = t as Record<string, unknown>;
  return Number.isSafeInteger(bytes) && (bytes as number) > 0 && typeof sha256 === 'string' ? { bytes: bytes as number, sha256 } : null;
}

/**
 * Marks the lines covered by a torn span an `audit-open` entry accounts for. The span ends right
 * before that entry's line, or one newline earlier (the writer terminates a torn line).
 */
function recoveredSpans(buf: Buffer, lines: Parsed[]): { skip: Set<number>; bad: Map<number, string> } {
  const skip = new Set<number>();
  const bad = new Map<number, string>();
  const sha = (a: number, b: number) => createHash('sha256').update(buf.subarray(a, b)).digest('hex');
  for (const p of lines) {
    const t = p.entry && tornRecord(p.entry);
    if (!t) continue;
    const s = p.span.start;
    const candidates = [s - t.bytes, s - t.bytes - 1].filter((g) => g >= 0);
    const g = candidates.find((g) => (g === 0 || buf[g - 1] === 0x0a) && sha(g, g + t.bytes) === t.sha256 && (g + t.bytes === s || (g + t.bytes === s - 1 && buf[s - 1] === 0x0a)));
    if (g === undefined) {
      bad.set(p.index, `audit-open records ${t.bytes} torn bytes that are not the bytes before it`);
      continue;
    }
    for (const q of lines) if (q.span.start >= g && q.span.start < s) skip.add(q.index);
  }
  return { skip, bad };
}

async function readLog(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new FaceGateError('FG_AUDIT', `cannot read audit log ${path}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Verifies a log and its rotated segments (`<log>.000001`, ... oldest first) as one chain: each
 * file must continue the seq and hash where the one before ended, so a removed, reordered or
 * rewritten segment shows as missing, reordered or changed entries.
 */
export async function verifyAuditLog(path: string, o: Omit<VerifyOptions, 'start'> = {}): Promise<VerifyReport> {
  const segments = await auditSegments(path);
  if (!segments.length) return verifyAuditBytes(await readLog(path), path, o);
  let start: VerifyOptions['start'];
  const reports: VerifyReport[] = [];
  for (const file of [...segments, path]) {
    const r = verifyAuditBytes(await readLog(file), file, { key: o.key, anchors: o.anchors, start });
    reports.push(r);
    start = { seq: r.lastSeq, hash: r.head };
  }
  const last = reports[reports.length - 1];
  const problems = reports.flatMap((r) => r.problems.map((p) => ({ ...p, message: `${basename(r.path)}: ${p.message}` })));
  const missingAnchors = o.anchors ? o.anchors.filter((a) => reports.every((r) => r.missingAnchors?.includes(a))) : undefined;
  return {
    ok: problems.length === 0 && (missingAnchors?.length ?? 0) === 0,
    path, mode: reports[0].mode, entries: reports.reduce((n, r) => n + r.entries, 0), lastSeq: last.lastSeq, head: last.head,
    firstBadSeq: problems.length ? Math.min(...problems.map((x) => x.seq)) : null,
    problems: problems.slice(0, MAX_PROBLEMS), recoveredTorn: reports.reduce((n, r) => n + r.recoveredTorn, 0),
    ...(missingAnchors ? { missingAnchors } : {}),
    segments,
  };
}

export function verifyAuditBytes(buf: Buffer, path: string, o: VerifyOptions = {}): VerifyReport {
  const lines: Parsed[] = splitLines(buf).map((span, index) => {
    const r = span.terminated ? parseEntry(lineText(buf, span)) : 'torn';
    return typeof r === 'string' ? { span, index, entry: null, error: r } : { span, index, entry: r, error: '' };
  });
  const { skip, bad } = recoveredSpans(buf, lines);
  // Where each seq sits, to tell a reordered entry (seen later) from a removed one.
  const seqAt = new Map<number, number>();
  for (const p of lines) if (p.entry && !skip.has(p.index) && !seqAt.has(p.entry.seq)) seqAt.set(p.entry.seq, p.index);

  const problems: AuditProblem[] = [];
  const hashes = new Set<string>();
  let lastSeq = o.start?.seq ?? 0;
  let head = o.start?.hash ?? GENESIS;
  let entries = 0;
  let recoveredTorn = 0;
  const report = (kind: ProblemKind, p: Parsed, seq: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ kind, seq, line: p.index + 1, offset: p.span.start, message });
  };
  for (const p of lines) {
    if (skip.has(p.index)) continue;
    const expected = lastSeq + 1;
    const e = p.entry;
    if (!e) {
      if (!p.span.terminated) report('torn', p, expected, `last line (${p.span.end - p.span.start} bytes) was cut short by a crash or a truncation; the next open records it`);
      else report('malformed', p, expected, `line is not an audit entry: ${p.error}`);
      continue;
    }
    entries++;
    const before = problems.length;
    const recovery = bad.get(p.index);
    if (entryHash(e, o.key) !== e.hash) {
      report('changed', p, expected, `entry hash does not match its content${o.key ? '' : ' (a keyed log needs --key-file)'}`);
    } else if (recovery) {
      report('bad-recovery', p, expected, recovery);
    } else if (e.seq !== expected) {
      const later = seqAt.get(expected);
      if (e.seq < expected) report('reordered', p, expected, `seq ${e.seq} appears after seq ${lastSeq}`);
      else if (later !== undefined && later > p.index) report('reordered', p, expected, `seq ${e.seq} appears where seq ${expected} was expected; ${expected} is at line ${later + 1}`);
      else report('missing', p, expected, `seq ${expected}${e.seq > expected + 1 ? `..${e.seq - 1}` : ''} missing: seq ${e.seq} follows seq ${lastSeq}`);
    } else if (e.prev !== head) {
      report('broken-link', p, expected, `prev does not equal the hash of seq ${lastSeq}`);
    } else if (tornRecord(e)) {
      recoveredTorn++;
    }
    // Continue from this entry whatever it said, so one bad entry is reported once.
    lastSeq = e.seq;
    head = e.hash;
    if (problems.length === before) hashes.add(e.hash);
  }
  const mode = lines.find((p) => p.entry?.kind === 'audit-open')?.entry?.fields.mode === 'hmac-sha256' ? 'hmac-sha256' : 'sha256';
  const missingAnchors = o.anchors?.filter((a) => !hashes.has(a.toLowerCase()));
  return {
    ok: problems.length === 0 && (missingAnchors?.length ?? 0) === 0,
    path, mode, entries, lastSeq, head,
    firstBadSeq: problems.length ? Math.min(...problems.map((x) => x.seq)) : null,
    problems, recoveredTorn,
    ...(missingAnchors ? { missingAnchors } : {}),
  };
}
