/**
 * Compact binary form of enrolled templates, used in snapshot chunks and deltas.
 *
 * One record per identity, little-endian:
 *   u16 identity length | identity (UTF-8) | u16 attributes length | attributes (JSON, may be
 *   empty) | u16 template count | templates
 * where the attributes carry what access decisions depend on besides the face (enabled, validity
 * window, name, metadata) and each template is `dim` binary16 values ('f16', 2·dim bytes) or a float32 scale followed by
 * `dim` int8 values ('i8', 4 + dim bytes; value = q · scale). Records never span chunks, so each
 * chunk decodes on its own.
 */
import { z } from 'zod';
import { FaceGateError } from '../errors.ts';
import { decodeHalf, encodeHalf } from '../runtime/float16.ts';

export type TemplateEncoding = 'f16' | 'i8';
export const TEMPLATE_ENCODINGS: readonly TemplateEncoding[] = ['f16', 'i8'];

/** Identity fields that travel with the templates; absent = the gallery default. */
export interface IdentityAttributes {
  name?: string | null;
  metadata?: Record<string, unknown>;
  enabled?: boolean;
  /** ISO 8601; null = unbounded. */
  validFrom?: string | null;
  validUntil?: string | null;
}

/** One enrolled person: the identity key, its attributes and its templates (each `dim` floats). */
export interface TemplateRecord {
  identity: string;
  attributes?: IdentityAttributes;
  templates: Float32Array[];
}

export const MAX_IDENTITY_BYTES = 1024;
export const MAX_ATTRIBUTES_BYTES = 60 * 1024;
export const MAX_TEMPLATES_PER_IDENTITY = 1024;

const Attributes = z.object({
  name: z.string().max(1024).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
  validFrom: z.string().max(40).nullable().optional(),
  validUntil: z.string().max(40).nullable().optional(),
}).strict();

/** Attributes as canonical JSON bytes: fixed key order, defaults left out (empty when all default). */
export function attributesBytes(a: IdentityAttributes | undefined): Buffer {
  if (!a) return Buffer.alloc(0);
  const o: IdentityAttributes = {};
  if (a.name !== undefined && a.name !== null) o.name = a.name;
  if (a.metadata !== undefined && Object.keys(a.metadata).length > 0) o.metadata = a.metadata;
  if (a.enabled === false) o.enabled = false;
  if (a.validFrom !== undefined && a.validFrom !== null) o.validFrom = a.validFrom;
  if (a.validUntil !== undefined && a.validUntil !== null) o.validUntil = a.validUntil;
  if (Object.keys(o).length === 0) return Buffer.alloc(0);
  const b = Buffer.from(JSON.stringify(o), 'utf8');
  if (b.length > MAX_ATTRIBUTES_BYTES) throw new FaceGateError('FG_INPUT_INVALID', `identity attributes of ${b.length} bytes exceed ${MAX_ATTRIBUTES_BYTES}`);
  return b;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
// Control characters in an identity would end up in logs and HA sensors.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function bytesPerTemplate(encoding: TemplateEncoding, dim: number): number {
  return encoding === 'f16' ? 2 * dim : 4 + dim;
}

function reject(message: string): FaceGateError {
  return new FaceGateError('FG_SYNC_REJECTED', message, { details: { reason: 'malformed' } });
}

/** Checks an identity key: 1-255 UTF-8 bytes, no control characters. Returns its bytes. */
export function identityBytes(identity: string): Uint8Array {
  const b = utf8.encode(identity);
  if (b.length === 0 || b.length > MAX_IDENTITY_BYTES || CONTROL.test(identity)) {
    throw new FaceGateError('FG_INPUT_INVALID',
      `identity ${JSON.stringify(identity.slice(0, 40))} must be 1-${MAX_IDENTITY_BYTES} UTF-8 bytes without control characters`);
  }
  return b;
}

