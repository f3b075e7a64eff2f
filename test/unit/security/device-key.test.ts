import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../device/config/load-config.ts';
import { startDevice } from '../../../device/run-device.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

test('run: gallery.keyFile is checked before anything starts (an exposed key file stops the device)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-devkey-'));
  const keyFile = join(dir, 'gallery.key');
  writeFileSync(keyFile, randomBytes(32));
  chmodSync(keyFile, 0o644);
  const cfg = parseConfig({ site: 'hq', device: 'door-1', camera: { type: 'files', path: join(dir, 'frames') },
    gallery: { db: join(dir, 'g'), keyFile }, match: { threshold: 0.9 } });
  await assert.rejects(startDevice(cfg), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_GALLERY_KEY' && /gallery\.key has mode 0644/.test(e.message));
  assert.equal(existsSync(join(dir, 'g')), false, 'no gallery was created');
});
