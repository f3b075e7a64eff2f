/** `--key-file <file>`: the gallery site key for every command that opens a gallery (else FACEGATE_GALLERY_KEY, else none). */
import { loadSiteKey, type SiteKey } from '../../../sdk/security/site-key.ts';

export interface KeyFlags {
  keyFile?: string;
}

export const KEY_FILE_HELP = 'gallery site key: 32 bytes, raw or base64, mode 0600 (default: env FACEGATE_GALLERY_KEY; none = plain gallery)';

export function galleryKey(f: KeyFlags): SiteKey | null {
  return loadSiteKey({ keyFile: f.keyFile });
}
