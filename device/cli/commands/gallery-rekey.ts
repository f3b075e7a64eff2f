/**
 * `facegate gallery rekey --db <dir> [--key-file <old>] (--new-key-file <new> | --decrypt)`:
 * re-seals every record under a new site key in one transaction (an interruption leaves the
 * gallery under the old key). Without --key-file it encrypts a plain gallery; --decrypt turns an
 * encrypted gallery back into a plain one. Stop every process using the gallery first.
 */
import { rekeyGallery } from '../../../sdk/gallery/index.ts';
import { loadSiteKey } from '../../../sdk/security/site-key.ts';
import { usage } from '../flag-values.ts';

export default async function galleryRekey(f: { db?: string; keyFile?: string; newKeyFile?: string; decrypt?: boolean; json?: boolean }): Promise<number> {
  if (!f.db) throw usage('--db <dir> is required');
  if (!f.newKeyFile && !f.decrypt) throw usage('give --new-key-file <file> (re-encrypt, or encrypt a plain gallery) or --decrypt');
  if (f.newKeyFile && f.decrypt) throw usage('--new-key-file and --decrypt exclude each other');
  if (f.decrypt && !f.keyFile) throw usage('--decrypt needs the current key (--key-file <file>)');
  // Only the flags count here (not FACEGATE_GALLERY_KEY): which key is old and which new must be explicit.
  const oldKey = f.keyFile ? loadSiteKey({ keyFile: f.keyFile }) : null;
  const newKey = f.newKeyFile ? loadSiteKey({ keyFile: f.newKeyFile }) : null;
  const r = await rekeyGallery(f.db, { oldKey, newKey });
  if (f.json) process.stdout.write(JSON.stringify({ db: f.db, ...r }) + '\n');
  else process.stdout.write(`${f.db}: ${r.identities} identities, ${r.templates} templates re-sealed (${r.from} -> ${r.to}); index file ${r.indexFile}\n`);
  return 0;
}
