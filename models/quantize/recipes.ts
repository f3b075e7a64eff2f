/**
 * Which pack models get which lower-precision builds, and how. Choices are measured
 * (docs/quantization.md, test/bench/quantize.bench.ts); change them only with new figures.
 */
import type { GraphOptLevel } from '../../sdk/runtime/model-types.ts';
import type { CalibrationMethod } from './range-histogram.ts';

export interface Int8Recipe {
  method: CalibrationMethod;
  /** percentile: share kept per tail. */
  percentile?: number;
  /**
   * 7-bit weights. Needed on AVX2 CPUs without VNNI (ORT's u8s8 kernel there sums two u8*s8
   * products in int16 and saturates); measured to cost nothing in accuracy with it and ~0.007
   * median cosine without it on MobileFaceNet. Costs nothing in speed either.
   */
  reduceRange: boolean;
  /** Node names kept in float (sensitive layers). */
  exclude?: string[];
  /** Keep the last N Conv/Gemm layers in float (an embedder's head). */
  floatTail?: number;
  /** PRelu as an integer Max (default true; see qdq-quantize.ts). */
  integerMax?: boolean;
  /**
   * Correct each quantised Conv's bias for the mean shift of its rounded weights, from the input
   * channel means seen in calibration (quant-math.ts correctBias).
   */
  biasCorrection?: boolean;
  /** Equalise channel ranges between Convs before calibrating (models/quantize/equalize.ts). */
  equalize?: boolean;
  /** Clamp PRelu slopes up to 1 + this to 1 where signs cannot be folded (prelu-rewrite.ts). */
  slopeClampTolerance?: number;
  /**
   * Whether precision 'auto' (the CPU device default) uses this int8 build. False where it
   * measured no faster than fp32 on CPU (test/bench/quantize.bench.ts); `--precision int8` still can.
   */
  auto?: boolean;
  /** ORT graph optimisation level for the int8 file (measured fastest on CPU). */
  optLevel: GraphOptLevel;
}

const DEFAULT_INT8: Int8Recipe = { method: 'percentile', percentile: 0.99999, reduceRange: true, equalize: true, optLevel: 'all' };

/** Models quantised to int8: the RFB detector (+ its landmark net) and both embedders. */
export const INT8_RECIPES: Readonly<Record<string, Int8Recipe>> = {
  // MTCNN nets are not quantised for now: in CI an int8 MTCNN lost a face that fp32 found on a
  // demo photo (test/integration/quantize/variants.test.ts); P-Net/R-Net also measured no faster
  // in int8 (P-Net 1.03x, R-Net 0.4-1.0x). Re-add once detection recall matches fp32.
  'rfb-320': { ...DEFAULT_INT8, auto: false },
  'landmark-68': { ...DEFAULT_INT8 },
  // Head (global depthwise 7x7 + linear 1x1s) in float: +0.002 median cosine, ~1% of the time.
  'mobilefacenet-192': { ...DEFAULT_INT8, floatTail: 3 },
  // Bias correction: median cosine to fp32 0.9907 -> 0.9924 on the 2,320 lfw-dev pair faces, fused
  // 1:1 10-fold 99.50% -> 99.72% with MobileFaceNet int8 (docs/quantization.md); no speed cost.
  'fr-feature-512': { ...DEFAULT_INT8, floatTail: 2, biasCorrection: true },
};

/** Models given an fp16 build (every model: fp16 needs no calibration). */
export const FP16_MODELS: readonly string[] = [
  'mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192', 'antispoof-256', 'rfb-320', 'landmark-68', 'fr-feature-512', 'fr-liveness',
];
