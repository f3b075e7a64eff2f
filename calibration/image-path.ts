/** Image paths from user CSVs resolve inside --images only: no absolute paths, no ../ escapes. */
import { resolve, relative, isAbsolute, sep } from 'node:path';
import { FaceGateError } from '../sdk/errors.ts';

export function resolveConfined(imagesDir: string, rel: string, where: string): string {
  if (rel === '') throw new FaceGateError('FG_CSV_INVALID', `${where}: empty image path`);
  if (isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('\\')) {
    throw new FaceGateError('FG_CSV_INVALID', `${where}: image path "${rel}" is absolute; paths must be relative to --images`);
  }
  const root = resolve(imagesDir);
  const full = resolve(root, rel);
  const r = relative(root, full);
  if (r === '' || r === '..' || r.startsWith('..' + sep) || isAbsolute(r)) {
    throw new FaceGateError('FG_CSV_INVALID', `${where}: image path "${rel}" leaves the --images folder`);
  }
  return full;
}
