import type { DetectedFace, Frame } from '../types.ts';

/** The liveness models the SDK can run: one model, or both fused. */
export type LivenessModelId = 'fr-liveness' | 'antispoof-256' | 'fused';
export const LIVENESS_MODEL_IDS: readonly LivenessModelId[] = ['fr-liveness', 'antispoof-256', 'fused'];

/**
 * Passive (single-frame) presentation-attack detection. Each implementation cuts its own crop
 * from the frame around the detected face. A score is a probability-like value in [0, 1]:
 * 1 = live (bona fide), 0 = attack. One frame is weak evidence: the device aggregates the scores of
 * a track over several frames (aggregateLiveness) before it trusts one.
 */
export interface LivenessScorer {
  readonly id: LivenessModelId;
  score(frame: Frame, face: DetectedFace): Promise<number>;
  release(): Promise<void>;
}
