/**
 * The gallery's public data types: what callers pass in (identities, templates, sync changes)
 * and what they get back. Exported from gallery.ts with the Gallery class that uses them.
 */
import type { MatchCandidate } from '../match/decide.ts';

export interface IdentityInput {
  id: string;
  name?: string | null;
  metadata?: Record<string, unknown>;
  enabled?: boolean;
  /** ISO 8601 string, epoch ms or Date; null = unbounded. */
  validFrom?: string | number | Date | null;
  validUntil?: string | number | Date | null;
}

export interface TemplateInput {
  embedding: Float32Array | readonly number[];
  /** Model that produced the embedding; refused when it is not the gallery's. */
  modelId?: string;
  source?: string | null;
  quality?: number | null;
}

export type EmbeddingInput = Float32Array | readonly number[] | TemplateInput;

export interface EnrollOptions extends Omit<IdentityInput, 'id'> {
  source?: string | null;
  quality?: number | null;
  modelId?: string;
}

export interface EnrollResult {
  identityId: string;
  created: boolean;
  templateIds: number[];
  /** Embeddings skipped because this identity already holds the identical template. */
  duplicates: number;
  generation: number;
}

export interface IdentityInfo {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  enabled: boolean;
  validFrom: string | null;
  validUntil: string | null;
  templates: number;
  created: string;
  updated: string;
}

export interface TemplateInfo {
  id: number;
  /** Unit vector as stored. */
  embedding: Float32Array;
  modelId: string;
  source: string | null;
  quality: number | null;
  created: string;
}

export interface Candidate extends MatchCandidate {
  templateId: number;
  /** The hit was the identity's centre, not one of its images. */
  centre: boolean;
}

export interface GalleryChanges {
  upserts?: { identity: IdentityInput; templates: EmbeddingInput[] }[];
  removes?: string[];
  /** Sync version to record with the change. */
  version?: number;
  /** Apply only if the stored version equals this (compare-and-set); else FG_SYNC_REJECTED. */
  baseVersion?: number;
}

export interface ApplyResult {
  generation: number;
  version: number;
  identities: number;
  templatesAdded: number;
  templatesRemoved: number;
}

export type IndexState = 'exact' | 'loaded' | 'repaired' | 'rebuilt' | 'not-loaded';

export interface GalleryStats {
  identities: number;
  templates: number;
  centres: number;
  modelId: string;
  dim: number;
  generation: number;
  version: number;
  index: {
    kind: 'exact' | 'hnsw' | 'none';
    state: IndexState;
    size: number;
    overlay: number;
    building: boolean;
    lastBuildError: string | null;
    fileGeneration: number | null;
    m: number;
    efConstruction: number;
    ef: number;
    /** Narrow beam tried first by a search given its threshold (null: always `ef`). */
    efFirst: number | null;
    /** Dimension of the projected points the graph holds (null: full templates). */
    projectedDim: number | null;
    exactBelow: number;
    centres: boolean;
  };
}
