// PLACEHOLDER (being written by the converter work): throws until implemented.
import { FaceGateError } from '../../sdk/errors.ts';
export interface ConvertOptions { name: string; dynamicInput?: ('batch' | 'height' | 'width')[] }
export function convertTflite(_bytes: Uint8Array, opts: ConvertOptions): Uint8Array {
  throw new FaceGateError('FG_MODEL_CONVERT', `TFLite converter not implemented yet (${opts.name})`);
}
