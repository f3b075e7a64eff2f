import type { Box, Landmarks5 } from '../../types.ts';

/**
 * 68-point (iBUG 300-W order) -> 5-point reduction, as measured best on lfw-dev: eye centres from
 * the four eyelid points (corners 36/39 and 42/45 left out: they sit on the canthi, not the
 * pupil), nose tip 30, mouth corners averaged over outer and inner lip corners.
 */
const LEFT_EYE = [37, 38, 40, 41];
const RIGHT_EYE = [43, 44, 46, 47];
const NOSE = [30];
const MOUTH_LEFT = [48, 60];
const MOUTH_RIGHT = [54, 64];

/** `pts` holds x0, y0, x1, y1, ... (68 pairs) from `offset`. */
export function reduce68To5(pts: ArrayLike<number>, offset = 0): Landmarks5 {
  const mean = (idx: number[]): [number, number] => {
    let x = 0, y = 0;
    for (const i of idx) {
      x += pts[offset + 2 * i];
      y += pts[offset + 2 * i + 1];
    }
    return [x / idx.length, y / idx.length];
  };
  return [mean(LEFT_EYE), mean(RIGHT_EYE), mean(NOSE), mean(MOUTH_LEFT), mean(MOUTH_RIGHT)];
}

/**
 * The crop fed to the 68-point model: the detector box in whole pixels, shrunk if larger than the
 * frame and shifted (not padded) to lie inside it, as the model's original pipeline did.
 */
export function landmarkCropRect(box: Box, width: number, height: number): Box {
  let w = Math.max(1, Math.trunc(box.w));
  let h = Math.max(1, Math.trunc(box.h));
  const s = Math.min(1, width / w, height / h);
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  w = Math.max(1, Math.floor(w * s));
  h = Math.max(1, Math.floor(h * s));
  const x = Math.min(width - w, Math.max(0, Math.round(cx - w / 2)));
  const y = Math.min(height - h, Math.max(0, Math.round(cy - h / 2)));
  return { x, y, w, h };
}
