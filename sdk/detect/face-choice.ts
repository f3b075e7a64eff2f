import type { Box } from '../types.ts';

/** Anything with a face box (detections, analysed faces). */
export type Boxed = { readonly box: Box };

/**
 * Which face of a frame to act on, as pure functions. Measured on lfw-dev: the face nearest the
 * centre beat "largest minus centre offset", which picked a neighbour twice.
 */

function centreDistance(f: Boxed, width: number, height: number): number {
  return Math.hypot(f.box.x + f.box.w / 2 - width / 2, f.box.y + f.box.h / 2 - height / 2);
}

/** Index of the face whose box centre is nearest the frame centre; -1 when there is none. */
export function mostCentralFace(faces: readonly Boxed[], width: number, height: number): number {
  let best = -1;
  let bestD = Infinity;
  faces.forEach((f, i) => {
    const d = centreDistance(f, width, height);
    if (d < bestD) { bestD = d; best = i; }
  });
  return best;
}

/** Index of the largest face (max of box w, h); -1 when there is none. */
export function largestFace(faces: readonly Boxed[]): number {
  let best = -1;
  let bestS = -Infinity;
  faces.forEach((f, i) => {
    const s = Math.max(f.box.w, f.box.h);
    if (s > bestS) { bestS = s; best = i; }
  });
  return best;
}

/**
 * For access control: true when another face is at least `ratio` times the size of the chosen
 * one, so the frame is ambiguous (two people at the door) and the caller should wait.
 */
export function hasRivalFace(faces: readonly Boxed[], chosen: number, ratio = 0.8): boolean {
  if (chosen < 0 || chosen >= faces.length) return false;
  const size = Math.max(faces[chosen].box.w, faces[chosen].box.h);
  return faces.some((f, i) => i !== chosen && Math.max(f.box.w, f.box.h) >= ratio * size);
}
