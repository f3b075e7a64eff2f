import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { readGalleryTemplates, galleryScores } from '../../../calibration/gallery-templates.ts';
import { searchGallery } from '../../../calibration/probes.ts';
import { runGalleryCalibration } from '../../../calibration/run-gallery-calibration.ts';

const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

async function smallGallery(centres: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fg-gal-'));
  const g = await Gallery.open(dir, { create: true, modelId: 'test-2d', dim: 2, centres, worker: false });
  g.enroll('A', [new Float32Array([1, 0]), new Float32Array([0.8, 0.6])]);
  g.enroll('B', [new Float32Array([0, 1])]);
  g.enroll('C', [new Float32Array([-1, 0])]);
  await g.close();
  return dir;
}

test('gallery scores: template pairs, leave-one-identity-out strangers, leave-one-template-out mates', async () => {
  const t = readGalleryTemplates(await smallGallery(false));
  assert.deepEqual(t.identities, ['A', 'B', 'C']);
  assert.deepEqual(Array.from(t.owner), [0, 0, 1, 2]);
  assert.equal(t.centres, null);
  const s = galleryScores(t);
  assert.equal(s.genuine.length, 1);
  close(s.genuine[0], Math.sqrt(0.4));
  assert.deepEqual(Array.from(s.impostor).map((d) => Number(d.toFixed(6))).sort(), [Math.SQRT2, Math.sqrt(0.8), 2, Math.sqrt(3.6), Math.SQRT2].map((d) => Number(d.toFixed(6))).sort());
  // Each template's nearest OTHER identity.
  [Math.SQRT2, Math.sqrt(0.8), Math.sqrt(0.8), Math.SQRT2].forEach((d, i) => close(s.nonMated[i], d));
  assert.equal(s.mated.length, 2);
  close(s.mated[0], Math.sqrt(0.4));
  close(s.mated[1], Math.sqrt(0.4));
});

test('exact gallery search ranks identities by their nearest template or centre', async () => {
  const plain = readGalleryTemplates(await smallGallery(false));
  const c = searchGallery(plain, new Float32Array([0.6, 0.8]));
  assert.deepEqual(c.map((x) => x.identity), ['A', 'B']);
  close(c[0].distance, Math.sqrt(0.08)); // to (0.8, 0.6)
  // With centres indexed, A's centre (normalised mean of its two templates) is a gallery entry too.
  const withCentres = readGalleryTemplates(await smallGallery(true));
  const m = Math.hypot(1.8, 0.6);
  const centre = [1.8 / m, 0.6 / m];
  close(searchGallery(withCentres, new Float32Array(centre))[0].distance, 0, 1e-6);
});

test('gallery calibration refuses what the gallery cannot show', async () => {
  const dir = await smallGallery(false);
  await assert.rejects(runGalleryCalibration({ db: dir, targetFar: 0.01 }), /target FAR 0.01 needs at least 300 impostor pairs.*give 5/);
  const r = await runGalleryCalibration({ db: dir, targetFar: 0.6 });
  assert.equal(r.identities, 3);
  assert.equal(r.templates, 4);
  assert.equal(r.open_set.gallery_size, 2);
  assert.equal(r.open_set.non_mated_searches, 4);
  assert.equal(r.open_set.threshold, null); // 4 strangers cannot show FPIR 0.6? 3/4 = 0.75 > 0.6
  assert.match(r.open_set.statement, /needs at least 5 non-mated searches/);
  assert.ok(r.threshold !== undefined && r.far_at_threshold! <= 0.6);
  await assert.rejects(runGalleryCalibration({ db: join(dir, 'nope') }), /no gallery|gallery/);
});
