import { ARCFACE_TEMPLATE, TEMPLATE_SIZE } from '../align/template.ts';
import type { DetectedFace, Landmarks5 } from '../types.ts';

/**
 * Where an LFW-style image (one face, roughly centred) holds its aligned face, measured on
 * lfw-dev (RFB landmarks, every 13th image, n = 295 per variant): the square that 5-point
 * alignment maps onto the 112 px template has side 0.515 (p10-p90 0.48-0.58) of the shorter image
 * side on images/ and 0.509 on images_orig150/; its centre sits at x 0.50, y 0.465 of the image.
 */
export const CENTRE_CROP_FRACTION = 0.51;
export const CENTRE_CROP_Y = 0.465;

/**
 * A pseudo-detection for an image where no face was found, assumed to hold one roughly centred
 * face: the template's landmarks scaled onto a square of side fraction * min(width, height)
 * centred at (width / 2, centreY * height).
 */
export function centreCropFace(width: number, height: number, fraction = CENTRE_CROP_FRACTION, centreY = CENTRE_CROP_Y): DetectedFace {
  const side = fraction * Math.min(width, height);
  const x0 = width / 2 - side / 2;
  const y0 = centreY * height - side / 2;
  const s = side / TEMPLATE_SIZE;
  const landmarks5 = ARCFACE_TEMPLATE.map(([x, y]) => [x0 + (x + 0.5) * s - 0.5, y0 + (y + 0.5) * s - 0.5]) as Landmarks5;
  return { box: { x: x0, y: y0, w: side, h: side }, score: 0, landmarks5 };
}
