/**
 * What enrolment sync needs from a gallery, and no more. sdk/mqtt depends on this interface only;
 * `GalleryEnrollmentTarget` (gallery-target.ts) adapts the real gallery store to it.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { TemplateRecord } from './template-codec.ts';

export interface EnrollmentModel {
  modelId: string;
  dim: number;
}

export interface EnrollmentDelta {
  upserts: TemplateRecord[];
  removes: string[];
  version: number;
}

export interface EnrollmentTarget {
  /** Model of the stored templates; undefined for an empty store that takes the first snapshot's. */
  model(): EnrollmentModel | undefined;
  /** Enrolment version applied last (0 = never synced). */
  version(): number;
  identityCount(): number;
  /** Replaces everything, atomically, and records `version`. */
  applySnapshot(records: TemplateRecord[], version: number, model: EnrollmentModel): void | Promise<void>;
  /** Upserts (whole identities) and removes, atomically, and records `version`. */
  applyDelta(delta: EnrollmentDelta): void | Promise<void>;
  /** Every identity with its templates, for publishing. */
  exportRecords(): Iterable<TemplateRecord> | Promise<Iterable<TemplateRecord>>;
}

/**
 * Version of the snapshot the applied state was built on. Kept beside the gallery so that after
 * a restart an older retained snapshot (the base of retained deltas) is told apart from a
 * rollback; losing it only loses that distinction, never safety (nothing older is applied).
 */
export interface SyncStateStore {
  load(): Promise<{ snapshotVersion: number }>;
  save(state: { snapshotVersion: number }): Promise<void>;
}

export function memorySyncState(): SyncStateStore {
  let s = { snapshotVersion: 0 };
  return { load: async () => ({ ...s }), save: async (n) => { s = { ...n }; } };
}

/** JSON file, replaced by rename so a crash leaves the old or the new content. */
export function fileSyncState(path: string): SyncStateStore {
  return {
    async load() {
      try {
        const v = JSON.parse(await readFile(path, 'utf8')) as { snapshotVersion?: unknown };
        return { snapshotVersion: Number.isSafeInteger(v.snapshotVersion) ? Number(v.snapshotVersion) : 0 };
      } catch {
        return { snapshotVersion: 0 };
      }
    },
    async save(state) {
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(state) + '\n', { mode: 0o600 });
      await rename(tmp, path);
    },
  };
}
