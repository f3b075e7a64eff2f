/**
 * What the Gallery's helpers (index-upkeep.ts, bulk-change.ts) are told about the open gallery
 * they work for: fixed facts, and its open/failed state read at the moment they need it.
 */
import type { Logger } from '../logger.ts';
import type { SiteKey } from '../security/site-key.ts';
import type { GalleryStore } from './store.ts';

export interface GalleryContext {
  readonly dir: string;
  /** The gallery database (worker threads open their own connection to it). */
  readonly dbPath: string;
  readonly modelId: string;
  readonly dim: number;
  /** The gallery's own connection. */
  readonly store: GalleryStore;
  readonly log: Logger;
  /** Site key of an encrypted gallery (workers get a copy of its bytes), else null. */
  readonly key: SiteKey | null;
  /** Build index files, and apply bulk changes, in worker threads (else builds run on this thread and changes commit inline). */
  readonly useWorker: boolean;
  closed(): boolean;
  /** Memory no longer matches the committed store (the gallery must be reopened). */
  failed(): boolean;
}
