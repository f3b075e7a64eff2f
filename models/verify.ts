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

/** Checks every model in the pack: file present, sha256 as recorded, loads in ORT. */
export async function verifyPack(dir = PACK_DIR): Promise<{ ok: boolean; dir: string; models: VerifyRow[] }> {
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
  return { ok: models.length > 0 && models.every((m) => !m.error), dir, models };
}
