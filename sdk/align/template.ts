import type { Landmarks5 } from '../types.ts';

/** Side of the aligned face the ArcFace-style template is defined for, px. */
export const TEMPLATE_SIZE = 112;

/**
 * Where the five landmarks land in a 112x112 aligned face (the InsightFace/ArcFace template, also
 * what MobileFaceNet and fr_feature were trained on): eyes, nose tip, mouth corners.
 */
export const ARCFACE_TEMPLATE: Readonly<Landmarks5> = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * The template for a square input of `size` px (models with another input size). Coordinates are
 * pixel indices (pixel i is centred at i), so scaling keeps pixel centres: (x + 0.5) * s - 0.5.
 */
export function templateFor(size: number): Landmarks5 {
  const s = size / TEMPLATE_SIZE;
  return ARCFACE_TEMPLATE.map(([x, y]) => [(x + 0.5) * s - 0.5, (y + 0.5) * s - 0.5]) as Landmarks5;
}
