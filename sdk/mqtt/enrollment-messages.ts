/**
 * Signed enrolment messages: snapshot manifest, snapshot chunk and delta.
 *
 * Every message is one envelope (docs/mqtt.md):
 *   "FGE1" | Ed25519 signature (64 B) | u32 LE header length | header JSON | body
 * The signature covers a domain tag followed by everything after the signature, so the header
 * (site, version, model, hashes) and the body are both authenticated. The header names the site
 * and version, and the device checks them against the topic, so a message cannot be moved to
 * another site or version.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { FaceGateError } from '../errors.ts';
import { keyId } from './enrollment-keys.ts';
import { ENROLLMENT_CIPHER, type BodyContext, type EnrollmentKey } from './enrollment-cipher.ts';
import {
  compareIdentities, encodeRecord, identityBytes, packChunks, scanRecords, decodeSpan, MAX_IDENTITY_BYTES,
  type RecordSpan, type TemplateEncoding, type TemplateRecord,
} from './template-codec.ts';

export const MAGIC = Buffer.from('FGE1', 'ascii');
const DOMAIN = Buffer.from('facegate-enrollment/1\n', 'ascii');
const SIG_BYTES = 64;
const PREFIX_BYTES = MAGIC.length + SIG_BYTES + 4;

/** Largest MQTT payload of any enrolment message (the protocol's chunk limit). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_HEADER_BYTES = 8 * 1024;
/** Room left in a message for records once the envelope and header are counted. */
export const MAX_BODY_BYTES = MAX_MESSAGE_BYTES - PREFIX_BYTES - MAX_HEADER_BYTES;

export type RejectReason =
  | 'unsigned' | 'bad-signature' | 'malformed' | 'too-large' | 'wrong-site' | 'wrong-model'
  | 'replay' | 'rollback' | 'hash-mismatch' | 'unexpected' | 'incomplete' | 'fork' | 'apply-failed'
  | 'undecryptable' | 'unencrypted';

/** A rejected enrolment message. `reason` is stable and is what the device's event reports. */
export class SyncRejection extends FaceGateError {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super('FG_SYNC_REJECTED', message, { details: { reason } });
    this.reason = reason;
  }
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(0).max(100_000_000);
const site = z.string().min(1).max(64);
const model = {
  modelId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/),
  dim: z.number().int().min(8).max(4096),
  encoding: z.enum(['f16', 'i8']),
};
const common = {
  format: z.literal(1), site, keyId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Body sealed to the fleet (enrollment-cipher.ts); absent: plain body. */
  enc: z.object({ alg: z.literal(ENROLLMENT_CIPHER), kid: z.string().regex(/^[0-9a-f]{16}$/) }).strict().optional(),
};

export const ManifestHeader = z.object({
  kind: z.literal('snapshot'), ...common, version, ...model,
  identities: count, templates: count, chunks: z.number().int().min(0).max(65_536),
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), contentSha256: hex64,
  createdAt: z.string().max(40),
}).strict();
export type ManifestHeader = z.infer<typeof ManifestHeader>;

export const ChunkHeader = z.object({
  kind: z.literal('chunk'), ...common, version,
  index: z.number().int().min(0).max(65_535), chunks: z.number().int().min(1).max(65_536),
  records: count, sha256: hex64,
}).strict();
export type ChunkHeader = z.infer<typeof ChunkHeader>;

export const DeltaHeader = z.object({
  kind: z.literal('delta'), ...common, version, prevVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ...model, upserts: count, removes: count, sha256: hex64, createdAt: z.string().max(40),
}).strict();
export type DeltaHeader = z.infer<typeof DeltaHeader>;

const Header = z.discriminatedUnion('kind', [ManifestHeader, ChunkHeader, DeltaHeader]);
type Header = z.infer<typeof Header>;

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function signedBytes(rest: Uint8Array): Buffer {
  return Buffer.concat([DOMAIN, rest]);
}

