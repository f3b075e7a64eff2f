import type { Box } from '../types.ts';

/**
 * Where a liveness model looks: the detector box scaled about its centre, then shifted to lie
 * inside the frame (both reference apps shift rather than pad: black padding is itself a cue
 * these models may have learnt). When the scaled box cannot fit, the scale shrinks until it does.
 * `square` first makes the box square on its longer side (FaceAntiSpoofing's crop).
 */
export function livenessCropRect(box: Box, scale: number, frameWidth: number, frameHeight: number, square = false): Box {
  let w = box.w;
  let h = box.h;
  if (square) w = h = Math.max(w, h);
  const k = Math.max(0, Math.min(scale, frameWidth / w, frameHeight / h));
  const cw = w * k;
  const ch = h * k;
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const x = Math.min(Math.max(cx - cw / 2, 0), frameWidth - cw);
  const y = Math.min(Math.max(cy - ch / 2, 0), frameHeight - ch);
  return { x, y, w: cw, h: ch };
}
