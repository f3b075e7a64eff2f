/**
 * The pipeline's two halves (detect, embedFaces) are analyze() itself, not a copy: on a real photo
 * they give exactly analyze()'s faces, and embedding a subset gives those faces' embeddings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipeline } from '../../../sdk/pipeline/create-pipeline.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

test('detect + embedFaces == analyze; a subset embeds to the same vectors', { skip: needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192') }, async () => {
  const p = await createPipeline({ minFaceSize: 60 });
  try {
    const photo = (await demoPhotos())[2];
    const whole = await p.analyze(photo);
    const d = await p.detect(photo);
    assert.deepEqual([d.frame.width, d.frame.height], [whole.width, whole.height]);
    assert.ok(d.timings.decodeMs > 0 && d.timings.detectMs > 0);
    assert.ok(d.faces.length >= 3, `${d.faces.length} faces`);
    const split = await p.embedFaces(d.frame, d.faces);
    assert.deepEqual(split, whole.faces);
    // The second face alone (batch of 1): same embedding up to float rounding, same quality.
    const [one] = await p.embedFaces(d.frame, [d.faces[1]]);
    assert.deepEqual(one.quality, whole.faces[1].quality);
    assert.ok(Math.max(...one.embedding.map((v, i) => Math.abs(v - whole.faces[1].embedding[i]))) < 1e-4);
    assert.deepEqual(await p.embedFaces(d.frame, []), []);
  } finally {
    await p.release();
  }
});
