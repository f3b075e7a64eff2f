/**
 * Fallback only: `facegate identify` and the device derive the threshold from match.fpir and the
 * model's stored impostor tail (operating-point.ts); these fixed values serve a model without one.
 * Starting 1:N thresholds (Euclidean, unit embeddings) per embedding model, used when none is
 * configured. The figures and how they were measured live with each embedder's row in
 * sdk/registry.ts. Thresholds shrink as the gallery grows and depend on the camera: calibrate per
 * site (`facegate calibrate`); a door should aim well below 1%.
 */
import { FaceGateError } from '../errors.ts';
import { EMBEDDERS } from '../registry.ts';

export const DEFAULT_THRESHOLDS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(EMBEDDERS).map(([id, spec]) => [id, spec.threshold]),
);

export function defaultThreshold(modelId: string): number {
  const t = DEFAULT_THRESHOLDS[modelId];
  if (t === undefined) throw new FaceGateError('FG_CONFIG_INVALID', `no default threshold for model ${modelId}; pass --threshold`);
  return t;
}
