import type { ScoredBox } from '../box-math.ts';

/** A P-Net window: box in frame pixels, face probability, and its not-yet-applied regression. */
export interface PnetCandidate extends ScoredBox {
  reg: [number, number, number, number];
}

export const PNET_STRIDE = 2;
export const PNET_CELL = 12;

/**
 * Turns P-Net's probability and regression maps at one pyramid scale into candidate windows.
 * The maps are [1, A, B, 2] and [1, A, B, 4]; for a transposed net A runs along image x
 * (mapW cells) and B along y, otherwise A is y. Regression channels are dx1, dy1, dx2, dy2 in
 * image orientation either way. Window (cx, cy) covers 12 px of the scaled image from
 * (2cx, 2cy), i.e. 12/scale px of the frame.
 */
export function pnetCandidates(
  prob: Float32Array, reg: Float32Array, mapW: number, mapH: number, scale: number, threshold: number, transposed: boolean,
): PnetCandidate[] {
  const out: PnetCandidate[] = [];
  const n = mapW * mapH;
  const side = PNET_CELL / scale;
  for (let k = 0; k < n; k++) {
    const score = prob[2 * k + 1];
    if (score < threshold) continue;
    const cx = transposed ? Math.floor(k / mapH) : k % mapW;
    const cy = transposed ? k % mapH : Math.floor(k / mapW);
    const x1 = (PNET_STRIDE * cx) / scale;
    const y1 = (PNET_STRIDE * cy) / scale;
    out.push({ x1, y1, x2: x1 + side, y2: y1 + side, score, reg: [reg[4 * k], reg[4 * k + 1], reg[4 * k + 2], reg[4 * k + 3]] });
  }
  return out;
}

