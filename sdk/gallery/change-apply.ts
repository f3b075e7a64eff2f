/**
 * The SQL side of a gallery change, as functions over a GalleryStore: run inside the caller's
 * transaction, they write the rows and record what changed (a Diff) for the in-memory mirror.
 * Gallery runs them on its own connection for small changes; the bulk-apply worker
 * (bulk-apply.ts) runs the same functions on a connection of its own, so a large snapshot never
 * holds the main thread.
 */
import { FaceGateError } from '../errors.ts';
import { centreOf } from './vectors.ts';
import type { GalleryStore, IdentityRow } from './store.ts';

export interface IdentityState {
  enabled: boolean;
  validFromMs: number | null;
  validUntilMs: number | null;
}

export interface PreparedTemplate {
  vector: Float32Array;
  digest: string;
  source: string | null;
  quality: number | null;
}

export interface IdentityFields {
  id: string;
  name?: string | null;
  metadata?: string;
  enabled?: number;
  validFrom?: number | null;
  validUntil?: number | null;
}

export interface PreparedUpsert {
  fields: IdentityFields;
  templates: PreparedTemplate[];
}

export interface AddedTemplate {
  label: number;
  identityId: string;
  kind: 'sample' | 'centre';
  vector: Float32Array;
}

export interface Diff {
  added: AddedTemplate[];
  removed: number[];
  identities: Map<string, IdentityState | null>;
}

/** One change in progress: where it writes, what it records, and the gallery's binding. */
export interface ChangeContext {
  store: GalleryStore;
  modelId: string;
  dim: number;
  now: number;
  diff: Diff;
}

export function newDiff(): Diff {
  return { added: [], removed: [], identities: new Map() };
}

export function stateOf(row: IdentityRow): IdentityState {
  return { enabled: row.enabled === 1, validFromMs: row.valid_from, validUntilMs: row.valid_until };
}

export function upsertIdentity(cx: ChangeContext, f: IdentityFields, replaceFields: boolean): { created: boolean; changed: boolean } {
  const cur = cx.store.identity(f.id);
  if (!cur) {
    const row: IdentityRow = { id: f.id, name: f.name ?? null, metadata: f.metadata ?? '{}', enabled: f.enabled ?? 1,
      valid_from: f.validFrom ?? null, valid_until: f.validUntil ?? null, created: cx.now, updated: cx.now };
    cx.store.insertIdentity(row);
    cx.diff.identities.set(f.id, stateOf(row));
    return { created: true, changed: true };
  }
  // replaceFields (sync): absent fields reset to defaults; otherwise absent fields are kept.
  const pick = <T>(v: T | undefined, old: T, dflt: T): T => (v !== undefined ? v : replaceFields ? dflt : old);
  const row: IdentityRow = { ...cur, name: pick(f.name, cur.name, null), metadata: pick(f.metadata, cur.metadata, '{}'), enabled: pick(f.enabled, cur.enabled, 1),
    valid_from: pick(f.validFrom, cur.valid_from, null), valid_until: pick(f.validUntil, cur.valid_until, null), updated: cx.now };
  const changed = row.name !== cur.name || row.metadata !== cur.metadata || row.enabled !== cur.enabled || row.valid_from !== cur.valid_from || row.valid_until !== cur.valid_until;
  if (changed) {
    cx.store.updateIdentity(row);
    cx.diff.identities.set(f.id, stateOf(row));
  }
  return { created: false, changed };
}

export function insertSamples(cx: ChangeContext, identityId: string, templates: readonly PreparedTemplate[]): { ids: number[]; duplicates: number } {
  const ids: number[] = [];
  let duplicates = 0;
  const batch = new Set<string>();
  for (const t of templates) {
    if (batch.has(t.digest)) {
      duplicates++;
      continue;
    }
    batch.add(t.digest);
    const owner = cx.store.ownerOfDigest(t.digest);
    if (owner === identityId) {
      duplicates++;
      continue;
    }
    if (owner !== undefined) {
      throw new FaceGateError('FG_GALLERY_DUPLICATE', `an identical template is already enrolled for identity '${owner}'; refusing to enrol it for '${identityId}'`,
        { details: { identityId, existingIdentity: owner } });
    }
    const id = cx.store.insertTemplate({ identityId, kind: 'sample', embedding: t.vector, modelId: cx.modelId, digest: t.digest, source: t.source, quality: t.quality, created: cx.now });
    ids.push(id);
    cx.diff.added.push({ label: id, identityId, kind: 'sample', vector: t.vector });
  }
  return { ids, duplicates };
}

/** Re-derives the identity's centre row (only with two or more templates: one is its own centre). */
export function refreshCentre(cx: ChangeContext, identityId: string): void {
  const old = cx.store.centreIdOf(identityId);
  if (old !== undefined) {
    cx.store.deleteTemplate(old);
    cx.diff.removed.push(old);
  }
  const samples = cx.store.sampleVectorsOf(identityId, cx.dim);
  if (samples.length < 2) return;
  const c = centreOf(samples.map((s) => s.vector), cx.dim);
  if (!c) return;
  const id = cx.store.insertTemplate({ identityId, kind: 'centre', embedding: c, modelId: cx.modelId, digest: cx.store.digest(c), source: 'centre', quality: null, created: cx.now });
  cx.diff.added.push({ label: id, identityId, kind: 'centre', vector: c });
}

/**
 * A sync change (delta or, with `replace`, a whole snapshot): each upsert sets the identity's
 * fields and its full template set (templates already held are kept, others removed, new ones
 * added). Runs inside the caller's transaction; throws (and so rolls it back) on a version
 * mismatch or a duplicate template.
 */
export function applySyncChange(cx: ChangeContext, upserts: readonly PreparedUpsert[], removes: readonly string[], version: number | undefined,
  baseVersion: number | undefined, replace: boolean): void {
  const store = cx.store;
  if (baseVersion !== undefined && store.meta().version !== baseVersion) {
    throw new FaceGateError('FG_SYNC_REJECTED', `change is based on version ${baseVersion} but the gallery is at ${store.meta().version}`);
  }
  const keep = new Set(upserts.map((u) => u.fields.id));
  const gone = replace ? store.identityIds().filter((id) => !keep.has(id)) : removes;
  for (const id of gone) {
    if (!store.identity(id)) continue;
    const labels = store.deleteIdentity(id);
    cx.diff.removed.push(...labels);
    cx.diff.identities.set(id, null);
  }
  // Phase 1: identity rows, and templates no longer wanted (before inserts, so a template may
  // move between identities within one change).
  const changed = new Set<string>();
  for (const u of upserts) {
    upsertIdentity(cx, u.fields, true);
    const want = new Set(u.templates.map((t) => t.digest));
    for (const [id, digest] of store.sampleDigestsOf(u.fields.id)) {
      if (!want.has(digest)) {
        store.deleteTemplate(id);
        cx.diff.removed.push(id);
        changed.add(u.fields.id);
      }
    }
  }
  // Phase 2: new templates.
  for (const u of upserts) {
    const r = insertSamples(cx, u.fields.id, u.templates);
    if (r.ids.length > 0) changed.add(u.fields.id);
  }
  for (const id of changed) refreshCentre(cx, id);
  if (version !== undefined) store.setMeta('version', version);
}
