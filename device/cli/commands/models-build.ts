import { buildPack } from '../../../models/build.ts';

export default async function modelsBuild(opts: { json?: boolean; force?: boolean }): Promise<number> {
  const report = await buildPack({ force: opts.force, onProgress: (m) => process.stderr.write(`models: ${m}\n`) });
  if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
  else for (const b of report.built) process.stdout.write(`${b.id.padEnd(20)} ${b.cached ? 'cached' : 'built '} ${(b.bytes / 1e6).toFixed(2)} MB  ${b.sha256.slice(0, 16)}\n`);
  return 0;
}
