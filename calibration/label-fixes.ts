/**
 * Corrections to a labelled set's ground truth, from a CSV `identity,same_as[,evidence]`:
 * - a row whose `identity` is a name folds that name into `same_as` (one person filed under two
 *   names, e.g. two spellings);
 * - a row whose `identity` is an image path (relative to --images, with an image extension) files
 *   that one photo under `same_as` (a photo filed under the wrong person).
 * Evaluations count errors against the corrected labels; every row states its evidence.
 */
import { FaceGateError } from '../sdk/errors.ts';
import { readCsvRows } from './csv-rows.ts';
import { resolveConfined } from './image-path.ts';
import { isImageFile, type LabeledImage } from './labeled.ts';

export interface LabelFixes {
  /** name -> the name of the person it is */
  readonly names: ReadonlyMap<string, string>;
  /** resolved image path -> the person in the photo */
  readonly photos: ReadonlyMap<string, string>;
}

/** No corrections. */
export const NO_LABEL_FIXES: LabelFixes = { names: new Map(), photos: new Map() };

export async function loadLabelFixes(path: string, imagesDir: string): Promise<LabelFixes> {
  const names = new Map<string, string>();
  const photos = new Map<string, string>();
  for await (const { line, values } of readCsvRows(path, { required: ['identity', 'same_as'], describe: 'identity,same_as (identity: a name or an image path; other columns ignored)' })) {
    const where = `${path}: line ${line}`;
    if (!values.identity || !values.same_as) throw new FaceGateError('FG_CSV_INVALID', `${where}: empty identity or same_as`);
    if (isImageFile(values.identity)) photos.set(resolveConfined(imagesDir, values.identity, where), values.same_as);
    else names.set(values.identity, values.same_as);
  }
  return { names, photos };
}

/** Items relabelled: a fixed photo takes its person's name, then aliased names fold into one. */
export function applyLabelFixes(items: readonly LabeledImage[], fixes: LabelFixes): LabeledImage[] {
  return items.map((i) => {
    const photo = fixes.photos.get(i.path) ?? i.identity;
    const identity = fixes.names.get(photo) ?? photo;
    return identity === i.identity ? i : { ...i, identity };
  });
}

/** How many photos and names the fixes changed in these items. */
export function countLabelFixes(items: readonly LabeledImage[], fixes: LabelFixes): { names: number; photos: number } {
  const names = new Set(items.filter((i) => fixes.names.has(i.identity)).map((i) => i.identity));
  return { names: names.size, photos: items.filter((i) => fixes.photos.has(i.path)).length };
}
