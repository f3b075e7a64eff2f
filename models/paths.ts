import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** Repository root (models/ lives directly under it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Built model pack: ONNX files + manifest.json. Overridable so a device can keep it elsewhere. */
export const PACK_DIR = process.env.FACEGATE_MODELS_DIR ?? join(REPO_ROOT, 'models', 'pack');
/** Extracted, verified source files from npm tarballs. */
export const CACHE_DIR = process.env.FACEGATE_CACHE_DIR ?? join(REPO_ROOT, 'models', '.cache');
