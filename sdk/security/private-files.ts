/**
 * Data files name people (galleries, queued decisions, audit entries): each one is created 0600 and
 * each directory 0700, whatever the process umask (a umask only removes bits, so the mode given
 * at creation is the most it can be). Files that already exist keep their mode.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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

/**
 * Writes `data` to `path` through a new temporary file in the same directory (O_CREAT|O_EXCL,
 * which never follows a symlink), fsynced, then renamed over `path`: a symlink planted at `path`
 * is replaced, never written through, and a crash leaves the old or the new content.
 */
export async function writeFileReplacing(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have removed bits the mode asks for (a public key's 0644)
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
