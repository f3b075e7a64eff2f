import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadSiteKey, KEY_ENV } from '../../../sdk/security/site-key.ts';
import { GalleryCipher } from '../../../sdk/security/gallery-cipher.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'fg-key-'));

function keyFile(name: string, data: Uint8Array | string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, data, { mode });
  chmodSync(p, mode); // the umask may have dropped bits
  return p;
}

function keyError(re: RegExp) {
  return (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_KEY' && re.test(e.message);
}

/** Two keys are the same when they derive the same check value for one gallery id. */
function sameKey(a: ReturnType<typeof loadSiteKey>, b: ReturnType<typeof loadSiteKey>): boolean {
  return GalleryCipher.derive(a!, 'g').checkValue === GalleryCipher.derive(b!, 'g').checkValue;
}

test('key file: raw 32 bytes, base64 with and without newline, and the env variable give the same key', () => {
  const bytes = randomBytes(32);
  const raw = loadSiteKey({ keyFile: keyFile('raw.key', bytes), env: {} });
  const b64 = loadSiteKey({ keyFile: keyFile('b64.key', bytes.toString('base64')), env: {} });
  const b64nl = loadSiteKey({ keyFile: keyFile('b64nl.key', bytes.toString('base64') + '\n'), env: {} });
  const env = loadSiteKey({ env: { [KEY_ENV]: bytes.toString('base64') } });
  assert.ok(sameKey(raw, b64) && sameKey(raw, b64nl) && sameKey(raw, env));
  assert.ok(!sameKey(raw, loadSiteKey({ env: { [KEY_ENV]: randomBytes(32).toString('base64') } })));
  assert.match(raw!.source, /raw\.key/);
  assert.equal(inspect(raw), `SiteKey(key file ${join(dir, 'raw.key')})`);
  assert.ok(!JSON.stringify(raw).includes(bytes.toString('base64')));
});

test('no key file and no env variable: null (plain gallery); the file wins over the env', () => {
  assert.equal(loadSiteKey({ env: {} }), null);
  assert.equal(loadSiteKey({ env: { [KEY_ENV]: '' } }), null);
  const bytes = randomBytes(32);
  const f = loadSiteKey({ keyFile: keyFile('wins.key', bytes), env: { [KEY_ENV]: randomBytes(32).toString('base64') } });
  assert.ok(sameKey(f, loadSiteKey({ env: { [KEY_ENV]: bytes.toString('base64') } })));
});

test('a key file readable or writable by group or others is refused, naming path and mode', () => {
  const bytes = randomBytes(32);
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o660]) {
    const p = keyFile(`m${mode.toString(8)}.key`, bytes, mode);
    assert.throws(() => loadSiteKey({ keyFile: p }), keyError(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has mode 0${mode.toString(8)}.*chmod 600`)));
  }
  assert.ok(loadSiteKey({ keyFile: keyFile('ok400.key', bytes, 0o400) }));
});

test('wrong length, bad base64, missing file and a directory are clear FG_GALLERY_KEY errors', () => {
  assert.throws(() => loadSiteKey({ keyFile: keyFile('short.key', randomBytes(16)) }), keyError(/expected 32 raw bytes .* got 16 bytes/));
  assert.throws(() => loadSiteKey({ keyFile: keyFile('long.key', randomBytes(33)) }), keyError(/got 33 bytes/));
  assert.throws(() => loadSiteKey({ keyFile: keyFile('b64-16.key', randomBytes(16).toString('base64')) }), keyError(/expected 32 raw bytes/));
  assert.throws(() => loadSiteKey({ keyFile: join(dir, 'nope.key') }), keyError(/does not exist/));
  assert.throws(() => loadSiteKey({ keyFile: dir }), keyError(/not a regular file/));
  assert.throws(() => loadSiteKey({ env: { [KEY_ENV]: 'not base64 at all' } }), keyError(new RegExp(`${KEY_ENV}: expected 32 bytes as base64`)));
  assert.throws(() => loadSiteKey({ env: { [KEY_ENV]: randomBytes(31).toString('base64') } }), keyError(/expected 32 bytes as base64/));
});

test('cipher: seal/open round trip; a changed byte, another AAD or another gallery key fails', () => {
  const key = loadSiteKey({ env: { [KEY_ENV]: randomBytes(32).toString('base64') } })!;
  const c = GalleryCipher.derive(key, 'gallery-1');
  const plain = Buffer.from('template bytes');
  const sealed = c.seal(plain, 'template\u00001');
  assert.deepEqual(c.open(sealed, 'template\u00001'), plain);
  assert.notDeepEqual(c.seal(plain, 'template\u00001'), sealed, 'fresh nonce per seal');
  const corrupt = (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_CORRUPT';
  assert.throws(() => c.open(sealed, 'template\u00002'), corrupt);
  const flipped = Buffer.from(sealed);
  flipped[20] ^= 1;
  assert.throws(() => c.open(flipped, 'template\u00001'), corrupt);
  assert.throws(() => GalleryCipher.derive(key, 'gallery-2').open(sealed, 'template\u00001'), corrupt);
  // Lookup MACs: deterministic, domain-separated, per gallery.
  assert.equal(c.mac('identity', 'alice'), c.mac('identity', 'alice'));
  assert.notEqual(c.mac('identity', 'alice'), c.mac('digest', 'alice'));
  assert.notEqual(c.mac('identity', 'alice'), GalleryCipher.derive(key, 'gallery-2').mac('identity', 'alice'));
  assert.match(c.mac('identity', 'alice'), /^[0-9a-f]{32}$/);
});

test('cipher: sealed files round trip; a flipped byte is detected', async () => {
  const key = loadSiteKey({ env: { [KEY_ENV]: randomBytes(32).toString('base64') } })!;
  const c = GalleryCipher.derive(key, 'g');
  const src = join(dir, 'plain.bin');
  const data = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(src, data);
  await c.sealFile(src, join(dir, 'sealed.bin'), 'hnsw-index');
  const sealed = readFileSync(join(dir, 'sealed.bin'));
  assert.equal(sealed.length, data.length + 32);
  assert.ok(!sealed.includes(data.subarray(1000, 1064)));
  await c.openFile(join(dir, 'sealed.bin'), join(dir, 'back.bin'), 'hnsw-index');
  assert.ok(readFileSync(join(dir, 'back.bin')).equals(data));
  sealed[sealed.length >> 1] ^= 0x80;
  writeFileSync(join(dir, 'bad.bin'), sealed);
  await assert.rejects(c.openFile(join(dir, 'bad.bin'), join(dir, 'back2.bin'), 'hnsw-index'), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_CORRUPT');
  await assert.rejects(c.openFile(join(dir, 'sealed.bin'), join(dir, 'back3.bin'), 'other'), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_CORRUPT');
});
