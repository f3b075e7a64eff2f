/**
 * `facegate gallery keygen --out <file> [--force]`: a new site key for encrypted galleries and
 * keyed audit logs (32 random bytes, base64, mode 0600), written through a new file renamed into
 * place so a symlink at <file> is replaced, never written through. The key is never printed.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FaceGateError } from '../../../sdk/errors.ts';
import { KEY_BYTES } from '../../../sdk/security/site-key.ts';
import { makePrivateDir, writeFileReplacing } from '../../../sdk/security/private-files.ts';

export default async function galleryKeygen(f: { out: string; force?: boolean; json?: boolean }): Promise<number> {
  const path = resolve(f.out);
  if (!f.force && lstatSync(path, { throwIfNoEntry: false })) {
    throw new FaceGateError('FG_INPUT_INVALID', `${path} already exists; pass --force to replace it (a gallery sealed under the old key then needs \`facegate gallery rekey\` first)`);
  }
  await makePrivateDir(dirname(path));
  const key = randomBytes(KEY_BYTES);
  try {
    await writeFileReplacing(path, key.toString('base64') + '\n', 0o600);
  } finally {
    key.fill(0);
  }
  if (f.json) process.stdout.write(JSON.stringify({ keyFile: path, bytes: KEY_BYTES, mode: '0600' }) + '\n');
  else process.stdout.write(`site key ${path} (32 bytes, base64, mode 0600); back it up: without it an encrypted gallery cannot be read\n`);
  return 0;
}
