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
   * Channel order actually fed. fr_liveness: BGR (a MiniFASNet-style net trained on OpenCV
   * frames) gave AUC 1.000 vs 0.989 for RGB, and a wider live/attack margin; the manifest still
   * says RGB, so the measured order is stated here.
   */
  colour: 'RGB' | 'BGR';
}

export const LIVENESS_RECIPES: Record<LivenessModelRecipe['packId'], LivenessModelRecipe> = {
  // Box x2.7 as in the faceplugin JS (x2.0 and a squared box scored lower margins).
  'fr-liveness': { packId: 'fr-liveness', cropScale: 2.7, square: false, colour: 'BGR' },
  // Square box x1.0 as in the Android app; x0.8, 1.3, 1.6, 2.2, BGR, 0-255 and [-1,1] all did worse.
  'antispoof-256': { packId: 'antispoof-256', cropScale: 1.0, square: true, colour: 'RGB' },
};
