import type { Box, FaceQuality, Landmarks5 } from '../types.ts';

/** Distance between the two eye landmarks, px. */
export function interEyePx(l: Landmarks5): number {
  return Math.hypot(l[1][0] - l[0][0], l[1][1] - l[0][1]);
}

export function faceQuality(box: Box, landmarks: Landmarks5, blur: number): FaceQuality {
  return { sizePx: Math.max(box.w, box.h), interEyePx: interEyePx(landmarks), blur };
}
