/**
 * What to do about a damaged gallery, appended to every FG_GALLERY_CORRUPT the gallery's public
 * methods throw: whoever reads the error can act on it without the docs.
 */
import { FaceGateError, errorMessage } from '../errors.ts';

export const CORRUPT_RECOVERY = 'recover: stop using it (move gallery.sqlite aside), then restore it from a backup, '
  + 're-sync it from the site (`facegate sync --once`), or re-enrol; `sqlite3 gallery.sqlite .recover` can salvage rows to inspect';

/** The same error with the recovery advice (once); anything else unchanged. */
export function withRecovery(e: unknown, dir: string): unknown {
  if (!(e instanceof FaceGateError) || e.code !== 'FG_GALLERY_CORRUPT' || e.message.includes(CORRUPT_RECOVERY)) return e;
  const where = e.message.includes(dir) ? '' : `gallery ${dir}: `;
  return new FaceGateError('FG_GALLERY_CORRUPT', `${where}${errorMessage(e)}; ${CORRUPT_RECOVERY}`, { cause: e, details: e.details });
}

/** Runs `fn`, adding the recovery advice to a corruption error. */
export function guarded<T>(dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw withRecovery(e, dir);
  }
}
