/**
 * How identity and template rows are stored: as given (plain gallery) or sealed (encrypted
 * gallery). The store passes every row through one codec, so the rest of the gallery only ever
 * sees plain values and does not know which kind of gallery it runs on.
 *
 * Encrypted layout (same schema as plain, so one SQL set serves both):
 *   identities.id       HMAC(id)             lookup key; the id itself is in the sealed record
 *   identities.metadata 'sealed:' + base64   {id, name, metadata, enabled, validity}, AAD = row key
 *   identities.name/enabled/valid_*          constants (NULL / 1), never the real values
 *   templates.identity_id HMAC(id); templates.digest HMAC(vector bytes)
 *   templates.embedding sealed float32 vector, AAD = (template id, identity key, kind)
 *   templates.source    sealed, AAD = template id
 */
import { createHash } from 'node:crypto';
import { FaceGateError } from '../errors.ts';
import type { GalleryCipher } from '../security/gallery-cipher.ts';
import { blobToVector, vectorDigest, vectorToBlob } from './vectors.ts';

export interface IdentityRow {
  id: string;
  name: string | null;
  metadata: string;
  enabled: number;
  valid_from: number | null;
  valid_until: number | null;
  created: number;
  updated: number;
}

export type TemplateKind = 'sample' | 'centre';

export interface RecordCodec {
  readonly encrypted: boolean;
  /** Stored identity key (the lookup column) of an identity id. */
  idKey(id: string): string;
  /** Duplicate-detection digest of a unit vector (keyed when encrypted). */
  digest(v: Float32Array): string;
  encodeIdentity(row: IdentityRow): IdentityRow;
  decodeIdentity(stored: IdentityRow): IdentityRow;
  encodeVector(templateId: number, idKey: string, kind: TemplateKind, v: Float32Array): Buffer;
  decodeVector(templateId: number, idKey: string, kind: TemplateKind, blob: Uint8Array, dim: number): Float32Array;
  encodeSource(templateId: number, source: string | null): string | null;
  decodeSource(templateId: number, stored: string | null): string | null;
}

/** Bytes of the row digest a plain gallery appends to each template blob. */
export const ROW_DIGEST_BYTES = 16;
/** meta row_binding value: template blobs carry the row digest (plain) or an AAD (encrypted). */
export const ROW_BINDING = 'sha256-row/1';

/** Digest binding a plain template's vector bytes to its row: id, identity and kind. */
function rowDigest(templateId: number, identityId: string, kind: TemplateKind, vectorBytes: Uint8Array): Buffer {
  return createHash('sha256').update(`template\0${templateId}\0${identityId}\0${kind}\0`).update(vectorBytes).digest().subarray(0, ROW_DIGEST_BYTES);
}

function checkIdentityRow(row: IdentityRow): IdentityRow {
  if (typeof row.id !== 'string' || typeof row.metadata !== 'string' || (row.name !== null && typeof row.name !== 'string')
    || (row.enabled !== 0 && row.enabled !== 1) || !Number.isSafeInteger(row.created) || !Number.isSafeInteger(row.updated)
    || (row.valid_from !== null && !Number.isSafeInteger(row.valid_from)) || (row.valid_until !== null && !Number.isSafeInteger(row.valid_until))) {
    throw corrupt(`identity row ${typeof row.id === 'string' ? `'${row.id}' ` : ''}has invalid fields`);
  }
  return row;
}

/**
 * Plain gallery: fields as given; each template blob is the float32 vector followed by a digest of
 * (template id, identity, kind, vector), so a row edited or moved by hand is found on read. The
 * digest is unkeyed: it catches damage and naive edits, not a forger who knows the scheme (an
 * encrypted gallery's keyed AAD does that).
 */
