/**
 * One audit entry and its hash. A line of the log is
 *   {"seq":n,"time":"ISO","kind":"...","fields":{...},"prev":"<hex>","hash":"<hex>"}
 * with `fields` in canonical JSON, and
 *   hash = SHA-256(DOMAIN || canonicalJson({fields, kind, prev, seq, time}))
 * or HMAC-SHA-256 with the log key when one is configured. `prev` is the previous entry's hash
 * (GENESIS for the first), so changing, removing or reordering an entry breaks the chain there.
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalJson, type JsonValue } from './canonical-json.ts';

export const DOMAIN = 'facegate-audit/1\n';
/** `prev` of the first entry. */
export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  time: string;
  kind: string;
  fields: { [k: string]: JsonValue };
  prev: string;
  hash: string;
}

export type UnsealedEntry = Omit<AuditEntry, 'hash'>;

export function entryHash(e: UnsealedEntry, key?: Uint8Array): string {
  const body = DOMAIN + canonicalJson({ fields: e.fields, kind: e.kind, prev: e.prev, seq: e.seq, time: e.time });
  return (key ? createHmac('sha256', key) : createHash('sha256')).update(body, 'utf8').digest('hex');
}

/** The exact bytes of an entry's line (without the newline). */
export function serializeEntry(e: AuditEntry): string {
  return `{"seq":${e.seq},"time":${JSON.stringify(e.time)},"kind":${JSON.stringify(e.kind)},"fields":${canonicalJson(e.fields)},"prev":"${e.prev}","hash":"${e.hash}"}`;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parses a line back into an entry, or returns the reason it is not one. A line is only accepted
 * if re-serialising the parsed entry gives the same bytes (no extra keys, spaces or escapes).
 */
export function parseEntry(line: string): AuditEntry | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return 'seq is not a positive integer';
  if (typeof o.time !== 'string' || typeof o.kind !== 'string') return 'time or kind is not a string';
  if (typeof o.fields !== 'object' || o.fields === null || Array.isArray(o.fields)) return 'fields is not an object';
  if (typeof o.prev !== 'string' || !HEX64.test(o.prev) || typeof o.hash !== 'string' || !HEX64.test(o.hash)) return 'prev or hash is not 64 lowercase hex digits';
  const e = o as unknown as AuditEntry;
  let again: string;
  try {
    again = serializeEntry(e);
  } catch {
    return 'fields cannot be encoded';
  }
  return again === line ? e : 'not in canonical form';
}
