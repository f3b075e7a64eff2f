import { join } from 'node:path';
import { BUILT_PACK_DIR, PACKAGE_ROOT } from '../sdk/runtime/pack-dir.ts';

/** Repository root (models/ lives directly under it); the package root when installed. */
export const REPO_ROOT = PACKAGE_ROOT;
/** Built model pack: ONNX files + manifest.json. Overridable so a device can keep it elsewhere. */
export const PACK_DIR = process.env.FACEGATE_MODELS_DIR ?? BUILT_PACK_DIR;
/** Extracted, verified source files from npm tarballs. */
export const CACHE_DIR = process.env.FACEGATE_CACHE_DIR ?? join(REPO_ROOT, 'models', '.cache');

/**
 * The TypeScript source of this module URL: dist/models/x.js -> models/x.ts (the package ships
 * both). Recipe hashes read the sources, so a pack built compiled and one built under tsx agree.
 */
export function sourceOf(moduleUrl: string): string {
  const m = /^(.*)\/dist\/(.*)\.js$/.exec(moduleUrl);
  return m ? `${m[1]}/${m[2]}.ts` : moduleUrl;
}
