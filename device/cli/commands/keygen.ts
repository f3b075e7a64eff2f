import { writeKeyPair } from '../../../sdk/mqtt/enrollment-keys.ts';

/** `facegate keygen --out <dir>`: the site's Ed25519 enrolment key pair. */
export default async function keygen(opts: { out: string; force?: boolean; json?: boolean }): Promise<number> {
  const r = await writeKeyPair(opts.out, { force: opts.force });
  if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`private key ${r.privateKeyPath} (mode 0600; keep it on the enrolment host)\npublic key  ${r.publicKeyPath} (copy to every device)\nkey id      ${r.keyId}\n`);
  return 0;
}
