/**
 * Data files name people (galleries, queued decisions, audit entries): each one is created 0600 and
 * each directory 0700, whatever the process umask (a umask only removes bits, so the mode given
 * at creation is the most it can be). Files that already exist keep their mode.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** mkdir -p; every directory it creates is 0700. */
export function makePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates `path` empty with mode 0600 unless it exists. SQLite then opens the existing file and
 * creates its -wal and -shm files with the database file's mode.
 */
export function createPrivateFileSync(path: string): void {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
