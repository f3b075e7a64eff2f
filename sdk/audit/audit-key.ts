/**
 * The audit HMAC key. The key file follows the site-key rules (sdk/security: 32 bytes raw or
 * base64, owner-only permissions) and the HMAC key is derived from it with HKDF under its own
 * label, so the site key itself may serve without the log and the gallery sharing a key.
 */
import { FaceGateError, errorMessage, isFaceGateError } from '../errors.ts';
import { loadSiteKey } from '../security/index.ts';

export const AUDIT_KEY_INFO = 'facegate-audit-hmac/1';

export async function readAuditKey(path: string): Promise<Uint8Array> {
  try {
    // env {}: the gallery's key variable must not silently stand in for a missing audit key file.
    const key = loadSiteKey({ keyFile: path, env: {} });
    if (!key) throw new FaceGateError('FG_AUDIT', `audit key ${path}: no key`);
    return new Uint8Array(key.derive(AUDIT_KEY_INFO, 'audit-log'));
  } catch (e) {
    if (isFaceGateError(e) && e.code === 'FG_AUDIT') throw e;
    throw new FaceGateError('FG_AUDIT', `audit key: ${errorMessage(e)}`, { cause: e });
  }
}
