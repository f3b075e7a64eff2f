/**
 * Where the model pack lives. The default is models/pack inside the FaceGate package (its
 * postinstall builds it there); FACEGATE_MODELS_DIR or a `packDir` option points elsewhere, e.g.
 * a shared read-only pack on a device image. Read at call time so a test or service can set it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this module holding package.json (from sdk/ or dist/sdk/). */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = up;
  }
}

/** Root of the installed FaceGate package (the repository root in a checkout). */
export const PACKAGE_ROOT = findPackageRoot();

/** The pack folder the package builds by default: models/pack under the package root. */
export const BUILT_PACK_DIR = join(PACKAGE_ROOT, 'models', 'pack');

/** The pack folder to use: `explicit`, else FACEGATE_MODELS_DIR, else the package's models/pack. */
export function resolvePackDir(explicit?: string): string {
  return explicit ?? process.env.FACEGATE_MODELS_DIR ?? BUILT_PACK_DIR;
}

/** How to get a pack, for the error a missing one gives. */
export function packBuildHint(dir: string): string {
  return `build it with \`npx facegate models build\` (writes ${BUILT_PACK_DIR}), or point FACEGATE_MODELS_DIR or the packDir option at a built pack; looked in ${dir}`;
}
