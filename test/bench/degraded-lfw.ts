/**
 * A harder camera domain made from lfw-dev for the head evaluation: images_orig150 frames turned
 * grey (an IR/night camera gives one channel), shrunk to 56 x 56 px (the face ~26 px across, a
 * distant camera) and saved as JPEG quality 40 (a cheap encoder). Written once under .cache/
 * (gitignored), same relative paths as the source, so pair and identity lists apply unchanged.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export const DEGRADE = { size: 56, quality: 40, grey: true } as const;

export async function ensureDegradedLfw(srcDir: string, outDir: string, keys: readonly string[]): Promise<{ written: number }> {
  let written = 0;
  for (const key of keys) {
    const out = join(outDir, key);
    if (existsSync(out)) continue;
    await mkdir(dirname(out), { recursive: true });
    // Grey stored as 3 equal channels: the embedder's input stays RGB, as a camera's would.
    const buf = await sharp(join(srcDir, key))
      .resize(DEGRADE.size, DEGRADE.size, { kernel: 'lanczos3' })
      .greyscale()
      .toColourspace('srgb')
      .jpeg({ quality: DEGRADE.quality })
      .toBuffer();
    await writeFile(out, buf);
    written++;
  }
  return { written };
}