export const plainCodec: RecordCodec = {
  encrypted: false,
  idKey: (id) => id,
  digest: vectorDigest,
  encodeIdentity: (row) => row,
  decodeIdentity: checkIdentityRow,
  encodeVector: (t, key, kind, v) => {
    const bytes = vectorToBlob(v);
    return Buffer.concat([bytes, rowDigest(t, key, kind, bytes)]);
  },
  decodeVector: (t, key, kind, blob, dim) => {
    if (!(blob instanceof Uint8Array) || blob.byteLength !== dim * 4 + ROW_DIGEST_BYTES) {
      throw corrupt(`template ${t}: blob is ${blob instanceof Uint8Array ? `${blob.byteLength} bytes, expected ${dim * 4 + ROW_DIGEST_BYTES}` : 'missing'}`);
    }
    const bytes = blob.subarray(0, dim * 4);
    if (!rowDigest(t, key, kind, bytes).equals(blob.subarray(dim * 4))) {
      throw corrupt(`template ${t} does not match its row digest (the row was damaged, edited or moved to another identity)`);
    }
    return blobToVector(bytes, dim);
  },
  encodeSource: (_t, s) => s,
  decodeSource: (_t, s) => s,
};

/** Plain templates as stored before row digests (read once, to add them). */
export const legacyPlainCodec: RecordCodec = {
  ...plainCodec,
  encodeVector: (_t, _i, _k, v) => vectorToBlob(v),
  decodeVector: (_t, _i, _k, blob, dim) => blobToVector(blob, dim),
};

const SEALED = 'sealed:';

/** What the sealed record holds: every field but the timestamps. */
type SealedIdentity = Omit<IdentityRow, 'created' | 'updated'>;

function corrupt(msg: string): FaceGateError {
  return new FaceGateError('FG_GALLERY_CORRUPT', msg);
}

export function sealedCodec(cipher: GalleryCipher): RecordCodec {
  // An id's key is looked up several times per change and once per identity at every open.
  const keys = new Map<string, string>();
  const idKey = (id: string): string => {
    let k = keys.get(id);
    if (k === undefined) {
      k = cipher.mac('identity', id);
      keys.set(id, k);
    }
    return k;
  };
  const identityAad = (key: string): string => `identity\0${key}`;
  const vectorAad = (t: number, key: string, kind: TemplateKind): string => `template\0${t}\0${key}\0${kind}`;
  const sourceAad = (t: number): string => `source\0${t}`;
  return {
    encrypted: true,
    idKey,
    digest: (v) => cipher.mac('digest', vectorToBlob(v)),
    encodeIdentity(row) {
      const key = idKey(row.id);
      const rec: SealedIdentity = { id: row.id, name: row.name, metadata: row.metadata, enabled: row.enabled, valid_from: row.valid_from, valid_until: row.valid_until };
      return { id: key, name: null, metadata: SEALED + cipher.sealText(JSON.stringify(rec), identityAad(key)), enabled: 1, valid_from: null, valid_until: null,
        created: row.created, updated: row.updated };
    },
    decodeIdentity(stored) {
      if (!stored.metadata.startsWith(SEALED)) throw corrupt('identity row of an encrypted gallery is not sealed');
      const rec = JSON.parse(cipher.openText(stored.metadata.slice(SEALED.length), identityAad(stored.id))) as SealedIdentity;
      if (typeof rec.id !== 'string' || idKey(rec.id) !== stored.id) throw corrupt('sealed identity does not belong to its row');
      return { ...rec, created: stored.created, updated: stored.updated };
    },
    encodeVector: (t, key, kind, v) => cipher.seal(vectorToBlob(v), vectorAad(t, key, kind)),
    decodeVector: (t, key, kind, blob, dim) => blobToVector(cipher.open(blob, vectorAad(t, key, kind)), dim),
    encodeSource: (t, s) => (s === null ? null : cipher.sealText(s, sourceAad(t))),
    decodeSource: (t, s) => (s === null ? null : cipher.openText(s, sourceAad(t))),
  };
}
