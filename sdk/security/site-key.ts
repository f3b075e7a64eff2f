/**
 * The site key: 32 secret bytes from which every gallery key is derived (HKDF, per gallery).
 * Read from a file (raw 32 bytes, or 44 base64 characters with an optional trailing newline)
 * or from FACEGATE_GALLERY_KEY (base64). A key file that group or others may read or write is
 * refused: a key anyone on the box can read protects nothing.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { inspect } from 'node:util';
import { FaceGateError } from '../errors.ts';

export const KEY_BYTES = 32;
export const KEY_ENV = 'FACEGATE_GALLERY_KEY';

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

function keyError(message: string, details?: Record<string, unknown>): FaceGateError {
  return new FaceGateError('FG_GALLERY_KEY', message, details ? { details } : undefined);
}

/** 32 key bytes. Never printed: inspect/JSON show only where the key came from. */
export class SiteKey {
  readonly source: string;
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array, source: string) {
    if (bytes.length !== KEY_BYTES) throw keyError(`${source}: a site key is ${KEY_BYTES} bytes, got ${bytes.length}`);
    this.#bytes = Buffer.from(bytes); // own copy: the caller may wipe its buffer
    this.source = source;
  }

  /** A fresh random key (for `keygen`-style tooling and tests). */
  static generate(source = 'generated'): SiteKey {
    return new SiteKey(randomBytes(KEY_BYTES), source);
  }

  /** HKDF-SHA256 sub-key: `info` names the purpose, `salt` the gallery, so no two uses share a key. */
  derive(info: string, salt: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#bytes, salt, info, length));
  }

  /** Copy of the key bytes (to hand to a worker thread); wipe it after use. */
  exportBytes(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }

  toJSON(): { source: string } {
    return { source: this.source };
  }

  [inspect.custom](): string {
    return `SiteKey(${this.source})`;
  }
}

/** Raw 32 bytes, or base64 of 32 bytes (surrounding whitespace, e.g. a trailing newline, ignored). */
export function parseSiteKey(data: Uint8Array, what: string): SiteKey {
  if (data.length === KEY_BYTES) return new SiteKey(data, what);
  const text = Buffer.from(data).toString('latin1').trim();
  if (BASE64_KEY.test(text)) return new SiteKey(Buffer.from(text, 'base64'), what);
  throw keyError(`${what}: expected ${KEY_BYTES} raw bytes or ${KEY_BYTES} bytes as base64 (44 characters), got ${data.length} bytes`);
}

function modeString(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * The site key from `keyFile`, else from `env[FACEGATE_GALLERY_KEY]`; null when neither is set
 * (a plain gallery). `env` defaults to process.env.
 */
export function loadSiteKey(opts: { keyFile?: string; env?: NodeJS.ProcessEnv } = {}): SiteKey | null {
  if (opts.keyFile !== undefined) return readKeyFile(opts.keyFile);
  const text = (opts.env ?? process.env)[KEY_ENV];
  if (text === undefined || text === '') return null;
  const trimmed = text.trim();
  if (!BASE64_KEY.test(trimmed)) throw keyError(`${KEY_ENV}: expected ${KEY_BYTES} bytes as base64 (44 characters), got ${trimmed.length} characters`);
  return new SiteKey(Buffer.from(trimmed, 'base64'), `environment ${KEY_ENV}`);
}

function readKeyFile(path: string): SiteKey {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw keyError(code === 'ENOENT' ? `key file ${path} does not exist` : `key file ${path} cannot be read (${code ?? 'error'})`, { path });
  }
  if (!st.isFile()) throw keyError(`key file ${path} is not a regular file`, { path });
  if ((st.mode & 0o077) !== 0) {
    throw keyError(`key file ${path} has mode ${modeString(st.mode)}: group or others may access it; allow the owner only (chmod 600 ${path})`,
      { path, mode: modeString(st.mode) });
  }
  if (st.size > 4096) throw keyError(`key file ${path}: ${st.size} bytes is not a key (expected ${KEY_BYTES} raw bytes or 44 base64 characters)`, { path });
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    throw keyError(`key file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { path });
  }
  try {
    return parseSiteKey(data, `key file ${path}`);
  } finally {
    data.fill(0);
  }
}
