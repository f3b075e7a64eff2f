import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../sdk/errors.ts';
import { ModelPack } from '../sdk/runtime/pack.ts';
import { sha256 } from './fetch/fetch-source.ts';
import { PACK_DIR } from './paths.ts';

export interface VerifyRow {
  id: string;
  file: string;
  sha256_ok: boolean;
  sha256?: string;
  expected: string;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: string[];
  load_ms?: number;
  provider?: string;
  error?: string;
}

/** One int8 / fp16 build of a model (models/quantize). */
export interface VariantVerifyRow {
  id: string;
  precision: string;
  file: string;
  sha256_ok: boolean;
  load_ms?: number;
  error?: string;
}

/** Checks every model in the pack and each of its variants: file present, sha256 as recorded, loads in ORT. */
export async function verifyPack(dir = PACK_DIR): Promise<{ ok: boolean; dir: string; models: VerifyRow[]; variants: VariantVerifyRow[] }> {
  const pack = await ModelPack.open(dir);
  const models: VerifyRow[] = [];
  for (const entry of pack.manifest.models) {
    const row: VerifyRow = { id: entry.id, file: join(dir, entry.file), sha256_ok: false, expected: entry.sha256, inputs: entry.inputs, outputs: entry.outputNames };
    try {
      const bytes = await readFile(row.file);
      row.sha256 = sha256(bytes);
      row.sha256_ok = row.sha256 === entry.sha256;
      if (!row.sha256_ok) throw new Error(`sha256 mismatch for ${row.file}: expected ${entry.sha256}, actual ${row.sha256}`);
      const loaded = await pack.load(entry.id);
      row.load_ms = Math.round(loaded.loadMs * 10) / 10;
      row.provider = loaded.provider;
      await loaded.session.release();
    } catch (e) {
      row.error = errorMessage(e);
    }
    models.push(row);
  }
  const variants: VariantVerifyRow[] = [];
  for (const entry of pack.manifest.models) {
    for (const [precision, v] of Object.entries(entry.variants ?? {})) {
      const row: VariantVerifyRow = { id: entry.id, precision, file: join(dir, v.file), sha256_ok: false };
      try {
        row.sha256_ok = sha256(await readFile(row.file)) === v.sha256;
        // load() checks the hash again and names file, expected and actual on a mismatch.
        const loaded = await pack.load(entry.id, { precision: precision as 'int8' | 'fp16' });
        row.load_ms = Math.round(loaded.loadMs * 10) / 10;
        await loaded.session.release();
      } catch (e) {
        row.error = errorMessage(e);
      }
      variants.push(row);
    }
  }
  return { ok: models.length > 0 && models.every((m) => !m.error) && variants.every((v) => !v.error), dir, models, variants };
}