/** Encodes one record. Throws FG_INPUT_INVALID on a bad identity, template count or length. */
export function encodeRecord(rec: TemplateRecord, encoding: TemplateEncoding, dim: number): Buffer {
  const id = identityBytes(rec.identity);
  const attrs = attributesBytes(rec.attributes);
  const n = rec.templates.length;
  if (n > MAX_TEMPLATES_PER_IDENTITY) {
    throw new FaceGateError('FG_INPUT_INVALID', `identity "${rec.identity}" has ${n} templates; at most ${MAX_TEMPLATES_PER_IDENTITY} allowed`);
  }
  const per = bytesPerTemplate(encoding, dim);
  const out = Buffer.alloc(2 + id.length + 2 + attrs.length + 2 + n * per);
  out.writeUInt16LE(id.length, 0);
  out.set(id, 2);
  let off = 2 + id.length;
  out.writeUInt16LE(attrs.length, off);
  out.set(attrs, off + 2);
  off += 2 + attrs.length;
  out.writeUInt16LE(n, off);
  off += 2;
  const half = new Uint16Array(dim);
  for (const t of rec.templates) {
    if (t.length !== dim) {
      throw new FaceGateError('FG_INPUT_INVALID', `identity "${rec.identity}" has a template of length ${t.length}, expected ${dim}`);
    }
    for (let i = 0; i < dim; i++) {
      if (!Number.isFinite(t[i])) throw new FaceGateError('FG_INPUT_INVALID', `identity "${rec.identity}" has a non-finite template value`);
    }
    if (encoding === 'f16') {
      encodeHalf(t, half);
      for (let i = 0; i < dim; i++) out.writeUInt16LE(half[i], off + 2 * i);
    } else {
      let maxAbs = 0;
      for (let i = 0; i < dim; i++) maxAbs = Math.max(maxAbs, Math.abs(t[i]));
      // Math.fround keeps encoder and decoder on the same float32 scale.
      const scale = Math.fround(maxAbs > 0 ? maxAbs / 127 : 1);
      out.writeFloatLE(scale, off);
      for (let i = 0; i < dim; i++) out.writeInt8(Math.max(-127, Math.min(127, Math.round(t[i] / scale))), off + 4 + i);
    }
    off += per;
  }
  return out;
}

/** Where one record lies in a buffer, before its templates are decoded. */
export interface RecordSpan {
  identity: string;
  attributes: IdentityAttributes | undefined;
  templateCount: number;
  start: number;
  end: number;
  /** Offset of the first template. */
  data: number;
}

/**
 * Walks the records of `body` checking structure only (identity text, counts, lengths). Throws
 * FG_SYNC_REJECTED (reason `malformed`) naming the first problem.
 */
export function scanRecords(body: Uint8Array, encoding: TemplateEncoding, dim: number): RecordSpan[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const per = bytesPerTemplate(encoding, dim);
  const spans: RecordSpan[] = [];
  let off = 0;
  while (off < body.length) {
    const start = off;
    if (off + 2 > body.length) throw reject(`record at byte ${start} is truncated`);
    const idLen = view.getUint16(off, true);
    off += 2;
    if (idLen === 0 || idLen > MAX_IDENTITY_BYTES) throw reject(`record at byte ${start} has an identity of ${idLen} bytes`);
    if (off + idLen + 2 > body.length) throw reject(`record at byte ${start} is truncated`);
    let identity: string;
    try {
      identity = utf8Strict.decode(body.subarray(off, off + idLen));
    } catch {
      throw reject(`record at byte ${start} has an identity that is not UTF-8`);
    }
    if (CONTROL.test(identity)) throw reject(`record at byte ${start} has control characters in its identity`);
    off += idLen;
    const aLen = view.getUint16(off, true);
    off += 2;
    if (aLen > MAX_ATTRIBUTES_BYTES || off + aLen + 2 > body.length) throw reject(`identity "${identity}" is truncated (attributes)`);
    let attributes: IdentityAttributes | undefined;
    if (aLen > 0) {
      let json: unknown;
      try {
        json = JSON.parse(utf8Strict.decode(body.subarray(off, off + aLen)));
      } catch {
        throw reject(`identity "${identity}" has attributes that are not JSON`);
      }
      const r = Attributes.safeParse(json);
      if (!r.success) throw reject(`identity "${identity}" attributes ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`);
      attributes = r.data;
    }
    off += aLen;
    const n = view.getUint16(off, true);
    off += 2;
    if (n > MAX_TEMPLATES_PER_IDENTITY) throw reject(`identity "${identity}" has ${n} templates`);
    const data = off;
    off += n * per;
    if (off > body.length) throw reject(`identity "${identity}" is truncated (${n} templates of ${per} bytes)`);
    spans.push({ identity, attributes, templateCount: n, start, end: off, data });
  }
  return spans;
}

