/**
 * Confidentiality of enrolment on the wire: the body of every snapshot chunk and delta (identity
 * ids, names, metadata, templates) is sealed with AES-256-GCM under the fleet's enrolment key,
 * which every device of the site holds (32 bytes, the site-key file format, mode 0600). The
 * Ed25519 signature still covers the whole envelope (encrypt, then sign), so a device verifies
 * before it decrypts.
 *
 * Key per site: HKDF(key, "facegate-enrollment-aes/1", site). AAD: format, site, kind, version
 * and chunk index, so a sealed body cannot be moved to another site, version or chunk. The nonce
 * is 12 random bytes per message. Body on the wire: nonce | ciphertext | tag.
 *
 * Rotation and revoking a device: make a new key, give it to the devices that stay (they may hold
 * several keys: old and new), publish a snapshot under the new key, then drop the old key. The
 * header names the key (`enc.kid`), so a device picks the right one; a revoked device holds none
 * that opens the new messages.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { FaceGateError } from '../errors.ts';
import { loadSiteKey, type SiteKey } from '../security/site-key.ts';

export const ENROLLMENT_CIPHER = 'A256GCM';
const NONCE = 12;
const TAG = 16;
export const SEAL_OVERHEAD = NONCE + TAG;

export interface BodyContext {
  site: string;
  kind: 'snapshot' | 'chunk' | 'delta';
  version: number;
  index?: number;
}

function aad(c: BodyContext): Buffer {
  return Buffer.from(`facegate-enrollment-body/1\0${c.site}\0${c.kind}\0${c.version}\0${c.index ?? ''}`, 'utf8');
}

export class EnrollmentKey {
  /** Public key id (16 hex): names the key in headers, reveals nothing of it. */
  readonly kid: string;
  readonly source: string;
  readonly #key: SiteKey;
  readonly #perSite = new Map<string, Buffer>();

  constructor(key: SiteKey) {
    this.#key = key;
    this.source = key.source;
    this.kid = createHash('sha256').update(key.derive('facegate-enrollment-kid/1', 'kid')).digest('hex').slice(0, 16);
  }

  static load(path: string): EnrollmentKey {
    return new EnrollmentKey(loadSiteKey({ keyFile: path, env: {} })!);
  }

  #aesKey(site: string): Buffer {
    let k = this.#perSite.get(site);
    if (!k) {
      k = this.#key.derive('facegate-enrollment-aes/1', site);
      this.#perSite.set(site, k);
    }
    return k;
  }

  seal(body: Uint8Array, c: BodyContext): Buffer {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.#aesKey(c.site), nonce);
    cipher.setAAD(aad(c));
    const ct = Buffer.concat([cipher.update(body), cipher.final()]);
    return Buffer.concat([nonce, ct, cipher.getAuthTag()]);
  }

  /** Throws FG_SYNC_REJECTED-compatible errors are the caller's job; this throws a plain Error when authentication fails. */
  open(sealed: Uint8Array, c: BodyContext): Buffer {
    if (sealed.length < SEAL_OVERHEAD) throw new Error('sealed body is truncated');
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = createDecipheriv('aes-256-gcm', this.#aesKey(c.site), buf.subarray(0, NONCE));
    d.setAAD(aad(c));
    d.setAuthTag(buf.subarray(buf.length - TAG));
    return Buffer.concat([d.update(buf.subarray(NONCE, buf.length - TAG)), d.final()]);
  }

  toJSON(): { kid: string; source: string } {
    return { kid: this.kid, source: this.source };
  }
}

/** Keys from files; the first seals (publisher), all open (devices during a rotation). */
export function loadEnrollmentKeys(paths: readonly string[]): EnrollmentKey[] {
  const keys = paths.map((p) => EnrollmentKey.load(p));
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.kid)) throw new FaceGateError('FG_INPUT_INVALID', `enrolment key ${k.source} is given twice`);
    seen.add(k.kid);
  }
  return keys;
}
