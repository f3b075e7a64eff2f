/** The model-mismatch error names the gallery's real model and dim, and never pairs the requested model with the gallery's dim. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

test('opening a 192-d mobilefacenet gallery with fr-feature-512 names both models correctly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-mismatch-'));
  const g = await Gallery.open(dir, { modelId: 'mobilefacenet-192', dim: 192, create: true, worker: false });
  await g.close();
  await assert.rejects(Gallery.open(dir, { modelId: 'fr-feature-512', worker: false }), (e: unknown) => {
    assert.ok(e instanceof FaceGateError && e.code === 'FG_GALLERY_MODEL_MISMATCH');
    assert.match(e.message, /holds mobilefacenet-192 \(192-d\)/);
    assert.doesNotMatch(e.message, /fr-feature-512 \(192-d\)/);
    assert.match(e.message, /fr-feature-512/);
    return true;
  });
  await assert.rejects(Gallery.open(dir, { modelId: 'fr-feature-512', dim: 512, worker: false }), /fr-feature-512 \(512-d\)/);
});
