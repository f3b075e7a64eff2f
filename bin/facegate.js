#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, `prepare` and `prepack`), so an installed
// package needs no TypeScript at run time. A checkout without dist/ runs the sources through tsx
// (a dev dependency).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/device/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../device/cli/main.ts');
}
