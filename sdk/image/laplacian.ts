import { GREY_B, GREY_G, GREY_R, type TensorTarget } from './tensor-target.ts';

/**
 * Variance of the 4-neighbour Laplacian of the grey image held in a tensor slot, in 0..255 grey
 * units (the model's mean/scale undone), over the slot minus `margin` px on each side. Low values
 * mean a blurred face. The margin keeps an aligned face's black border and background out.
 */
export function laplacianVariance(t: TensorTarget, margin = 0): number {
  const { data, strideX, strideY, offR, offG, offB, grey, mean, scale } = t;
  // Grey copy of the region plus a 1 px ring for the neighbours.
  const gx0 = Math.max(0, margin - 1), gy0 = Math.max(0, margin - 1);
  const gx1 = Math.min(t.width, t.width - margin + 1), gy1 = Math.min(t.height, t.height - margin + 1);
  const gw = gx1 - gx0, gh = gy1 - gy0;
  if (gw < 3 || gh < 3) return 0;
  const g = new Float32Array(gw * gh);
  const inv = 1 / scale;
  for (let y = 0; y < gh; y++) {
    let o = t.offset + gx0 * strideX + (gy0 + y) * strideY;
    for (let x = 0; x < gw; x++, o += strideX) {
      g[y * gw + x] = (grey ? data[o] : GREY_R * data[o + offR] + GREY_G * data[o + offG] + GREY_B * data[o + offB]) * inv + mean;
    }
  }
  let sum = 0, sq = 0, n = 0;
  for (let y = 1; y < gh - 1; y++) {
    for (let x = 1, i = y * gw + 1; x < gw - 1; x++, i++) {
      const lap = g[i - 1] + g[i + 1] + g[i - gw] + g[i + gw] - 4 * g[i];
      sum += lap;
      sq += lap * lap;
      n++;
    }
  }
  const m = sum / n;
  return sq / n - m * m;
}
