/**
 * LFW-style pair lists: CSV with header `fold,image_a,image_b,same` (fold optional, same 1/0),
 * image paths relative to an images folder.
 */
import { FaceGateError } from '../sdk/errors.ts';
import { readCsvRows } from './csv-rows.ts';
import { resolveConfined } from './image-path.ts';

export interface Pair {
  /** Absolute paths, confined to the images folder. */
  a: string;
  b: string;
  same: boolean;
  /** Fold number from the CSV, or 0 when the CSV has no fold column. */
  fold: number;
}

export interface PairList {
  pairs: Pair[];
  hasFolds: boolean;
}

export const PAIRS_HEADER = 'fold,image_a,image_b,same (fold optional; same is 1 or 0)';

export async function loadPairsCsv(csvPath: string, imagesDir: string): Promise<PairList> {
  const pairs: Pair[] = [];
  let hasFolds = false;
  for await (const { line, values } of readCsvRows(csvPath, { required: ['image_a', 'image_b', 'same'], optional: ['fold'], describe: PAIRS_HEADER })) {
    const where = `${csvPath}: line ${line}`;
    hasFolds = 'fold' in values;
    const sameText = values.same;
    if (sameText !== '1' && sameText !== '0') {
      throw new FaceGateError('FG_CSV_INVALID', `${where}: "same" must be 1 or 0, got "${sameText}"`);
    }
    let fold = 0;
    if (hasFolds) {
      fold = Number(values.fold);
      if (!/^\d+$/.test(values.fold) || fold < 1) throw new FaceGateError('FG_CSV_INVALID', `${where}: "fold" must be a positive integer, got "${values.fold}"`);
    }
    pairs.push({
      a: resolveConfined(imagesDir, values.image_a, where),
      b: resolveConfined(imagesDir, values.image_b, where),
      same: sameText === '1',
      fold,
    });
  }
  if (pairs.length === 0) throw new FaceGateError('FG_CSV_INVALID', `${csvPath}: no pairs after the header`);
  return { pairs, hasFolds };
}

/**
 * An evenly spaced subset of n items (deterministic). LFW lists run genuine-then-impostor inside
 * each fold, so taking the first n would give one label from one fold.
 */
export function evenSubset<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return items.slice();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.floor((i * items.length) / n)]);
  return out;
}
