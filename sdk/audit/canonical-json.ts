/**
 * Canonical JSON for hashing: object keys sorted, no whitespace, numbers as JSON.stringify writes
 * them. One value has exactly one encoding, so a verifier re-encodes what it parsed and compares
 * bytes: any edit that keeps the JSON valid still changes the bytes or the hash.
 */
import { FaceGateError } from '../errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

function fail(path: string, what: string): never {
  throw new FaceGateError('FG_INPUT_INVALID', `audit field ${path || '(root)'}: ${what} cannot be encoded`);
}

function encode(v: unknown, path: string, out: string[]): void {
  if (v === null) { out.push('null'); return; }
  switch (typeof v) {
    case 'boolean': out.push(v ? 'true' : 'false'); return;
    case 'string': out.push(JSON.stringify(v)); return;
    case 'number':
      if (!Number.isFinite(v)) fail(path, String(v));
      out.push(JSON.stringify(v));
      return;
    case 'object': break;
    default: fail(path, typeof v);
  }
  if (Array.isArray(v)) {
    out.push('[');
    v.forEach((x, i) => {
      if (i) out.push(',');
      if (x === undefined) fail(`${path}[${i}]`, 'undefined');
      encode(x, `${path}[${i}]`, out);
    });
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) fail(path, `a ${proto?.constructor?.name ?? 'non-plain'} object`);
  const rec = v as Record<string, unknown>;
  // Undefined properties are left out, as JSON.stringify does.
  const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
  out.push('{');
  keys.forEach((k, i) => {
    if (i) out.push(',');
    out.push(JSON.stringify(k), ':');
    encode(rec[k], path ? `${path}.${k}` : k, out);
  });
  out.push('}');
}

/** The canonical encoding of a JSON value; throws FG_INPUT_INVALID for NaN, Infinity, functions, class instances. */
export function canonicalJson(v: unknown): string {
  const out: string[] = [];
  encode(v, '', out);
  return out.join('');
}
