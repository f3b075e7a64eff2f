/**
 * Fallback only: `facegate identify` and the device derive the threshold from match.fpir and the
 * model's stored impostor tail (operating-point.ts); these fixed values serve a model without one.
 * Starting 1:N thresholds (Euclidean, unit embeddings) per embedding model, used when none is
 * configured: the largest threshold keeping the false-accept rate of not-enrolled people at or
 * under 1% on lfw-dev 1:N (180 identities, 675 strangers), rounded down below every measured
 * variant. Measured bounds:
 *   mobilefacenet-192 (MTCNN): 0.949 1-shot, 0.945 2-shot; with flip 0.947 / 0.934
 *   fr-feature-512 + flip (MTCNN): 1.076 1-shot, 1.055 2-shot
 * Thresholds shrink as the gallery grows and depend on the camera: calibrate per site
 * (`facegate calibrate`); a door should aim well below 1%.
 */
import { FaceGateError } from '../errors.ts';

export const DEFAULT_THRESHOLDS: Readonly<Record<string, number>> = {
  'mobilefacenet-192': 0.93,
  'fr-feature-512': 1.05,
};

export function defaultThreshold(modelId: string): number {
  const t = DEFAULT_THRESHOLDS[modelId];
  if (t === undefined) throw new FaceGateError('FG_CONFIG_INVALID', `no default threshold for model ${modelId}; pass --threshold`);
  return t;
}
