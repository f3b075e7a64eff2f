/** Site key handling and gallery encryption (issue 11). */
export { SiteKey, loadSiteKey, parseSiteKey, KEY_BYTES, KEY_ENV } from './site-key.ts';
export { GalleryCipher, CIPHER_NAME, SEAL_OVERHEAD } from './gallery-cipher.ts';
