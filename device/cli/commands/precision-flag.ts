/** `--precision` on the commands that run models: fp32 | int8 | fp16 | auto. */
import { FaceGateError } from '../../../sdk/errors.ts';
import type { PrecisionSetting } from '../../../sdk/runtime/model-types.ts';

export const PRECISION_SETTINGS: readonly PrecisionSetting[] = ['fp32', 'int8', 'fp16', 'auto'];

export function precisionFlag(v: string | undefined): PrecisionSetting | undefined {
  if (v === undefined) return undefined;
  if (!(PRECISION_SETTINGS as readonly string[]).includes(v)) {
    throw new FaceGateError('FG_CLI_USAGE', `--precision must be one of ${PRECISION_SETTINGS.join(', ')}, got "${v}"`);
  }
  return v as PrecisionSetting;
}
