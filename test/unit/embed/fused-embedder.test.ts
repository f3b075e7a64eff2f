/**
 * With the real pack: the registered fused embedder gives exactly the concatenation of its two
 * parts' embeddings of the same face (weights from FUSIONS), as one unit vector under its own id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipeline } from '../../../sdk/pipeline/create-pipeline.ts';
import { fuseEmbeddings, FUSIONS } from '../../../sdk/embed/fusion.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const skip = needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192', 'fr-feature-512');

test('fusion-mfn192-fr512 = [sqrt(w) mfn, sqrt(1-w) fr] of the same face', { skip }, async () => {
  const [photo] = await demoPhotos();
  const fused = await createPipeline({ embedder: 'fusion-mfn192-fr512' });
  const a = await createPipeline({ embedder: 'mobilefacenet-192' });
  const b = await createPipeline({ embedder: 'fr-feature-512' });
  try {
    assert.equal(fused.modelId, 'fusion-mfn192-fr512');
    assert.equal(fused.embedder.dim, 704);
    const [rf, ra, rb] = [await fused.analyze(photo), await a.analyze(photo), await b.analyze(photo)];
    assert.ok(rf.faces.length > 0);
    const want = fuseEmbeddings(ra.faces[0].embedding, rb.faces[0].embedding, FUSIONS['fusion-mfn192-fr512'].weightA);
    const got = rf.faces[0].embedding;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
    assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
    assert.ok(Math.abs(Math.hypot(...got) - 1) < 1e-5);
  } finally {
    await Promise.all([fused.release(), a.release(), b.release()]);
  }
});

test('fusion at int8: both parts int8 (fr-feature-512 no longer kept fp32)', { skip: skip || needModels('mobilefacenet-192.int8', 'fr-feature-512.int8') }, async () => {
  const [photo] = await demoPhotos();
  const fused = await createPipeline({ embedder: 'fusion-mfn192-fr512', precision: 'int8' });
  const a = await createPipeline({ embedder: 'mobilefacenet-192', precision: 'int8' });
  const b8 = await createPipeline({ embedder: 'fr-feature-512', precision: 'int8' });
  const b32 = await createPipeline({ embedder: 'fr-feature-512', precision: 'fp32' });
  try {
    const [rf, ra, rb8, rb32] = [await fused.analyze(photo), await a.analyze(photo), await b8.analyze(photo), await b32.analyze(photo)];
    const want = fuseEmbeddings(ra.faces[0].embedding, rb8.faces[0].embedding, FUSIONS['fusion-mfn192-fr512'].weightA);
    const got = rf.faces[0].embedding;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
    assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
    // and the int8 fr build really differs from fp32, so the check above can tell the two apart
    let int8Diff = 0;
    for (let i = 0; i < 512; i++) int8Diff = Math.max(int8Diff, Math.abs(rb8.faces[0].embedding[i] - rb32.faces[0].embedding[i]));
    assert.ok(int8Diff > 1e-3, `fr-feature-512 int8 vs fp32 differ by ${int8Diff}`);
  } finally {
    await Promise.all([fused.release(), a.release(), b8.release(), b32.release()]);
  }
});

test('the fused pipeline\'s tracking embedding is its MobileFaceNet part, run alone or taken out of the fused one', { skip }, async () => {
  const [photo] = await demoPhotos();
  const fused = await createPipeline({ embedder: 'fusion-mfn192-fr512' });
  const a = await createPipeline({ embedder: 'mobilefacenet-192' });
  try {
    assert.equal(a.tracking, undefined, 'a single embedder has no cheaper part');
    const tracking = fused.tracking!;
    assert.equal(tracking.dim, 192);
    const d = await fused.detect(photo);
    const [full] = await fused.embedFaces(d.frame, d.faces.slice(0, 1));
    const [alone] = await tracking.embed(d.frame, d.faces.slice(0, 1));
    const [mfn] = await a.embedFaces(d.frame, d.faces.slice(0, 1));
    const taken = tracking.of(full.embedding);
    let maxDiff = 0;
    for (let i = 0; i < 192; i++) maxDiff = Math.max(maxDiff, Math.abs(alone[i] - mfn.embedding[i]), Math.abs(taken[i] - mfn.embedding[i]));
    assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
  } finally {
    await Promise.all([fused.release(), a.release()]);
  }
});
