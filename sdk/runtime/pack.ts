import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaceGateError } from '../errors.ts';
import type { PackEntry, PackManifest } from './model-types.ts';
import { openSession, type OpenedSession, type SessionOptions } from './session.ts';

export interface LoadedModel extends OpenedSession {
  entry: PackEntry;
}

/** A built model pack on disk (models/pack by default): manifest + ONNX files. */
export class ModelPack {
  readonly dir: string;
  readonly manifest: PackManifest;
  private constructor(dir: string, manifest: PackManifest) {
    this.dir = dir;
    this.manifest = manifest;
  }

  static async open(dir: string): Promise<ModelPack> {
    const path = join(dir, 'manifest.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new FaceGateError('FG_MODEL_MISSING', `model pack manifest not found: ${path} (run \`npx facegate models build\`)`, { cause: e });
    }
    let manifest: PackManifest;
    try {
      manifest = JSON.parse(text) as PackManifest;
    } catch (e) {
      throw new FaceGateError('FG_MODEL_LOAD', `model pack manifest is not valid JSON: ${path}`, { cause: e });
    }
    if (manifest.version !== 1 || !Array.isArray(manifest.models)) {
      throw new FaceGateError('FG_MODEL_LOAD', `model pack manifest has an unknown format: ${path}`);
    }
    return new ModelPack(dir, manifest);
  }

  entry(id: string): PackEntry {
    const e = this.manifest.models.find((m) => m.id === id);
    if (!e) {
      const known = this.manifest.models.map((m) => m.id).join(', ');
      throw new FaceGateError('FG_MODEL_MISSING', `model "${id}" is not in the pack (known: ${known})`);
    }
    return e;
  }

  /** Opens a model's session, verifying its sha256 against the manifest. */
  async load(id: string, opts: Omit<SessionOptions, 'expectedSha256' | 'optLevel'> = {}): Promise<LoadedModel> {
    const entry = this.entry(id);
    const opened = await openSession(join(this.dir, entry.file), { ...opts, optLevel: entry.optLevel, expectedSha256: entry.sha256 });
    return { ...opened, entry };
  }
}
