/**
 * Quality checks of guided capture, as pure functions of a face's landmarks and the frame's
 * pixels. Pose comes from the five landmarks: yaw from the nose's offset to the eyes' midpoint,
 * roll from the eye line's angle, pitch from where the nose sits between eyes and mouth.
 */
import type { Box, Frame, Landmarks5 } from '../../sdk/types.ts';
import { interEyePx } from '../../sdk/pipeline/quality.ts';

export interface Pose {
  /** Nose offset from the eyes' midpoint, in inter-eye distances (0 = frontal). */
  yaw: number;
  /** Eye line angle, degrees (0 = level). */
  rollDeg: number;
  /** Nose height between the eye line (0) and the mouth line (1); about 0.5 frontal. */
  pitch: number;
}

export function poseFromLandmarks(l: Landmarks5): Pose {
  const [le, re, nose, lm, rm] = l;
  const eye = interEyePx(l) || 1;
  const midX = (le[0] + re[0]) / 2, eyeY = (le[1] + re[1]) / 2, mouthY = (lm[1] + rm[1]) / 2;
  const rollDeg = (Math.atan2(re[1] - le[1], re[0] - le[0]) * 180) / Math.PI;
  const span = mouthY - eyeY;
  return { yaw: (nose[0] - midX) / eye, rollDeg: Math.abs(rollDeg) > 90 ? rollDeg - Math.sign(rollDeg) * 180 : rollDeg, pitch: span > 0 ? (nose[1] - eyeY) / span : 0 };
}

export const FRONTAL = { maxYaw: 0.3, maxRollDeg: 15, minPitch: 0.25, maxPitch: 0.8 };

export function isFrontal(p: Pose, lim = FRONTAL): boolean {
  return Math.abs(p.yaw) <= lim.maxYaw && Math.abs(p.rollDeg) <= lim.maxRollDeg && p.pitch >= lim.minPitch && p.pitch <= lim.maxPitch;
}

export interface Lighting {
  /** Mean grey level of the face box, 0..255. */
  mean: number;
  /** Share of sampled pixels at or near black or white. */
  clipped: number;
}

/** Grey statistics of the face box, sampled on a grid of at most ~64x64 points. */
export function faceLighting(frame: Frame, box: Box): Lighting {
  const x0 = Math.max(0, Math.floor(box.x)), y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(frame.width, Math.ceil(box.x + box.w)), y1 = Math.min(frame.height, Math.ceil(box.y + box.h));
  if (x1 <= x0 || y1 <= y0) return { mean: 0, clipped: 1 };
  const step = Math.max(1, Math.floor(Math.max(x1 - x0, y1 - y0) / 64));
  let sum = 0, clipped = 0, n = 0;
  const d = frame.data;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0, o = (y * frame.width + x0) * 3; x < x1; x += step, o += 3 * step) {
      const g = 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
      sum += g;
      if (g <= 8 || g >= 247) clipped++;
      n++;
    }
  }
  return { mean: sum / n, clipped: clipped / n };
}

export const LIGHTING = { minMean: 50, maxMean: 215, maxClipped: 0.2 };

export function wellLit(l: Lighting, lim = LIGHTING): boolean {
  return l.mean >= lim.minMean && l.mean <= lim.maxMean && l.clipped <= lim.maxClipped;
}
