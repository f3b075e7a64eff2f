import type { OnnxLivenessModel } from './onnx-liveness.ts';

/**
 * Logistic fusion of the networks' evidence: P(live) = sigmoid(bias + sum w_i * e_i), fitted on all
 * spoof-nuaa-dev subjects (classes weighted equally, L2 1) by `npx tsx test/bench/liveness.ts`.
 * The fit all but ignores FaceAntiSpoofing (AUC 0.74 on NUAA against 1.000 for fr_liveness):
 * fused behaves like fr_liveness with a slightly softer scale, at the cost of the slow network.
 */
export const FUSION: { components: OnnxLivenessModel['packId'][]; weights: number[]; bias: number } = {
  components: ['fr-liveness', 'antispoof-256'],
  weights: [1.144449, 0.05311],
  bias: -0.584054,
};