/** Decodes the templates of one scanned record. Throws FG_SYNC_REJECTED on non-finite values. */
export function decodeSpan(body: Uint8Array, span: RecordSpan, encoding: TemplateEncoding, dim: number): TemplateRecord {
  const per = bytesPerTemplate(encoding, dim);
  const templates: Float32Array[] = [];
  for (let k = 0; k < span.templateCount; k++) {
    const off = span.data + k * per;
    const t = new Float32Array(dim);
    if (encoding === 'f16') {
      // Copy to an aligned buffer so a typed view can read it; records start at odd offsets.
      const bits = new Uint16Array(dim);
      new Uint8Array(bits.buffer).set(body.subarray(off, off + 2 * dim));
      decodeHalf(bits, t);
      for (let i = 0; i < dim; i++) if (!Number.isFinite(t[i])) throw reject(`identity "${span.identity}" has a non-finite value`);
    } else {
      const view = new DataView(body.buffer, body.byteOffset + off, per);
      const scale = view.getFloat32(0, true);
      if (!Number.isFinite(scale) || scale <= 0 || scale > 1e6) throw reject(`identity "${span.identity}" has an invalid int8 scale`);
      for (let i = 0; i < dim; i++) t[i] = view.getInt8(4 + i) * scale;
    }
    templates.push(t);
  }
  return span.attributes ? { identity: span.identity, attributes: span.attributes, templates } : { identity: span.identity, templates };
}

/** Scans and decodes every record of `body`. */
export function decodeRecords(body: Uint8Array, encoding: TemplateEncoding, dim: number): TemplateRecord[] {
  return scanRecords(body, encoding, dim).map((s) => decodeSpan(body, s, encoding, dim));
}

/** Byte order of identity keys (UTF-8 order), so the same gallery always packs identically. */
export function compareIdentities(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface PackedChunks {
  bodies: Buffer[];
  records: number[];
  identities: number;
  templates: number;
}

/**
 * Packs encoded records into bodies of at most `maxBodyBytes`, in the order given. Throws
 * FG_INPUT_INVALID when one record alone is larger than a chunk.
 */
export function packChunks(encoded: Iterable<{ identity: string; bytes: Buffer; templates: number }>, maxBodyBytes: number): PackedChunks {
  const bodies: Buffer[] = [];
  const records: number[] = [];
  let current: Buffer[] = [];
  let size = 0;
  let identities = 0;
  let templates = 0;
  const flush = () => {
    if (current.length > 0) {
      bodies.push(Buffer.concat(current, size));
      records.push(current.length);
    }
    current = [];
    size = 0;
  };
  for (const r of encoded) {
    if (r.bytes.length > maxBodyBytes) {
      throw new FaceGateError('FG_INPUT_INVALID', `identity "${r.identity}" needs ${r.bytes.length} bytes, more than one chunk (${maxBodyBytes}); enrol fewer templates`);
    }
    if (size + r.bytes.length > maxBodyBytes) flush();
    current.push(r.bytes);
    size += r.bytes.length;
    identities++;
    templates += r.templates;
  }
  flush();
  return { bodies, records, identities, templates };
}
