/**
 * Image paths from user CSVs resolve inside --images only: no absolute paths, no ../ escapes, and
 * no symbolic link (of the file or of a folder on the way) that leads outside it.
 */
import { realpathSync } from 'node:fs';
import { resolve, relative, isAbsolute, sep } from 'node:path';
import { FaceGateError } from '../sdk/errors.ts';

const outside = (root: string, full: string): boolean => {
  const r = relative(root, full);
  return r === '' || r === '..' || r.startsWith('..' + sep) || isAbsolute(r);
};

/** Real path of each --images folder seen (one CSV resolves thousands of rows against one root). */
const realRoots = new Map<string, string>();

function realRoot(root: string): string {
  let r = realRoots.get(root);
  if (r === undefined) {
    try {
      r = realpathSync(root);
    } catch {
      r = root; // a missing folder: every image read fails later with "not found"
    }
    realRoots.set(root, r);
  }
  return r;
}

export function resolveConfined(imagesDir: string, rel: string, where: string): string {
  if (rel === '') throw new FaceGateError('FG_CSV_INVALID', `${where}: empty image path`);
  if (rel.includes('\0')) throw new FaceGateError('FG_CSV_INVALID', `${where}: image path contains a NUL byte`);
  if (isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('\\')) {
    throw new FaceGateError('FG_CSV_INVALID', `${where}: image path "${rel}" is absolute; paths must be relative to --images`);
  }
  const root = resolve(imagesDir);
  const full = resolve(root, rel);
  if (outside(root, full)) {
    throw new FaceGateError('FG_CSV_INVALID', `${where}: image path "${rel}" leaves the --images folder`);
  }
  // Sync on purpose: this runs while a CSV is loaded, before any frame work. A path that does not
  // exist yet is left to the reader, which reports it as not found.
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    return full;
  }
  if (outside(realRoot(root), real)) {
    throw new FaceGateError('FG_CSV_INVALID', `${where}: image path "${rel}" leaves the --images folder through a symbolic link`);
  }
  return full;
}
