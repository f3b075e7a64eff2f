/** The console's own files (public/), read once at start; only names in this folder are served. */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { PACKAGE_ROOT } from '../../sdk/runtime/pack-dir.ts';

// The sources' folder, also when running compiled from dist/ (tsc does not copy assets; the package ships device/).
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'device', 'console', 'public');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png' };

export async function loadStaticFiles(dir = PUBLIC_DIR): Promise<Map<string, { type: string; body: Buffer }>> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of await readdir(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { type, body: await readFile(join(dir, name)) });
  }
  return files;
}
