import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACK_DIR } from '../../models/paths.ts';

/** Skip reason when a model is not in the built pack (the pack is built by `npm install`). */
export function needModels(...ids: string[]): string | false {
  const missing = ids.filter((id) => !existsSync(join(PACK_DIR, `${id}.onnx`)));
  return missing.length ? `model pack lacks ${missing.join(', ')} (run npx facegate models build)` : false;
}

/** Skip reason when a ../shared/data set is absent (CI and developer machines have it). */
export const DATA_DIR = join(PACK_DIR, '..', '..', '..', 'shared', 'data');
export function needData(name: string): string | false {
  return existsSync(join(DATA_DIR, name)) ? false : `needs ../shared/data/${name} (not present here)`;
}
