/**
 * How each liveness model looks at a face: its crop around the detector box and the channel order
 * it wants. Both were measured on spoof-nuaa-dev (AUC per variant in docs/liveness.md); size,
 * layout, mean and scale come from the model pack manifest.
 */
export interface LivenessModelRecipe {
  /** Pack model id. */
  packId: 'fr-liveness' | 'antispoof-256';
  /** Detector box scaled about its centre by this factor (then shifted into the frame). */
  cropScale: number;
  /** Make the box square on its longer side first. */
  square: boolean;
  /**
   * Channel order measured to work, which the pack manifest must state too (the tensor is filled
   * from the manifest; a pack built from older specs is refused rather than fed the wrong order).
   * fr_liveness: BGR (a MiniFASNet-style net trained on OpenCV frames) gave AUC 1.000 vs 0.985
   * for RGB, and a far wider live/attack margin.
   */
  colour: 'RGB' | 'BGR';
}

export const LIVENESS_RECIPES: Record<LivenessModelRecipe['packId'], LivenessModelRecipe> = {
  // Box x2.7 as in the faceplugin JS. x2.0 had a smaller NUAA margin; a squared x2.7 box a larger
  // one, but it lifted the minivision tablet replay to log-odds -1.4 (from -5.6) and sank a live face below 0.
  'fr-liveness': { packId: 'fr-liveness', cropScale: 2.7, square: false, colour: 'BGR' },
  // Square box x1.0 as in the Android app; x0.8, 1.3, 1.6, 2.2, BGR, 0-255 and [-1,1] all did worse.
  'antispoof-256': { packId: 'antispoof-256', cropScale: 1.0, square: true, colour: 'RGB' },
};

/**
 * Default `liveness.threshold` per scorer: the score below which 1% of bona fide LFW faces fall
 * (pairs fold 1, 500 images; the gate's 1 pp genuine-acceptance budget), rounded. No attack image
 * took part in choosing it; at it spoof-nuaa-dev and spoof-minivision are reported in
 * docs/liveness.md. A threshold chosen at BPCER 5% on NUAA live frames (0.995) does not transfer:
 * the networks are overconfident on NUAA's studio-like live frames, and it rejects half of LFW.
 */
export const DEFAULT_LIVENESS_THRESHOLDS: Record<'fr-liveness' | 'antispoof-256' | 'fused', number> = {
  'fr-liveness': 0.01, // measured 0.009907
  'antispoof-256': 0.0055, // measured 0.00555; accepts every NUAA attack there: not a usable gate alone
  fused: 0.002, // measured 0.002199
};
