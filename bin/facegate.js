#!/usr/bin/env node
// An installed package runs the compiled CLI (dist/, built by `prepare`/`prepack`): no TypeScript
// at run time. A git checkout runs the sources through tsx (a dev dependency), so an edit takes
// effect without a rebuild and tests never run a stale dist/. FACEGATE_BIN=dist or =src forces one.
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/device/cli/main.js', root);
const mode = process.env.FACEGATE_BIN;
const fromSource = mode === 'src' || (mode !== 'dist' && existsSync(new URL('.git', root))) || !existsSync(compiled);
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../device/cli/main.ts');
} else {
  await import(compiled.href);
}
