/**
 * Track-guided detection: which frames get the full-frame detector and which only re-find the
 * live tracks' faces around their last boxes (MTCNN: O-Net on a few windows, no pyramid). Pure.
 * A face that is new, or that an around pass lost, is found by the next full pass: at most
 * `fullEvery - 1` frames later, or on the very next frame when a track was lost.
 */

/** Default: a full pass every 5th frame (1/3 s at 15 fps); BENCHMARKS.md, Device, has the trade. */
export const DEFAULT_FULL_DETECT_EVERY = 5;

export interface DetectPlanInput {
  frameNo: number;
  /** Frame number of the last full pass (0: none yet). */
  lastFullFrame: number;
  /** Live tracks to re-find. */
  hints: number;
  /** The last around pass found fewer faces than it had hints. */
  lost: boolean;
  /** 1 = a full pass on every frame (no track guidance). */
  fullEvery: number;
}

export function needsFullPass(p: DetectPlanInput): boolean {
  return p.fullEvery <= 1 || p.hints === 0 || p.lost || p.lastFullFrame === 0 || p.frameNo - p.lastFullFrame >= p.fullEvery;
}
