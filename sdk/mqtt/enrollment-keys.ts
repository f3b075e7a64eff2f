/**
 * The site's Ed25519 enrolment key pair (node:crypto): the enrolment service signs with the
 * private key, devices hold only public keys. Files are PEM (PKCS#8 / SPKI).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { makePrivateDir, writeFileReplacing } from '../security/private-files.ts';
import { join } from 'node:path';
import { FaceGateError, errorMessage } from '../errors.ts';

export const PRIVATE_KEY_FILE = 'enroll.key';
export const PUBLIC_KEY_FILE = 'enroll.pub';

/** Short, stable id of a public key: first 16 hex of sha256(SPKI DER). Shown in messages and logs. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export interface WrittenKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  keyId: string;
}

/**
 * Writes a new key pair to `dir` (private file mode 0600). Refuses to overwrite an existing key
 * unless `force`: losing the private key means re-provisioning every device.
 */
/** Anything at `path`, a dangling symlink included. */
function present(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

export async function writeKeyPair(dir: string, opts: { force?: boolean } = {}): Promise<WrittenKeyPair> {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  if (!opts.force && (present(privateKeyPath) || present(publicKeyPath))) {
    throw new FaceGateError('FG_INPUT_INVALID', `${privateKeyPath} or ${publicKeyPath} already exists; pass --force to replace the site key`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await makePrivateDir(dir);
  // New files renamed into place: a symlink at either path is replaced, never written through.
  await writeFileReplacing(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
  await writeFileReplacing(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }), 0o644);
  return { privateKeyPath, publicKeyPath, keyId: keyId(publicKey) };
}

function ed25519(k: KeyObject, path: string): KeyObject {
  if (k.asymmetricKeyType !== 'ed25519') {
    throw new FaceGateError('FG_INPUT_INVALID', `${path} holds a ${k.asymmetricKeyType ?? 'non-asymmetric'} key; enrolment keys are Ed25519`);
  }
  return k;
}

export async function loadPrivateKey(path: string): Promise<KeyObject> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (e) {
    throw new FaceGateError('FG_INPUT_INVALID', `cannot read enrolment private key ${path}: ${errorMessage(e)}`, { cause: e });
  }
  try {
    return ed25519(createPrivateKey(pem), path);
  } catch (e) {
    if (e instanceof FaceGateError) throw e;
    throw new FaceGateError('FG_INPUT_INVALID', `${path} is not a PEM private key: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Loads the public keys a device trusts. A file may hold several PEM blocks (key rotation: keep
 * the old and the new key until every message is re-signed).
 */
export async function loadPublicKeys(path: string): Promise<KeyObject[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new FaceGateError('FG_INPUT_INVALID', `cannot read enrolment public key ${path}: ${errorMessage(e)}`, { cause: e });
  }
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new FaceGateError('FG_INPUT_INVALID', `${path} holds no PEM public key (-----BEGIN PUBLIC KEY-----)`);
  return blocks.map((b) => {
    try {
      return ed25519(createPublicKey(b), path);
    } catch (e) {
      if (e instanceof FaceGateError) throw e;
      throw new FaceGateError('FG_INPUT_INVALID', `${path} holds an unreadable public key: ${errorMessage(e)}`, { cause: e });
    }
  });
}
