/**
 * Parsing of option values shared by every command: numbers and closed choices. Commander hands
 * options over as strings; a bad value is a usage error (exit 2) naming the flag and the value.
 */
import { FaceGateError } from '../../sdk/errors.ts';

export function usage(msg: string): FaceGateError {
  return new FaceGateError('FG_CLI_USAGE', msg);
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
}

export function num(flag: string, v: string | undefined, rule: NumberRule = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (rule.integer && !Number.isInteger(n)) || (rule.min !== undefined && n < rule.min)) {
    throw usage(`${flag} expects ${rule.integer ? 'an integer' : 'a number'}${rule.min !== undefined ? ` >= ${rule.min}` : ''}, got "${v}"`);
  }
  return n;
}

export function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw usage(`${flag} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}
