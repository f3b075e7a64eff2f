import { GREY_B, GREY_G, GREY_R, type TensorTarget } from '../image/tensor-target.ts';
import type { Frame } from '../types.ts';
import type { Affine } from './similarity.ts';

/**
 * Bilinear affine warp of an RGB frame straight into a model's input tensor slot.
 * `toSource` maps output pixel (u, v) to frame coordinates (the inverse of the alignment
 * transform); pixel indices are pixel centres, as in OpenCV's warpAffine. Samples outside the
 * frame read zero (a black border), then get the model's mean/scale like any pixel.
 * `flip` mirrors the output horizontally (for flip test-time augmentation).
 */
export function warpInto(frame: Frame, toSource: Affine, target: TensorTarget, flip = false): void {
  const { data: src, width: W, height: H } = frame;
  const { data: out, width: ow, height: oh, strideX, strideY, offR, offG, offB, grey, mean, scale } = target;
  const [a, b, c, d, e, f] = toSource;
  const W3 = W * 3;
  const xStep = flip ? -strideX : strideX;
  const xStart = flip ? (ow - 1) * strideX : 0;
  for (let v = 0; v < oh; v++) {
    let sx = b * v + c;
    let sy = e * v + f;
    let o = target.offset + v * strideY + xStart;
    for (let u = 0; u < ow; u++, sx += a, sy += d, o += xStep) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let r = 0, g = 0, bl = 0;
      if (x0 >= 0 && y0 >= 0 && x0 < W - 1 && y0 < H - 1) {
        const p00 = y0 * W3 + x0 * 3;
        const p10 = p00 + 3;
        const p01 = p00 + W3;
        const p11 = p01 + 3;
        const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
        r = src[p00] * w00 + src[p10] * w10 + src[p01] * w01 + src[p11] * w11;
        g = src[p00 + 1] * w00 + src[p10 + 1] * w10 + src[p01 + 1] * w01 + src[p11 + 1] * w11;
        bl = src[p00 + 2] * w00 + src[p10 + 2] * w10 + src[p01 + 2] * w01 + src[p11 + 2] * w11;
      } else if (x0 >= -1 && y0 >= -1 && x0 < W && y0 < H) {
        // Straddles the border: taps outside the frame are zero.
        for (let k = 0; k < 4; k++) {
          const xx = x0 + (k & 1);
          const yy = y0 + (k >> 1);
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          const wk = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
          const p = yy * W3 + xx * 3;
          r += src[p] * wk;
          g += src[p + 1] * wk;
          bl += src[p + 2] * wk;
        }
      }
      if (grey) {
        out[o] = (GREY_R * r + GREY_G * g + GREY_B * bl - mean) * scale;
      } else {
        out[o + offR] = (r - mean) * scale;
        out[o + offG] = (g - mean) * scale;
        out[o + offB] = (bl - mean) * scale;
      }
    }
  }
}
