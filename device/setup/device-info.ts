/**
 * What the terminal says it is (Home Assistant's device card): the FaceGate version from
 * package.json, and what it runs (detector, embedder and the model pack's recipe hash). Read once
 * at start; a missing file only leaves the field out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePackDir } from '../../sdk/runtime/pack-dir.ts';
import { VERSION } from '../../sdk/version.ts';

export interface DeviceInfo {
  swVersion?: string;
  /** e.g. `mtcnn + mobilefacenet-192, pack 864f123dc30e`. */
  modelId: string;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function deviceInfo(o: { detector: string; embedder: string; packDir?: string }): Promise<DeviceInfo> {
  const manifest = await readJson(join(resolvePackDir(o.packDir), 'manifest.json'));
  const recipe = typeof manifest?.recipe === 'string' ? manifest.recipe.slice(0, 12) : undefined;
  return {
    swVersion: VERSION,
    modelId: `${o.detector} + ${o.embedder}${recipe ? `, pack ${recipe}` : ''}`,
  };
}
