import type { Preprocess } from '../runtime/model-types.ts';

/** How a model wants its pixels: memory layout, channel order, normalisation, transposition. */
export type TensorLayout = Pick<Preprocess, 'layout' | 'colour' | 'mean' | 'scale' | 'transposed'>;

/**
 * One image slot inside a model input tensor, described by strides so that resampling and
 * warping write normalised pixels straight into it (no intermediate image, no per-pixel closure).
 * Element (x, y, channel c) lives at offset + x*strideX + y*strideY + c*strideC, where x, y are
 * image coordinates (a transposed model simply gets swapped strides).
 */
export interface TensorTarget {
  data: Float32Array;
  width: number;
  height: number;
  offset: number;
  strideX: number;
  strideY: number;
  /** Offsets of R, G and B (or of the single grey value in offR when grey). */
  offR: number;
  offG: number;
  offB: number;
  grey: boolean;
  mean: number;
  scale: number;
}

export function channelsOf(layout: TensorLayout): 1 | 3 {
  return layout.colour === 'GREY' ? 1 : 3;
}

/** Tensor dims for a batch of n images of width x height. Transposed models take [.., W, H, ..]. */
export function tensorDims(layout: TensorLayout, n: number, width: number, height: number): number[] {
  const c = channelsOf(layout);
  const [a, b] = layout.transposed ? [width, height] : [height, width];
  return layout.layout === 'NHWC' ? [n, a, b, c] : [n, c, a, b];
}

/** The slot of image `index` in a batch tensor `data` laid out as `layout`. */
export function tensorTarget(data: Float32Array, layout: TensorLayout, width: number, height: number, index = 0): TensorTarget {
  const c = channelsOf(layout);
  const plane = width * height;
  let strideX: number, strideY: number, strideC: number;
  if (layout.layout === 'NHWC') {
    strideC = 1;
    [strideX, strideY] = layout.transposed ? [height * c, c] : [c, width * c];
  } else {
    strideC = plane;
    [strideX, strideY] = layout.transposed ? [height, 1] : [1, width];
  }
  const bgr = layout.colour === 'BGR';
  return {
    data, width, height, offset: index * plane * c, strideX, strideY,
    offR: bgr ? 2 * strideC : 0, offG: strideC, offB: bgr ? 0 : 2 * strideC,
    grey: c === 1, mean: layout.mean, scale: layout.scale,
  };
}

/** ITU-R BT.601 luma, the weights OpenCV's RGB2GRAY uses. */
export const GREY_R = 0.299;
export const GREY_G = 0.587;
export const GREY_B = 0.114;
