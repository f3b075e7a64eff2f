import { verifyPack } from '../../../models/verify.ts';

export default async function modelsVerify(opts: { json?: boolean; dir?: string }): Promise<number> {
  const result = await verifyPack(opts.dir);
  if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    for (const m of result.models) {
      const status = m.error ? `FAIL ${m.error}` : `ok  load ${m.load_ms} ms  ${m.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`).join(' ')}`;
      process.stdout.write(`${m.id.padEnd(20)} ${status}\n`);
    }
    for (const v of result.variants) {
      process.stdout.write(`${`${v.id}.${v.precision}`.padEnd(25)} ${v.error ? `FAIL ${v.error}` : `ok  load ${v.load_ms} ms`}\n`);
    }
  }
  return result.ok ? 0 : 1;
}
