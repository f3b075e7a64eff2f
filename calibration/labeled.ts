/**
 * Labelled images (identity, image) -> verification pairs: every genuine pair, and a seeded sample
 * of impostor pairs large enough to estimate the target FAR.
 */
import { readdir } from 'node:fs/promises';
import { join, extname, resolve } from 'node:path';
import { FaceGateError } from '../sdk/errors.ts';
import { readCsvRows } from './csv-rows.ts';
import { resolveConfined } from './image-path.ts';
import { seededRandom } from './random.ts';
import type { Pair } from './pairs.ts';
import type { LabeledImage as SdkLabeledImage } from '../sdk/types.ts';

/** The SDK's labelled image without the as-written name (calibration reports resolved paths). */
export type LabeledImage = Pick<SdkLabeledImage, 'identity' | 'path'>;

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** Whether a file name has an image extension calibration reads (JPEG, PNG, WebP). */
export const isImageFile = (name: string): boolean => IMAGE_EXT.has(extname(name).toLowerCase());

export async function loadLabeledCsv(csvPath: string, imagesDir: string): Promise<LabeledImage[]> {
  const out: LabeledImage[] = [];
  for await (const { line, values } of readCsvRows(csvPath, { required: ['identity', 'image'], describe: 'identity,image (other columns ignored)' })) {
    const where = `${csvPath}: line ${line}`;
    if (!values.identity) throw new FaceGateError('FG_CSV_INVALID', `${where}: empty identity`);
    out.push({ identity: values.identity, path: resolveConfined(imagesDir, values.image, where) });
  }
  return dedupe(out, csvPath);
}

/** One sub-folder per person; image files directly inside it (sorted, so runs are repeatable). */
export async function loadLabeledDir(dir: string): Promise<LabeledImage[]> {
  const root = resolve(dir);
  const entries = await readdir(root, { withFileTypes: true }).catch((e: unknown) => {
    throw new FaceGateError('FG_INPUT_INVALID', `${dir}: cannot list the folder (${(e as NodeJS.ErrnoException).code ?? e})`, { cause: e });
  });
  const out: LabeledImage[] = [];
  for (const person of entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const files = (await readdir(join(root, person), { withFileTypes: true }))
      .filter((f) => f.isFile() && isImageFile(f.name))
      .map((f) => f.name)
      .sort();
    for (const f of files) out.push({ identity: person, path: join(root, person, f) });
  }
  if (out.length === 0) throw new FaceGateError('FG_INPUT_INVALID', `${dir}: no images in person sub-folders (expected <dir>/<person>/<image>.jpg)`);
  return out;
}

function dedupe(items: LabeledImage[], source: string): LabeledImage[] {
  const seen = new Map<string, string>();
  const out: LabeledImage[] = [];
  for (const it of items) {
    const prev = seen.get(it.path);
    if (prev === undefined) {
      seen.set(it.path, it.identity);
      out.push(it);
    } else if (prev !== it.identity) {
      throw new FaceGateError('FG_CSV_INVALID', `${source}: image ${it.path} is labelled both "${prev}" and "${it.identity}"`);
    }
  }
  if (out.length === 0) throw new FaceGateError('FG_CSV_INVALID', `${source}: no labelled images`);
  return out;
}

/**
 * Default impostor sample: ~100 false accepts expected at the target FAR, which puts the
 * relative half-width of the 95% interval near 20%.
 */
export function impostorSampleSize(targetFar: number): number {
  return Math.ceil(100 / targetFar);
}

export interface LabeledPairs {
  pairs: Pair[];
  identities: number;
  genuinePairs: number;
  impostorPairsPossible: number;
  impostorPairsSampled: number;
}

export function labeledPairs(items: readonly LabeledImage[], opts: { seed: number; impostorPairs: number }): LabeledPairs {
  const byId = new Map<string, number[]>();
  items.forEach((it, i) => {
    const list = byId.get(it.identity) ?? [];
    list.push(i);
    byId.set(it.identity, list);
  });
  if (byId.size < 2) {
    throw new FaceGateError('FG_CALIBRATION', `the labelled data hold ${byId.size} identity: impostor pairs need at least two different people`);
  }
  const pairs: Pair[] = [];
  for (const list of byId.values()) {
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) pairs.push({ a: items[list[x]].path, b: items[list[y]].path, same: true, fold: 0 });
    }
  }
  const genuinePairs = pairs.length;
  if (genuinePairs === 0) throw new FaceGateError('FG_CALIBRATION', 'no identity has two images: genuine pairs need at least two images of one person');
  const n = items.length;
  let sumSq = 0;
  for (const list of byId.values()) sumSq += list.length * list.length;
  const possible = (n * n - sumSq) / 2;
  const want = Math.min(possible, Math.max(1, Math.floor(opts.impostorPairs)));
  const rand = seededRandom(opts.seed);
  const push = (i: number, j: number) => pairs.push({ a: items[i].path, b: items[j].path, same: false, fold: 0 });
  if (want * 2 >= possible) {
    // Dense case: list all impostor pairs, then a seeded partial shuffle picks `want` of them.
    const all: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (items[i].identity !== items[j].identity) all.push(i * n + j);
    for (let k = 0; k < want; k++) {
      const r = k + Math.floor(rand() * (all.length - k));
      [all[k], all[r]] = [all[r], all[k]];
      push(Math.floor(all[k] / n), all[k] % n);
    }
  } else {
    // Sparse case: rejection sampling of random (i, j) without repeats.
    const taken = new Set<number>();
    while (taken.size < want) {
      let i = Math.floor(rand() * n);
      let j = Math.floor(rand() * n);
      if (items[i].identity === items[j].identity) continue;
      if (i > j) [i, j] = [j, i];
      const key = i * n + j;
      if (taken.has(key)) continue;
      taken.add(key);
      push(i, j);
    }
  }
  return { pairs, identities: byId.size, genuinePairs, impostorPairsPossible: possible, impostorPairsSampled: want };
}

/** At most n images, keeping whole identities (in listing order) so genuine pairs survive the cut. */
export function limitLabeled(items: readonly LabeledImage[], n: number): LabeledImage[] {
  const groups = new Map<string, LabeledImage[]>();
  for (const it of items) {
    const g = groups.get(it.identity) ?? [];
    g.push(it);
    groups.set(it.identity, g);
  }
  const out: LabeledImage[] = [];
  for (const g of groups.values()) {
    if (out.length + g.length > n) {
      if (out.length === 0) out.push(...g.slice(0, n));
      break;
    }
    out.push(...g);
  }
  return out;
}
