/**
 * Gallery jobs over image files: bulk enrolment of labelled images and identification of probe
 * images. They take any analyzer with the pipeline's `analyze` shape (sdk/pipeline's Pipeline
 * fits), so the gallery does not depend on how embeddings are produced.
 */
import { FaceGateError, errorMessage, isFaceGateError } from '../errors.ts';
import { mostCentralFace } from '../detect/face-choice.ts';
import type { FaceAnalyzer, LabeledImage } from '../types.ts';
import { decide, type DecisionKind, type DecisionReason } from '../match/decide.ts';
import type { ProbeOutcome } from '../match/open-set.ts';
import type { Gallery } from './gallery.ts';

export type { FaceAnalyzer, LabeledImage };

export interface ImageProblem {
  image: string;
  identity?: string;
  error?: string;
  code?: string;
}

export interface EnrolImagesResult {
  identities: number;
  created: number;
  templatesAdded: number;
  duplicates: number;
  noFace: ImageProblem[];
  failed: ImageProblem[];
}

function checkModel(gallery: Gallery, analyzer: FaceAnalyzer): void {
  if (analyzer.modelId !== gallery.modelId) {
    throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `gallery ${gallery.dir} holds ${gallery.modelId} embeddings but the embedder is ${analyzer.modelId}`);
  }
}

/** The face to use in an image: the one nearest the image centre (a neighbour is usually off-centre). */
async function centralFace(analyzer: FaceAnalyzer, path: string, fallback: boolean) {
  const r = await analyzer.analyze(path, { fallback });
  const i = mostCentralFace(r.faces, r.width, r.height);
  return { face: i >= 0 ? r.faces[i] : null, faces: r.faces.length, fallback: r.fallback };
}

/**
 * Embeds every image and enrols each identity's templates in one transaction (all of a person's
 * images, or none). Images without a face, unreadable images and refused identities (e.g. a
 * duplicate of another person's template) are reported, not fatal.
 */
export async function enrolImages(gallery: Gallery, analyzer: FaceAnalyzer, items: readonly LabeledImage[],
  opts: { fallback?: boolean; name?: string; onImage?: () => void } = {}): Promise<EnrolImagesResult> {
  checkModel(gallery, analyzer);
  const byIdentity = new Map<string, { embedding: Float32Array; source: string; quality: number }[]>();
  const noFace: ImageProblem[] = [];
  const failed: ImageProblem[] = [];
  for (const item of items) {
    try {
      const { face } = await centralFace(analyzer, item.path, opts.fallback ?? false);
      if (face) {
        const list = byIdentity.get(item.identity) ?? [];
        list.push({ embedding: face.embedding, source: item.image, quality: face.score });
        byIdentity.set(item.identity, list);
      } else noFace.push({ image: item.image, identity: item.identity });
    } catch (e) {
      if (!isFaceGateError(e) || !e.code.startsWith('FG_IMAGE')) throw e; // only bad images are per-item problems
      failed.push({ image: item.image, identity: item.identity, error: errorMessage(e), code: e.code });
    }
    opts.onImage?.();
  }
  const result: EnrolImagesResult = { identities: 0, created: 0, templatesAdded: 0, duplicates: 0, noFace, failed };
  for (const [identity, templates] of byIdentity) {
    try {
      const r = gallery.enroll(identity, templates, opts.name !== undefined ? { name: opts.name } : {});
      result.identities++;
      if (r.created) result.created++;
      result.templatesAdded += r.templateIds.length;
      result.duplicates += r.duplicates;
    } catch (e) {
      if (!isFaceGateError(e) || (e.code !== 'FG_GALLERY_DUPLICATE' && e.code !== 'FG_INPUT_INVALID')) throw e;
      for (const t of templates) failed.push({ image: t.source, identity, error: errorMessage(e), code: e.code });
    }
  }
  return result;
}

export interface ProbeImage {
  image: string;
  path: string;
  /** Enrolled identity of the person; null = not enrolled; undefined = not given. */
  truth?: string | null;
}

export interface ProbeResult {
  image: string;
  decision: DecisionKind;
  reason: DecisionReason | 'no_face' | 'unreadable';
  identity: string | null;
  /** Distance to the nearest identity (d1), null without a face. */
  distance: number | null;
  d2: number | null;
  nearest: string | null;
  faces: number;
  fallback?: string;
  true_identity?: string | null;
  error?: string;
}

export interface IdentifyOptions {
  threshold: number;
  margin?: number;
  /** Candidates per probe (identities). */
  k?: number;
  fallback?: boolean;
  now?: number;
  onImage?: () => void;
}

/** Identifies each probe image (most central face) and decides grant/deny/unknown. */
export async function identifyImages(gallery: Gallery, analyzer: FaceAnalyzer, probes: readonly ProbeImage[], opts: IdentifyOptions): Promise<{ results: ProbeResult[]; outcomes: ProbeOutcome[] }> {
  checkModel(gallery, analyzer);
  const now = opts.now ?? Date.now();
  const results: ProbeResult[] = [];
  const outcomes: ProbeOutcome[] = [];
  for (const p of probes) {
    const truth = p.truth === undefined ? {} : { true_identity: p.truth };
    let r: ProbeResult;
    try {
      const { face, faces, fallback } = await centralFace(analyzer, p.path, opts.fallback ?? true);
      if (!face) {
        r = { image: p.image, decision: 'unknown', reason: 'no_face', identity: null, distance: null, d2: null, nearest: null, faces, ...truth };
      } else {
        const candidates = gallery.search(face.embedding, opts.k ?? 5, { threshold: opts.threshold });
        const d = decide(candidates, { threshold: opts.threshold, margin: opts.margin ?? 0, now });
        r = { image: p.image, decision: d.decision, reason: d.reason, identity: d.identity, distance: d.d1, d2: d.d2, nearest: candidates[0]?.identityId ?? null,
          faces, ...(fallback && fallback !== 'none' ? { fallback } : {}), ...truth };
      }
    } catch (e) {
      if (!isFaceGateError(e) || !e.code.startsWith('FG_IMAGE')) throw e;
      r = { image: p.image, decision: 'unknown', reason: 'unreadable', identity: null, distance: null, d2: null, nearest: null, faces: 0, error: errorMessage(e), ...truth };
    }
    results.push(r);
    if (p.truth !== undefined) outcomes.push({ truth: p.truth, nearest: r.nearest, d1: r.distance, d2: r.d2, decision: r.decision, identity: r.identity });
    opts.onImage?.();
  }
  return { results, outcomes };
}
