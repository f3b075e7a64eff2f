/**
 * EnrollmentTarget over the gallery store (sdk/gallery). Snapshots go through
 * `Gallery.replaceAllAsync` and deltas through `Gallery.applyChangesAsync`, each one SQLite
 * transaction that also records the sync version, so an apply is all-or-nothing. The async forms
 * keep a device's frame loop running: a large snapshot commits in a worker thread and the
 * in-memory state is swapped in slices, while searches keep answering from the previous gallery.
 *
 * An empty device may have no gallery yet: the target then reports no model and creates the
 * gallery with the model named by the first verified snapshot (encrypted when `gallery.key` is
 * given). Everything goes through Gallery, so an encrypted gallery works the same way.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Gallery, GALLERY_DB, type GalleryOptions, type IdentityInfo, type IdentityInput } from '../gallery/index.ts';
import { FaceGateError } from '../errors.ts';
import type { EnrollmentDelta, EnrollmentModel, EnrollmentTarget } from './enrollment-target.ts';
import type { IdentityAttributes, TemplateRecord } from './template-codec.ts';

function identityInput(r: TemplateRecord): IdentityInput {
  const a = r.attributes ?? {};
  // Every field is given (defaults included): a sync upsert replaces the identity's fields.
  return { id: r.identity, name: a.name ?? null, metadata: a.metadata ?? {}, enabled: a.enabled ?? true, validFrom: a.validFrom ?? null, validUntil: a.validUntil ?? null };
}

function attributesOf(info: IdentityInfo): IdentityAttributes {
  return { name: info.name, metadata: info.metadata, enabled: info.enabled, validFrom: info.validFrom, validUntil: info.validUntil };
}

export class GalleryEnrollmentTarget implements EnrollmentTarget {
  readonly dir: string;
  #gallery: Gallery | undefined;
  #options: GalleryOptions;

  private constructor(dir: string, gallery: Gallery | undefined, options: GalleryOptions) {
    this.dir = dir;
    this.#gallery = gallery;
    this.#options = options;
  }

  /**
   * Opens the gallery in `dir`. When none exists: with `modelId`/`dim` it is created now, without
   * them it is created by the first snapshot. `options` go to Gallery.open (e.g. loadIndex).
   */
  static async open(dir: string, opts: { modelId?: string; dim?: number; gallery?: GalleryOptions } = {}): Promise<GalleryEnrollmentTarget> {
    const base = { ...opts.gallery, ...(opts.modelId ? { modelId: opts.modelId } : {}), ...(opts.dim ? { dim: opts.dim } : {}) };
    if (existsSync(join(dir, GALLERY_DB))) return new GalleryEnrollmentTarget(dir, await Gallery.open(dir, base), base);
    if (opts.modelId && opts.dim) return new GalleryEnrollmentTarget(dir, await Gallery.open(dir, { ...base, create: true }), base);
    return new GalleryEnrollmentTarget(dir, undefined, base);
  }

  /** Wraps a gallery the caller opened (and will close). */
  static wrap(gallery: Gallery): GalleryEnrollmentTarget {
    return new GalleryEnrollmentTarget(gallery.dir, gallery, {});
  }

  get gallery(): Gallery | undefined {
    return this.#gallery;
  }

  model(): EnrollmentModel | undefined {
    return this.#gallery ? { modelId: this.#gallery.modelId, dim: this.#gallery.dim } : undefined;
  }

  version(): number {
    return this.#gallery?.version ?? 0;
  }

  identityCount(): number {
    return this.#gallery?.stats().identities ?? 0;
  }

  async applySnapshot(records: TemplateRecord[], version: number, model: EnrollmentModel): Promise<void> {
    if (!this.#gallery) {
      this.#gallery = await Gallery.open(this.dir, { ...this.#options, modelId: model.modelId, dim: model.dim, create: true });
    }
    await this.#gallery.replaceAllAsync(records.map((r) => ({ identity: identityInput(r), templates: r.templates })), version);
  }

  async applyDelta(delta: EnrollmentDelta): Promise<void> {
    if (!this.#gallery) throw new FaceGateError('FG_SYNC_REJECTED', 'a delta cannot be applied before a snapshot created the gallery');
    await this.#gallery.applyChangesAsync({
      upserts: delta.upserts.map((r) => ({ identity: identityInput(r), templates: r.templates })),
      removes: delta.removes,
      version: delta.version,
    });
  }

  /** Every identity with its sample templates (decrypted by the gallery when it is encrypted). */
  exportRecords(): TemplateRecord[] {
    const g = this.#gallery;
    if (!g) return [];
    return g.list().map((info) => ({
      identity: info.id,
      attributes: attributesOf(info),
      templates: g.templates(info.id).map((t) => t.embedding),
    }));
  }

  async close(): Promise<void> {
    await this.#gallery?.close();
    this.#gallery = undefined;
  }
}
