/**
 * Console credentials file: the admin password (scrypt) and API tokens (SHA-256 of 32 random
 * bytes: a token has full entropy, so a fast hash is enough and lets each request be checked in
 * microseconds). Written atomically with mode 0600; plaintext passwords and tokens are never stored.
 */
import { randomBytes, scrypt, createHash, timingSafeEqual, randomUUID } from 'node:crypto';
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FaceGateError } from '../../sdk/errors.ts';

export const CREDENTIALS_FILE = 'console-credentials.json';
export type Scope = 'read' | 'enrol' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'enrol', 'admin'];

/** scrypt cost: N=2^15, r=8, p=1 (32 MiB, ~50-100 ms here): slow for guessing, fine for a login. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 };

interface PasswordHash { algo: 'scrypt'; N: number; r: number; p: number; salt: string; hash: string }
export interface TokenRecord { id: string; name: string; scope: Scope; sha256: string; created: string; revoked: string | null }
interface CredentialsFile { version: 1; admin: { user: string; password: PasswordHash } | null; tokens: TokenRecord[] }

export function defaultCredentialsPath(galleryDir: string): string {
  return join(dirname(resolve(galleryDir)), CREDENTIALS_FILE);
}

function derive(password: string, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((res, rej) => scrypt(password, salt, SCRYPT.keylen, { N: p.N, r: p.r, p: p.p, maxmem: SCRYPT.maxmem }, (e, k) => (e ? rej(e) : res(k))));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const MIN_PASSWORD_LENGTH = 10;

export class Credentials {
  #data: CredentialsFile;
  private constructor(readonly path: string, data: CredentialsFile) {
    this.#data = data;
  }

  static async open(path: string): Promise<Credentials> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Credentials(path, { version: 1, admin: null, tokens: [] });
      throw new FaceGateError('FG_CONFIG_INVALID', `console credentials ${path}: ${(e as Error).message}`);
    }
    try {
      const d = JSON.parse(text) as CredentialsFile;
      if (d.version !== 1 || !Array.isArray(d.tokens)) throw new Error('not a FaceGate console credentials file');
      return new Credentials(path, d);
    } catch (e) {
      throw new FaceGateError('FG_CONFIG_INVALID', `console credentials ${path}: ${(e as Error).message}`);
    }
  }

  get hasAdmin(): boolean {
    return this.#data.admin !== null;
  }

  get adminUser(): string | null {
    return this.#data.admin?.user ?? null;
  }

  async setAdminPassword(password: string, user = 'admin'): Promise<void> {
    if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
      throw new FaceGateError('FG_INPUT_INVALID', `the admin password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const salt = randomBytes(16);
    const hash = await derive(password, salt, SCRYPT);
    this.#data.admin = { user, password: { algo: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64'), hash: hash.toString('base64') } };
    await this.#save();
  }

  /** Constant-time check; false (never an error) for an unknown user or no admin set. */
  async verifyAdmin(user: string, password: string): Promise<boolean> {
    const a = this.#data.admin;
    // Derive even when there is no admin, so timing does not tell whether one exists.
    const stored = a ? Buffer.from(a.password.hash, 'base64') : Buffer.alloc(SCRYPT.keylen);
    const k = await derive(String(password), a ? Buffer.from(a.password.salt, 'base64') : Buffer.alloc(16), a?.password ?? SCRYPT);
    return a !== null && user === a.user && k.length === stored.length && timingSafeEqual(k, stored);
  }

  /** A new token; the plaintext is returned once and only its hash is kept. */
  async createToken(name: string, scope: Scope): Promise<{ token: string; record: TokenRecord }> {
    if (!SCOPES.includes(scope)) throw new FaceGateError('FG_INPUT_INVALID', `token scope must be one of ${SCOPES.join(', ')}, got "${String(scope)}"`);
    if (typeof name !== 'string' || !name.trim() || name.length > 64) throw new FaceGateError('FG_INPUT_INVALID', 'token name: 1 to 64 characters');
    const token = `fgt_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = { id: randomUUID(), name: name.trim(), scope, sha256: sha256(token), created: new Date().toISOString(), revoked: null };
    this.#data.tokens.push(record);
    await this.#save();
    return { token, record };
  }

  async revokeToken(id: string): Promise<TokenRecord> {
    const t = this.#data.tokens.find((x) => x.id === id);
    if (!t) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no API token '${id}'`);
    if (!t.revoked) {
      t.revoked = new Date().toISOString();
      await this.#save();
    }
    return t;
  }

  tokens(): Omit<TokenRecord, 'sha256'>[] {
    return this.#data.tokens.map(({ sha256: _h, ...t }) => t);
  }

  /** The live (not revoked) token with this plaintext, or null. */
  findToken(token: string): TokenRecord | null {
    const h = Buffer.from(sha256(token), 'hex');
    for (const t of this.#data.tokens) {
      if (!t.revoked && timingSafeEqual(h, Buffer.from(t.sha256, 'hex'))) return t;
    }
    return null;
  }

  async #save(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.#data, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.path);
  }
}

export function scopeAllows(have: Scope, need: Scope): boolean {
  return SCOPES.indexOf(have) >= SCOPES.indexOf(need);
}
