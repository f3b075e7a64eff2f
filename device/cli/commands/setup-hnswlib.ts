import { buildNativeHnswlib, restorePortable } from '../../setup/native-hnswlib.ts';

export interface SetupHnswlibFlags {
  json?: boolean;
  force?: boolean;
  portable?: boolean;
}

/**
 * `facegate setup hnswlib`: compile the gallery's HNSW addon for this CPU. Never fails the
 * install: a build that cannot be made or checked leaves the portable addon (exit 0, reason given).
 */
export default async function setupHnswlib(opts: SetupHnswlibFlags): Promise<number> {
  const result = opts.portable
    ? await restorePortable()
    : await buildNativeHnswlib({ force: opts.force, onProgress: (m) => process.stderr.write(`setup: ${m}\n`) });
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`hnswlib-node: ${result.status}${result.reason ? ` (${result.reason})` : ''}\n`);
  return 0;
}
