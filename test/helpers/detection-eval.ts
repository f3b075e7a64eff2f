import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { boxToCorners, overlap } from '../../sdk/detect/box-math.ts';
import type { Box } from '../../sdk/types.ts';

/** Labelled face boxes of ../shared/data/dlib-pascal-faces, grouped by image file. */
export async function dlibPascalBoxes(dir: string): Promise<Map<string, Box[]>> {
  const rows = parse(await readFile(join(dir, 'boxes.csv')), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const byImage = new Map<string, Box[]>();
  for (const r of rows) {
    const list = byImage.get(r.image) ?? [];
    list.push({ x: Number(r.x), y: Number(r.y), w: Number(r.w), h: Number(r.h) });
    byImage.set(r.image, list);
  }
  return byImage;
}

/**
 * One-to-one greedy matching of detections to labelled boxes by IoU (best pairs first): a
 * detection counts as a true positive when it matches a label at IoU >= `minIou`.
 */
export function matchDetections(labels: readonly Box[], detections: readonly Box[], minIou: number): { tp: number; fp: number; fn: number } {
  const pairs: [number, number, number][] = [];
  labels.forEach((l, i) => detections.forEach((d, j) => {
    const iou = overlap(boxToCorners(l), boxToCorners(d));
    if (iou >= minIou) pairs.push([iou, i, j]);
  }));
  pairs.sort((a, b) => b[0] - a[0]);
  const usedL = new Set<number>();
  const usedD = new Set<number>();
  for (const [, i, j] of pairs) {
    if (usedL.has(i) || usedD.has(j)) continue;
    usedL.add(i);
    usedD.add(j);
  }
  return { tp: usedL.size, fp: detections.length - usedD.size, fn: labels.length - usedL.size };
}
