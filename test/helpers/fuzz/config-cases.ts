/**
 * Malformed device configs for the config fuzzer, loaded through `loadConfig` (the loader of
 * `facegate run`): byte and line mutations of the example config, values of the wrong type or
 * range at random keys, unknown keys, alias bombs, deep nesting, YAML tags, oversized files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../../device/config/load-config.ts';
import { REPO_ROOT } from '../../../models/paths.ts';
import { isFaceGateError, errorMessage } from '../../../sdk/errors.ts';
import { FuzzRng, flipBits, truncateAt, type Outcome } from './mutate.ts';

export async function configBase(): Promise<string> {
  return readFile(join(REPO_ROOT, 'device', 'facegate.example.yaml'), 'utf8');
}

const VALUES: unknown[] = [null, -1, 0, 0.5, 1e308, -1e308, 2 ** 53 + 1, '', 'x', 'A'.repeat(5000), [], {}, true, false, [1, 'a', null], { nested: { deeper: [1] } },
  '../../../../etc/passwd', '/dev/zero', 'mqtt://user:pw@10.0.0.1', 'tcp://8.8.8.8:1883', 'rtsp://', '${HOME}', '\u0000', 'mtcnn', 'cpu', 65536, -0];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a parsed config (objects and arrays). */
function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(x as Json, p, out);
    }
  }
  return out;
}

function setAt(root: Json, path: (string | number)[], value: unknown, remove: boolean): void {
  let o = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (remove) delete o[last];
  else o[last] = value as Json;
}

export const CONFIG_KINDS = ['byte-flip', 'truncate', 'line-drop', 'line-dup', 'value', 'remove-key', 'unknown-key', 'alias-bomb', 'deep-nest', 'tags', 'binary', 'oversize', 'json'] as const;

export function configCase(base: string, r: FuzzRng): { kind: string; text: string | Buffer } {
  const kind = r.pick(CONFIG_KINDS);
  const lines = base.split('\n');
  switch (kind) {
    case 'byte-flip': return { kind, text: flipBits(Buffer.from(base), r, 1 + r.int(8)) };
    case 'truncate': return { kind, text: truncateAt(Buffer.from(base), r) };
    case 'line-drop': lines.splice(r.int(lines.length), 1 + r.int(3)); return { kind, text: lines.join('\n') };
    case 'line-dup': { const i = r.int(lines.length); lines.splice(r.int(lines.length), 0, lines[i]); return { kind, text: lines.join('\n') }; }
    case 'value':
    case 'remove-key':
    case 'unknown-key':
    case 'json': {
      const doc = parse(base) as Json;
      const all = paths(doc);
      const p = r.pick(all);
      if (kind === 'unknown-key') setAt(doc, [...p.slice(0, -1), r.pick(['extra', '__proto__', 'constructor', 'prototype', 'url2'])], r.pick(VALUES), false);
      else setAt(doc, p, r.pick(VALUES), kind === 'remove-key');
      return { kind, text: kind === 'json' ? JSON.stringify(doc) : stringify(doc) };
    }
    case 'alias-bomb': {
      // "Billion laughs": each level refers to the previous one ten times.
      const n = 3 + r.int(8);
      const rows = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
      for (let i = 1; i < n; i++) rows.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
      return { kind, text: `${base}\n${rows.join('\n')}\n` };
    }
    case 'deep-nest': {
      const depth = 100 + r.int(50_000);
      const flow = r.next() < 0.5;
      return { kind, text: flow ? `${base}\nextra: ${'['.repeat(depth)}${']'.repeat(depth)}\n` : `${base}\nextra:\n${Array.from({ length: Math.min(depth, 3000) }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')}\n` };
    }
    case 'tags': return { kind, text: base.replace(/: (\S+)/, `: ${r.pick(['!!binary aGVsbG8=', '!!js/function "function(){}"', '!!python/object:os.system "ls"', '!custom x', '!!set {a, b}', '!!omap [a: 1]', '!!timestamp 2001-12-14'])}`) };
    case 'binary': return { kind, text: r.bytes(r.int(4096)) };
    case 'oversize': return { kind, text: `${base}\n# ${'x'.repeat(1024 * 1024)}\n` };
  }
}

export async function runConfigCase(path: string, text: string | Buffer): Promise<{ outcome: Outcome; message: string }> {
  await writeFile(path, text);
  try {
    const cfg = await loadConfig(path);
    return typeof cfg === 'object' && cfg !== null && typeof cfg.site === 'string' ? { outcome: 'ok', message: '' } : { outcome: 'unclear', message: 'loader returned a non-config' };
  } catch (e) {
    if (isFaceGateError(e) && e.code === 'FG_CONFIG_INVALID') return { outcome: 'clear', message: e.message };
    return { outcome: 'unclear', message: errorMessage(e) };
  }
}
