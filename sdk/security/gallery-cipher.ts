/**
 * Gallery encryption: AES-256-GCM for records and files, HMAC-SHA256 for the deterministic
 * lookup columns (identity id, template digest), and a key check value that tells a wrong key
 * from a corrupt record before anything is read or written.
 *
 * All three keys are HKDF sub-keys of the site key, salted with the gallery id: galleries sharing
 * a site key share no record key, and equal identity ids give unrelated lookup values in two
 * galleries. Each record is sealed with a random 96-bit nonce and an AAD naming the table and row
 * it belongs to, so a ciphertext moved to another row (e.g. one person's template onto another
 * identity) fails authentication instead of decrypting.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { FaceGateError, errorMessage } from '../errors.ts';
import type { SiteKey } from './site-key.ts';

export const CIPHER_NAME = 'aes-256-gcm+hkdf-sha256/v1';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;
/** Sealed record: version byte, nonce, ciphertext, tag. */
export const SEAL_OVERHEAD = 1 + NONCE + TAG;
const FILE_MAGIC = Buffer.from('FGE1', 'latin1');
const FILE_HEADER = FILE_MAGIC.length + NONCE;

// Nonces come from a pool filled by the CSPRNG 256 at a time: one randomBytes call per record
// was a measurable share of bulk enrolment. Each nonce is still 96 fresh random bits.
let noncePool = Buffer.alloc(0);
let nonceAt = 0;
function freshNonce(): Buffer {
  if (nonceAt + NONCE > noncePool.length) {
    noncePool = randomBytes(NONCE * 256);
    nonceAt = 0;
  }
  const n = noncePool.subarray(nonceAt, nonceAt + NONCE);
  nonceAt += NONCE;
  return n;
}

function aadBytes(aad: string): Buffer {
  return Buffer.from(aad, 'utf8');
}

export class GalleryCipher {
  readonly checkValue: string;
  readonly #enc: Buffer;
  readonly #mac: Buffer;

  private constructor(enc: Buffer, mac: Buffer, check: string) {
    this.#enc = enc;
    this.#mac = mac;
    this.checkValue = check;
  }

  static derive(key: SiteKey, galleryId: string): GalleryCipher {
    const enc = key.derive('facegate gallery record key v1', galleryId);
    const mac = key.derive('facegate gallery lookup key v1', galleryId);
    const check = createHmac('sha256', key.derive('facegate gallery key check v1', galleryId)).update('key check').digest('hex').slice(0, 32);
    return new GalleryCipher(enc, mac, check);
  }

  /** Constant-time comparison with a stored check value. */
  matches(stored: string): boolean {
    const a = Buffer.from(this.checkValue, 'utf8');
    const b = Buffer.from(stored, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  seal(plain: Uint8Array, aad: string): Buffer {
    const nonce = freshNonce();
    const c = createCipheriv('aes-256-gcm', this.#enc, nonce);
    c.setAAD(aadBytes(aad));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, c.getAuthTag()]);
  }

  /** Decrypts and authenticates; a changed, truncated or moved record is FG_GALLERY_CORRUPT. */
  open(sealed: Uint8Array, aad: string): Buffer {
    if (sealed.length < SEAL_OVERHEAD || sealed[0] !== VERSION) {
      throw new FaceGateError('FG_GALLERY_CORRUPT', `sealed record (${aad.split('\0')[0]}) is malformed`);
    }
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = createDecipheriv('aes-256-gcm', this.#enc, buf.subarray(1, 1 + NONCE));
    d.setAAD(aadBytes(aad));
    d.setAuthTag(buf.subarray(buf.length - TAG));
    try {
      return Buffer.concat([d.update(buf.subarray(1 + NONCE, buf.length - TAG)), d.final()]);
    } catch {
      throw new FaceGateError('FG_GALLERY_CORRUPT', `sealed record (${aad.split('\0')[0]}) failed authentication: changed, or moved from another row`);
    }
  }

  sealText(text: string, aad: string): string {
    return this.seal(Buffer.from(text, 'utf8'), aad).toString('base64');
  }

  openText(b64: string, aad: string): string {
    return this.open(Buffer.from(b64, 'base64'), aad).toString('utf8');
  }

  /** Keyed lookup value (128-bit HMAC, hex); `domain` separates id lookups from digest lookups. */
  mac(domain: string, data: string | Uint8Array): string {
    return createHmac('sha256', this.#mac).update(domain).update('\0').update(data).digest('hex').slice(0, 32);
  }

  /** Streams `src` into `dst` as magic, nonce, AES-GCM ciphertext, tag (dst created 0600). */
  async sealFile(src: string, dst: string, aad: string): Promise<void> {
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', this.#enc, nonce);
    c.setAAD(aadBytes(aad));
    const out = createWriteStream(dst, { mode: 0o600 });
    out.write(Buffer.concat([FILE_MAGIC, nonce]));
    await pipeline(createReadStream(src, { highWaterMark: 1 << 20 }), c, out, { end: false });
    await new Promise<void>((resolve, reject) => out.end(c.getAuthTag(), (e?: Error | null) => (e ? reject(e) : resolve())));
  }

  /**
   * Streams a sealed file back to plain text in `dst` (0600). The tag is checked at the end: on
   * failure dst holds unauthenticated bytes and the caller must delete it (it throws).
   */
  async openFile(src: string, dst: string, aad: string): Promise<void> {
    const { size } = await stat(src);
    if (size < FILE_HEADER + TAG) throw new FaceGateError('FG_GALLERY_CORRUPT', `sealed file ${src} is truncated`);
    const head = Buffer.alloc(FILE_HEADER);
    const tag = Buffer.alloc(TAG);
    const fh = await open(src, 'r');
    try {
      await fh.read(head, 0, FILE_HEADER, 0);
      await fh.read(tag, 0, TAG, size - TAG);
    } finally {
      await fh.close();
    }
    if (!head.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) throw new FaceGateError('FG_GALLERY_CORRUPT', `${src} is not a sealed FaceGate file`);
    const d = createDecipheriv('aes-256-gcm', this.#enc, head.subarray(FILE_MAGIC.length));
    d.setAAD(aadBytes(aad));
    d.setAuthTag(tag);
    try {
      const body = size - TAG - FILE_HEADER;
      const input = body > 0 ? createReadStream(src, { start: FILE_HEADER, end: FILE_HEADER + body - 1, highWaterMark: 1 << 20 }) : [Buffer.alloc(0)];
      await pipeline(input, d, createWriteStream(dst, { mode: 0o600 }));
    } catch (e) {
      throw new FaceGateError('FG_GALLERY_CORRUPT', `sealed file ${src} failed authentication: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Best effort: overwrite the key material held by this object. */
  destroy(): void {
    this.#enc.fill(0);
    this.#mac.fill(0);
  }
}
