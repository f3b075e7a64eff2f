/**
 * What callers hand the gallery (identity fields, embeddings, sync upserts), checked and brought
 * into the form change-apply.ts writes before any transaction starts: a bad entry is refused with
 * an error naming it (FG_INPUT_INVALID, or FG_GALLERY_MODEL_MISMATCH for another model's
 * embedding) and the store stays untouched.
 */
import { FaceGateError, errorMessage } from '../errors.ts';
import type { IdentityFields, PreparedTemplate, PreparedUpsert } from './change-apply.ts';
import type { EmbeddingInput, IdentityInput, TemplateInput } from './gallery-types.ts';
import type { TimeSlice } from './time-slice.ts';
import { toUnitVector } from './vectors.ts';

const ID_MAX = 256;
const METADATA_MAX = 64 * 1024;

/** One entry of a sync delta or snapshot, as the caller gives it. */
type UpsertInput = { identity: IdentityInput; templates: EmbeddingInput[] };

/** Prepared upserts whose template vectors are views of `vectors`, in order. */
export interface Prepared {
  upserts: PreparedUpsert[];
  vectors: Float32Array;
}

export function badInput(msg: string): FaceGateError {
  return new FaceGateError('FG_INPUT_INVALID', msg);
}

export function checkIdentityId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > ID_MAX || /[\u0000-\u001f\u007f]/.test(id)) {
    throw badInput(`identity id must be a non-empty string of at most ${ID_MAX} printable characters, got ${JSON.stringify(id)}`);
  }
  return id;
}

/** A sync version to record with a change. */
export function checkVersion(v: number | undefined): number | undefined {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw badInput(`version must be a non-negative integer, got ${v}`);
  return v;
}

function toMs(v: string | number | Date | null | undefined, what: string): number | null {
  if (v === null || v === undefined) return null;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw badInput(`${what}: not a valid date: ${String(v)}`);
  return Math.round(ms);
}

function metadataJson(m: Record<string, unknown> | undefined): string | undefined {
  if (m === undefined) return undefined;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw badInput('metadata must be a JSON object');
  let s: string;
  try {
    s = JSON.stringify(m);
  } catch (e) {
    throw badInput(`metadata is not serialisable as JSON: ${errorMessage(e)}`);
  }
  if (s.length > METADATA_MAX) throw badInput(`metadata exceeds ${METADATA_MAX} bytes of JSON`);
  return s;
}

/** Checks input against one gallery's model and dimension. */
export class GalleryInput {
  readonly #modelId: string;
  readonly #dim: number;
  /** The store's template digest (duplicate detection). */
  readonly #digest: (vector: Float32Array) => string;

  constructor(modelId: string, dim: number, digest: (vector: Float32Array) => string) {
    this.#modelId = modelId;
    this.#dim = dim;
    this.#digest = digest;
  }

  /** The embedding as a unit vector of the gallery's dimension. */
  unit(e: Float32Array | readonly number[], what: string): Float32Array {
    const len = (e as ArrayLike<number> | null)?.length;
    if (typeof len === 'number' && len !== this.#dim) {
      throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `${what} has ${len} values; this gallery holds ${this.#modelId} (${this.#dim}-d) embeddings`,
        { details: { expected: this.#dim, got: len } });
    }
    return toUnitVector(e, this.#dim, what);
  }

  template(e: EmbeddingInput, what: string, defaults: { source?: string | null; quality?: number | null; modelId?: string }): PreparedTemplate {
    const t: TemplateInput = e instanceof Float32Array || Array.isArray(e) ? { embedding: e as Float32Array | number[] } : (e as TemplateInput);
    if (t === null || typeof t !== 'object' || t.embedding === undefined) throw badInput(`${what}: expected an embedding or { embedding, ... }`);
    const modelId = t.modelId ?? defaults.modelId;
    if (modelId !== undefined && modelId !== this.#modelId) {
      throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `${what} comes from model ${modelId}; this gallery holds ${this.#modelId} embeddings`,
        { details: { expected: this.#modelId, got: modelId } });
    }
    const vector = this.unit(t.embedding, what);
    const quality = t.quality ?? defaults.quality ?? null;
    if (quality !== null && !Number.isFinite(quality)) throw badInput(`${what}: quality must be a finite number`);
    const source = t.source ?? defaults.source ?? null;
    if (source !== null && typeof source !== 'string') throw badInput(`${what}: source must be a string`);
    return { vector, digest: this.#digest(vector), source, quality };
  }

  identityFields(input: IdentityInput): IdentityFields {
    const id = checkIdentityId(input.id);
    if (input.name !== undefined && input.name !== null && typeof input.name !== 'string') throw badInput(`identity '${id}': name must be a string`);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw badInput(`identity '${id}': enabled must be a boolean`);
    const validFrom = input.validFrom === undefined ? undefined : toMs(input.validFrom, `identity '${id}' validFrom`);
    const validUntil = input.validUntil === undefined ? undefined : toMs(input.validUntil, `identity '${id}' validUntil`);
    if (validFrom != null && validUntil != null && validUntil < validFrom) throw badInput(`identity '${id}': validUntil is before validFrom`);
    return { id, name: input.name, metadata: metadataJson(input.metadata), enabled: input.enabled === undefined ? undefined : input.enabled ? 1 : 0, validFrom, validUntil };
  }

  upserts(list: readonly UpsertInput[]): PreparedUpsert[] {
    if (!Array.isArray(list)) throw badInput('upserts must be an array');
    const seen = new Set<string>();
    return list.map((u, i) => this.#upsert(u, i, seen));
  }

  /**
   * Prepares in time slices, gathering every unit vector into one shared buffer (the templates
   * hold views of it): 100k separate long-lived Float32Arrays made the garbage collector pause the
   * event loop for 100+ ms, and the bulk worker reads the shared buffer without a copy.
   */
  async upsertsSliced(list: readonly UpsertInput[], slice: TimeSlice): Promise<Prepared> {
    if (!Array.isArray(list)) throw badInput('upserts must be an array');
    let total = 0;
    for (const u of list) if (Array.isArray(u?.templates)) total += u.templates.length;
    const dim = this.#dim;
    const vectors = new Float32Array(new SharedArrayBuffer(total * dim * 4));
    const seen = new Set<string>();
    const upserts: PreparedUpsert[] = new Array(list.length);
    let at = 0;
    for (let i = 0; i < list.length; i++) {
      const u = this.#upsert(list[i], i, seen);
      for (const t of u.templates) {
        vectors.set(t.vector, at * dim);
        t.vector = vectors.subarray(at * dim, (at + 1) * dim);
        at++;
      }
      upserts[i] = u;
      if (slice.due()) await slice.yield();
    }
    return { upserts, vectors };
  }

  #upsert(u: UpsertInput, i: number, seen: Set<string>): PreparedUpsert {
    if (!u || typeof u !== 'object' || !u.identity) throw badInput(`upsert ${i}: expected { identity, templates }`);
    const fields = this.identityFields(u.identity);
    if (seen.has(fields.id)) throw badInput(`identity '${fields.id}' appears twice in one change`);
    seen.add(fields.id);
    if (!Array.isArray(u.templates)) throw badInput(`upsert '${fields.id}': templates must be an array`);
    const templates = u.templates.map((t: EmbeddingInput, j: number) => this.template(t, `${fields.id} template ${j}`, {}));
    return { fields, templates };
  }
}
