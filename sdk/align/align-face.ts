import type { TensorTarget } from '../image/tensor-target.ts';
import type { Frame, Landmarks5 } from '../types.ts';
import { invertAffine, umeyamaSimilarity, type Affine, type SimilarityFit } from './similarity.ts';
import { templateFor } from './template.ts';
import { warpInto } from './warp.ts';

export interface Alignment {
  /** Frame landmarks -> template. */
  fit: SimilarityFit;
  /** Output pixel -> frame pixel, what the warp samples with. */
  toSource: Affine;
}

/** The similarity taking a face's 5 landmarks onto the template of a `size` x `size` input. */
export function alignmentFor(landmarks: Landmarks5, size: number): Alignment {
  const fit = umeyamaSimilarity(landmarks, templateFor(size));
  return { fit, toSource: invertAffine(fit.matrix) };
}

/** Aligns one face into a (square) tensor slot; returns the transform used. */
export function alignFaceInto(frame: Frame, landmarks: Landmarks5, target: TensorTarget, flip = false): Alignment {
  const al = alignmentFor(landmarks, target.width);
  warpInto(frame, al.toSource, target, flip);
  return al;
}
