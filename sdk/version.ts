/** FaceGate's own version (package.json), read once at load: device cards and the console show it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './runtime/pack-dir.ts';

function readVersion(): string {
  try {
    const v: unknown = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    const version = v !== null && typeof v === 'object' ? (v as { version?: unknown }).version : undefined;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The installed FaceGate version, e.g. "0.2.0". */
export const VERSION: string = readVersion();
