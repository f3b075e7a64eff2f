import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { FaceGateError } from '../../sdk/errors.ts';
import { configSchema, type DeviceConfig } from './schema.ts';

export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Formats zod issues as `path: message` lines, naming the key and the problem. */
export function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Validates a parsed config object; throws FG_CONFIG_INVALID listing every problem. */
export function parseConfig(raw: unknown, source = 'config'): DeviceConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = formatIssues(result.error.issues);
    throw new FaceGateError('FG_CONFIG_INVALID', `${source} is invalid:\n  ${lines.join('\n  ')}`, { details: { problems: lines } });
  }
  return result.data;
}

/** Loads a YAML or JSON config file; relative paths inside it resolve against its folder. */
export async function loadConfig(path: string): Promise<DeviceConfig> {
  let text: string;
  try {
    // A config is a few KB; refuse anything huge (or a device/FIFO) before reading it.
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    if (s.size > MAX_CONFIG_BYTES) throw new Error(`${s.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FaceGateError('FG_CONFIG_INVALID', `cannot read config ${path}: ${(e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    // YAML is a superset of JSON. logLevel 'error': no warnings on stderr (they quote config lines, passwords included).
    raw = parseYaml(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    throw new FaceGateError('FG_CONFIG_INVALID', `config ${path} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const cfg = parseConfig(raw, `config ${path}`);
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  cfg.gallery.db = abs(cfg.gallery.db);
  if (cfg.camera.type === 'files') cfg.camera.path = abs(cfg.camera.path);
  if (cfg.gallery.keyFile) cfg.gallery.keyFile = abs(cfg.gallery.keyFile);
  if (cfg.audit.path) cfg.audit.path = abs(cfg.audit.path);
  if (cfg.audit.keyFile) cfg.audit.keyFile = abs(cfg.audit.keyFile);
  if (cfg.mqtt.enrollmentKeys) cfg.mqtt.enrollmentKeys = cfg.mqtt.enrollmentKeys.map(abs);
  for (const k of ['ca', 'cert', 'key', 'queueDb', 'enrollmentPublicKey'] as const) {
    const v = cfg.mqtt[k];
    if (v) cfg.mqtt[k] = abs(v);
  }
  return cfg;
}
