import type { Box } from '../types.ts';

/**
 * Box maths shared by the detectors, as pure functions. Boxes here are corner form in
 * continuous pixel coordinates: x1 <= x < x2, so the width is x2 - x1 (no "+1" pixel-inclusive
 * convention).
 */
export interface Corners {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface ScoredBox extends Corners {
  score: number;
}

export type OverlapMode = 'union' | 'min';

export function area(b: Corners): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Intersection over union, or over the smaller area ('min': suppresses a box nested in another). */
export function overlap(a: Corners, b: Corners, mode: OverlapMode = 'union'): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const aa = area(a);
  const ab = area(b);
  const denom = mode === 'min' ? Math.min(aa, ab) : aa + ab - inter;
  return denom > 0 ? inter / denom : 0;
}

/**
 * Greedy non-maximum suppression: returns the indices kept, highest score first. A box is dropped
 * when its overlap with an already kept box exceeds `threshold`. Ties keep the earlier index.
 */
export function nms(boxes: readonly ScoredBox[], threshold: number, mode: OverlapMode = 'union'): number[] {
  const order = boxes.map((_, i) => i).sort((i, j) => boxes[j].score - boxes[i].score || i - j);
  const removed = new Uint8Array(boxes.length);
  const keep: number[] = [];
  for (let a = 0; a < order.length; a++) {
    const i = order[a];
    if (removed[i]) continue;
    keep.push(i);
    for (let b = a + 1; b < order.length; b++) {
      const j = order[b];
      if (!removed[j] && overlap(boxes[i], boxes[j], mode) > threshold) removed[j] = 1;
    }
  }
  return keep;
}

/** Applies MTCNN box regression: each corner moves by its offset times the box width/height. */
export function regressBox<T extends Corners>(b: T, dx1: number, dy1: number, dx2: number, dy2: number): T {
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  return { ...b, x1: b.x1 + dx1 * w, y1: b.y1 + dy1 * h, x2: b.x2 + dx2 * w, y2: b.y2 + dy2 * h };
}

/** Grows the shorter side to make the box square about its centre (the next net wants squares). */
export function squareBox<T extends Corners>(b: T): T {
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  const l = Math.max(w, h);
  const x1 = b.x1 + (w - l) / 2;
  const y1 = b.y1 + (h - l) / 2;
  return { ...b, x1, y1, x2: x1 + l, y2: y1 + l };
}

/** `b` scaled by `f` about its centre. */
export function scaleBox<T extends Corners>(b: T, f: number): T {
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  const hw = ((b.x2 - b.x1) * f) / 2;
  const hh = ((b.y2 - b.y1) * f) / 2;
  return { ...b, x1: cx - hw, y1: cy - hh, x2: cx + hw, y2: cy + hh };
}

export function cornersToBox(b: Corners): Box {
  return { x: b.x1, y: b.y1, w: b.x2 - b.x1, h: b.y2 - b.y1 };
}

export function boxToCorners(b: Box): Corners {
  return { x1: b.x, y1: b.y, x2: b.x + b.w, y2: b.y + b.h };
}

/** The part of a box inside a width x height frame (empty boxes get w or h = 0). */
export function clipBox(b: Box, width: number, height: number): Box {
  const x1 = Math.min(width, Math.max(0, b.x));
  const y1 = Math.min(height, Math.max(0, b.y));
  const x2 = Math.min(width, Math.max(0, b.x + b.w));
  const y2 = Math.min(height, Math.max(0, b.y + b.h));
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/**
 * How to copy an integer crop rectangle that may leave the frame into a zero-filled buffer of the
 * rectangle's size: `src` is the part inside the frame, `dst` where it lands in the buffer.
 * (The zero-padded crops MTCNN's R-Net/O-Net were trained on.)
 */
export function padWindow(rect: Box, width: number, height: number): { src: Box; dst: { x: number; y: number } } {
  const src = clipBox(rect, width, height);
  return { src, dst: { x: src.x - rect.x, y: src.y - rect.y } };
}

/**
 * Pyramid scales for a sliding 12 px cell: the first maps `minFace` px to 12 px, each next one is
 * `factor` smaller, while the shorter image side still covers at least one cell and the cell
 * stands for a face no larger than `maxFace` px (a door camera knows how close a face can get).
 */
export function pyramidScales(width: number, height: number, minFace: number, factor = 0.709, cell = 12, maxFace = Infinity): number[] {
  if (!(minFace > 0) || !(factor > 0 && factor < 1)) return [];
  const m = cell / minFace;
  const scales: number[] = [];
  let side = Math.min(width, height) * m;
  let s = m;
  while (side >= cell && cell / s <= maxFace) {
    scales.push(s);
    s *= factor;
    side *= factor;
  }
  return scales;
}
