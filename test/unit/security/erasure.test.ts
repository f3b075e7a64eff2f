/**
 * Erasure: after removing an identity (Gallery.remove, or a sync delta's removes) no file in the
 * gallery directory — database, -wal, -shm, index file — holds its templates (float32 or
 * float16), its centre, or its id. Plain and encrypted, exact and HNSW (index file) galleries.
 * The same scan run before the removal finds the plain gallery's template: the scan can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gallery, centreOf } from '../../../sdk/gallery/index.ts';
import { SiteKey } from '../../../sdk/security/site-key.ts';
import { syntheticPeople } from '../gallery/synthetic.ts';
import { filesContaining, templateNeedles, textNeedle } from '../../helpers/disk-scan.ts';

const MODEL = 'test-model';
const DIM = 64;
const N = 40;

function needlesOf(id: string, vs: Float32Array[]): Record<string, Buffer> {
  let out: Record<string, Buffer> = textNeedle(`id ${id}`, id);
  vs.forEach((v, i) => { out = { ...out, ...templateNeedles(`${id} template ${i}`, v) }; });
  return { ...out, ...templateNeedles(`${id} centre`, centreOf(vs, DIM)!) };
}

for (const encrypted of [false, true]) {
  for (const exactBelow of [10_000, 16]) {
    const kind = `${encrypted ? 'encrypted' : 'plain'} ${exactBelow === 16 ? 'HNSW' : 'exact'}`;
    test(`erasure (${kind}): removed identities leave no template, centre or id in any file`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fg-erase-'));
      const key = encrypted ? SiteKey.generate() : null;
      const people = syntheticPeople(N, DIM, 11);
      const vectors = Array.from({ length: N }, (_, i) => [people.sample(i), people.sample(i), people.sample(i)]);
      const id = (i: number) => `erase-${i}-zq`;
      const g = await Gallery.open(dir, { modelId: MODEL, dim: DIM, create: true, key, exactBelow, worker: false });
      for (let i = 0; i < N; i++) g.enroll(id(i), vectors[i], { name: `Person ${i}` });
      await g.close();

      const g2 = await Gallery.open(dir, { key, exactBelow, worker: false });
      if (exactBelow === 16) assert.equal(g2.stats().index.state, 'loaded');
      const before = filesContaining(dir, needlesOf(id(7), vectors[7]));
      if (!encrypted) {
        assert.ok(before.some((h) => h.includes('template 0 float32')), `the scan finds a plain template before removal: ${before.join(', ')}`);
        if (exactBelow === 16) assert.ok(before.some((h) => /hnsw-.*template 0 float32/.test(h)), 'and in the index file');
      } else {
        assert.deepEqual(before, []);
      }

      g2.remove(id(7));
      g2.applyChanges({ removes: [id(21)], version: 5 });
      await g2.whenIdle();
      // Still open: the -wal and -shm files exist and are scanned too.
      assert.ok(readdirSync(dir).some((f) => f.endsWith('-wal')), 'WAL file present while open');
      const open = filesContaining(dir, { ...needlesOf(id(7), vectors[7]), ...needlesOf(id(21), vectors[21]) });
      assert.deepEqual(open, [], 'while open');
      // The others are intact and still found.
      assert.equal(g2.search(vectors[8][0], 1)[0].identityId, id(8));
      assert.deepEqual(g2.search(vectors[7][0], 3).map((c) => c.identityId).filter((x) => x === id(7)), []);
      await g2.close();
      assert.deepEqual(filesContaining(dir, { ...needlesOf(id(7), vectors[7]), ...needlesOf(id(21), vectors[21]) }), [], 'after close');

      const g3 = await Gallery.open(dir, { key, exactBelow, worker: false });
      assert.equal(g3.stats().identities, N - 2);
      if (exactBelow === 16) assert.equal(g3.stats().index.state, 'loaded');
      await g3.close();
    });
  }
}
