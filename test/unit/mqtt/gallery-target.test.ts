import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GalleryEnrollmentTarget } from '../../../sdk/mqtt/gallery-target.ts';
import { unitVectors } from '../../helpers/memory-target.ts';

test('gallery target: empty dir adopts the snapshot model; snapshot and delta apply atomically with attributes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-gt-'));
  try {
    const t = await GalleryEnrollmentTarget.open(join(dir, 'g'), { gallery: { loadIndex: false, worker: false } });
    assert.equal(t.model(), undefined);
    assert.equal(t.version(), 0);
    assert.deepEqual(t.exportRecords(), []);
    await assert.rejects(async () => t.applyDelta({ upserts: [], removes: ['x'], version: 2 }), /before a snapshot/);
    const v = unitVectors(6, 32, 4);
    await t.applySnapshot([
      { identity: 'a', attributes: { name: 'Ann', enabled: false, validUntil: '2030-01-01T00:00:00.000Z', metadata: { badge: 1 } }, templates: [v[0], v[1]] },
      { identity: 'b', templates: [v[2]] },
    ], 5, { modelId: 'm-32', dim: 32 });
    assert.deepEqual(t.model(), { modelId: 'm-32', dim: 32 });
    assert.equal(t.version(), 5);
    const recs = t.exportRecords();
    assert.deepEqual(recs.map((r) => [r.identity, r.templates.length]), [['a', 2], ['b', 1]]);
    assert.deepEqual(recs[0].attributes, { name: 'Ann', metadata: { badge: 1 }, enabled: false, validFrom: null, validUntil: '2030-01-01T00:00:00.000Z' });
    assert.ok(Math.abs(recs[1].templates[0][3] - v[2][3]) < 1e-6);
    // An invalid upsert (wrong length) leaves everything as it was.
    await assert.rejects(async () => t.applyDelta({ upserts: [{ identity: 'c', templates: [new Float32Array(31)] }], removes: ['a'], version: 6 }));
    assert.equal(t.version(), 5);
    assert.equal(t.identityCount(), 2);
    await t.applyDelta({ upserts: [{ identity: 'b', templates: [v[3], v[4]] }], removes: ['a'], version: 6 });
    assert.equal(t.version(), 6);
    assert.deepEqual(t.exportRecords().map((r) => [r.identity, r.templates.length, r.attributes?.enabled]), [['b', 2, true]]);
    await t.close();
    const again = await GalleryEnrollmentTarget.open(join(dir, 'g'), { modelId: 'm-32', gallery: { loadIndex: false } });
    assert.equal(again.version(), 6);
    await again.close();
    await assert.rejects(GalleryEnrollmentTarget.open(join(dir, 'g'), { modelId: 'other' }), /m-32/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