function bodyContext(h: Header): BodyContext {
  return { site: h.site, kind: h.kind, version: h.version, index: h.kind === 'chunk' ? h.index : undefined };
}

/** Builds a signed envelope; with `fleetKey` the body is sealed first (encrypt, then sign). */
export function sealEnvelope(header: Header, body: Uint8Array, privateKey: KeyObject, fleetKey?: EnrollmentKey): Buffer {
  if (fleetKey) {
    header = { ...header, enc: { alg: ENROLLMENT_CIPHER, kid: fleetKey.kid } };
    body = fleetKey.seal(body, bodyContext(header));
  }
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  if (h.length > MAX_HEADER_BYTES) throw new FaceGateError('FG_INPUT_INVALID', `enrolment header of ${h.length} bytes exceeds ${MAX_HEADER_BYTES}`);
  const rest = Buffer.alloc(4 + h.length + body.length);
  rest.writeUInt32LE(h.length, 0);
  rest.set(h, 4);
  rest.set(body, 4 + h.length);
  const signature = sign(null, signedBytes(rest), privateKey);
  const out = Buffer.concat([MAGIC, signature, rest]);
  if (out.length > MAX_MESSAGE_BYTES) throw new FaceGateError('FG_INPUT_INVALID', `enrolment message of ${out.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  return out;
}

/**
 * Checks size, envelope and signature (against every trusted key) before parsing anything, then
 * validates the header. Throws SyncRejection.
 */
export function openEnvelope(payload: Uint8Array, publicKeys: readonly KeyObject[], fleetKeys: readonly EnrollmentKey[] = []): { header: Header; body: Buffer } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length > MAX_MESSAGE_BYTES) throw new SyncRejection('too-large', `message of ${buf.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  if (buf.length < PREFIX_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SyncRejection('unsigned', 'not a signed enrolment message (no FGE1 envelope)');
  }
  const signature = buf.subarray(MAGIC.length, MAGIC.length + SIG_BYTES);
  const rest = buf.subarray(MAGIC.length + SIG_BYTES);
  const data = signedBytes(rest);
  if (!publicKeys.some((k) => verify(null, data, k, signature))) {
    throw new SyncRejection('bad-signature', 'signature does not verify with any trusted enrolment key');
  }
  const hLen = rest.readUInt32LE(0);
  if (hLen > MAX_HEADER_BYTES || 4 + hLen > rest.length) throw new SyncRejection('malformed', `header length ${hLen} is out of range`);
  let json: unknown;
  try {
    json = JSON.parse(rest.subarray(4, 4 + hLen).toString('utf8'));
  } catch {
    throw new SyncRejection('malformed', 'header is not JSON');
  }
  const parsed = Header.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new SyncRejection('malformed', `header ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const header = parsed.data;
  const body = rest.subarray(4 + hLen);
  if (!header.enc) {
    // A device holding a fleet key takes no plain enrolment: nothing can downgrade it to clear text.
    if (fleetKeys.length > 0) throw new SyncRejection('unencrypted', `${header.kind} ${header.version} is not encrypted to the fleet; this device only takes encrypted enrolment`);
    return { header, body };
  }
  const key = fleetKeys.find((k) => k.kid === header.enc!.kid);
  if (!key) throw new SyncRejection('undecryptable', `${header.kind} ${header.version} is sealed under enrolment key ${header.enc.kid}, which this device does not hold`);
  try {
    return { header, body: key.open(body, bodyContext(header)) };
  } catch {
    throw new SyncRejection('undecryptable', `${header.kind} ${header.version} body failed authentication under enrolment key ${header.enc.kid}`);
  }
}

// ---------- building (enrolment service side) ----------

export interface SnapshotSource {
  modelId: string;
  dim: number;
  records: Iterable<TemplateRecord>;
}

export interface EncodedRecord {
  identity: string;
  bytes: Buffer;
  templates: number;
}

/** Encodes and sorts records by identity; throws FG_INPUT_INVALID on duplicates. */
export function encodeAll(records: Iterable<TemplateRecord>, encoding: TemplateEncoding, dim: number): EncodedRecord[] {
  const out: EncodedRecord[] = [];
  for (const r of records) out.push({ identity: r.identity, bytes: encodeRecord(r, encoding, dim), templates: r.templates.length });
  out.sort((a, b) => compareIdentities(a.identity, b.identity));
  for (let i = 1; i < out.length; i++) {
    if (out[i].identity === out[i - 1].identity) throw new FaceGateError('FG_INPUT_INVALID', `identity "${out[i].identity}" appears twice`);
  }
  return out;
}

export interface SnapshotMessages {
  manifest: Buffer;
  header: ManifestHeader;
  chunks: Buffer[];
}

/** Signs a snapshot: sorted records packed into chunks, then a manifest over their hashes. */
export function buildSnapshot(opts: {
  site: string; version: number; modelId: string; dim: number; encoding: TemplateEncoding;
  records: EncodedRecord[]; privateKey: KeyObject; publicKey: KeyObject; maxBodyBytes?: number; createdAt?: Date; fleetKey?: EnrollmentKey;
}): SnapshotMessages {
  const kid = keyId(opts.publicKey);
  const packed = packChunks(opts.records, opts.maxBodyBytes ?? MAX_BODY_BYTES);
  const content = createHash('sha256');
  let bytes = 0;
  const chunks = packed.bodies.map((body, index) => {
    content.update(body);
    bytes += body.length;
    const header: ChunkHeader = {
      kind: 'chunk', format: 1, site: opts.site, keyId: kid, version: opts.version, index,
      chunks: packed.bodies.length, records: packed.records[index], sha256: sha256Hex(body),
    };
    return sealEnvelope(header, body, opts.privateKey, opts.fleetKey);
  });
  const header: ManifestHeader = {
    kind: 'snapshot', format: 1, site: opts.site, keyId: kid, version: opts.version,
    modelId: opts.modelId, dim: opts.dim, encoding: opts.encoding,
    identities: packed.identities, templates: packed.templates, chunks: chunks.length, bytes,
    contentSha256: content.digest('hex'), createdAt: (opts.createdAt ?? new Date()).toISOString(),
  };
  return { manifest: sealEnvelope(header, Buffer.alloc(0), opts.privateKey, opts.fleetKey), header, chunks };
}

/** Delta body: u32 remove count | (u16 length, identity)* | upsert records. */
function deltaBody(upserts: EncodedRecord[], removes: string[]): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32LE(removes.length, 0);
  parts.push(n);
  for (const id of removes) {
    const b = identityBytes(id);
    const len = Buffer.alloc(2);
    len.writeUInt16LE(b.length, 0);
    parts.push(len, Buffer.from(b));
  }
  for (const u of upserts) parts.push(u.bytes);
  return Buffer.concat(parts);
}

export interface DeltaChange {
  upserts: EncodedRecord[];
  removes: string[];
}

/**
 * Signs a change as one or more deltas chained by version (each <= the message limit); the
 * versions run prevVersion+1, +2, ... unless `firstVersion` sets the first.
 */
export function buildDeltas(opts: {
  site: string; prevVersion: number; firstVersion?: number; modelId: string; dim: number; encoding: TemplateEncoding;
  change: DeltaChange; privateKey: KeyObject; publicKey: KeyObject; maxBodyBytes?: number; createdAt?: Date; fleetKey?: EnrollmentKey;
}): { version: number; header: DeltaHeader; message: Buffer }[] {
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const kid = keyId(opts.publicKey);
  // Split into parts whose body fits; removes first (small), then upserts.
  const parts: DeltaChange[] = [];
  let cur: DeltaChange = { upserts: [], removes: [] };
  let size = 4;
  const push = () => { parts.push(cur); cur = { upserts: [], removes: [] }; size = 4; };
  for (const id of opts.change.removes) {
    const need = 2 + Buffer.byteLength(id, 'utf8');
    if (size + need > limit) push();
    cur.removes.push(id);
    size += need;
  }
  for (const u of opts.change.upserts) {
    if (4 + u.bytes.length > limit) throw new FaceGateError('FG_INPUT_INVALID', `identity "${u.identity}" does not fit in one delta`);
    if (size + u.bytes.length > limit) push();
    cur.upserts.push(u);
    size += u.bytes.length;
  }
  if (cur.upserts.length > 0 || cur.removes.length > 0) push();
  let prev = opts.prevVersion;
  let next = Math.max(opts.firstVersion ?? 0, prev + 1);
  const createdAt = (opts.createdAt ?? new Date()).toISOString();
  return parts.map((p) => {
    const body = deltaBody(p.upserts, p.removes);
    const header: DeltaHeader = {
      kind: 'delta', format: 1, site: opts.site, keyId: kid, version: next, prevVersion: prev,
      modelId: opts.modelId, dim: opts.dim, encoding: opts.encoding,
      upserts: p.upserts.length, removes: p.removes.length, sha256: sha256Hex(body), createdAt,
    };
    const out = { version: next, header, message: sealEnvelope(header, body, opts.privateKey, opts.fleetKey) };
    prev = next;
    next = next + 1;
    return out;
  });
}

// ---------- reading (device side) ----------

export interface OpenedDelta {
  header: DeltaHeader;
  upsertSpans: RecordSpan[];
  removes: string[];
  body: Buffer;
}

/** Checks a delta's body hash and structure (no float decoding yet). */
export function readDeltaBody(header: DeltaHeader, body: Buffer): OpenedDelta {
  if (sha256Hex(body) !== header.sha256) throw new SyncRejection('hash-mismatch', `delta ${header.version} body does not match its sha256`);
  if (body.length < 4) throw new SyncRejection('malformed', `delta ${header.version} body is truncated`);
  const n = body.readUInt32LE(0);
  if (n !== header.removes) throw new SyncRejection('malformed', `delta ${header.version} lists ${n} removes, header says ${header.removes}`);
  const removes: string[] = [];
  let off = 4;
  const dec = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < n; i++) {
    if (off + 2 > body.length) throw new SyncRejection('malformed', `delta ${header.version} remove list is truncated`);
    const len = body.readUInt16LE(off);
    off += 2;
    if (len === 0 || len > MAX_IDENTITY_BYTES || off + len > body.length) throw new SyncRejection('malformed', `delta ${header.version} remove list is truncated`);
    let id: string;
    try {
      id = dec.decode(body.subarray(off, off + len));
    } catch {
      throw new SyncRejection('malformed', `delta ${header.version} removes an identity that is not UTF-8`);
    }
    if (/[\u0000-\u001f\u007f]/.test(id)) throw new SyncRejection('malformed', `delta ${header.version} removes an identity with control characters`);
    removes.push(id);
    off += len;
  }
  let upsertSpans: RecordSpan[];
  try {
    upsertSpans = scanRecords(body.subarray(off), header.encoding, header.dim);
  } catch (e) {
    throw new SyncRejection('malformed', `delta ${header.version}: ${(e as Error).message}`);
  }
  if (upsertSpans.length !== header.upserts) throw new SyncRejection('malformed', `delta ${header.version} holds ${upsertSpans.length} upserts, header says ${header.upserts}`);
  const seen = new Set<string>();
  for (const id of [...removes, ...upsertSpans.map((s) => s.identity)]) {
    if (seen.has(id)) throw new SyncRejection('malformed', `delta ${header.version} names identity "${id}" twice`);
    seen.add(id);
  }
  return { header, upsertSpans, removes, body: body.subarray(off) };
}

export function decodeDeltaUpserts(d: OpenedDelta): TemplateRecord[] {
  try {
    return d.upsertSpans.map((s) => decodeSpan(d.body, s, d.header.encoding, d.header.dim));
  } catch (e) {
    throw new SyncRejection('malformed', `delta ${d.header.version}: ${(e as Error).message}`);
  }
}
