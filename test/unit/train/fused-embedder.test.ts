/**
 * With the real pack (MTCNN + MobileFaceNet-192) on real photos: the embedding cache extracts
 * once and serves repeats from disk, and a head fused into the embedder and registered in a pack
 * runs through the SDK's OnnxEmbedder under its own model id, giving the head's projection of the
 * embedder's vector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, symlink, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PACK_DIR } from '../../../models/paths.ts';
import { createPipeline } from '../../../sdk/pipeline/create-pipeline.ts';
import { OnnxEmbedder } from '../../../sdk/embed/onnx-embedder.ts';
import { ModelPack } from '../../../sdk/runtime/pack.ts';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import { ProjectionHead } from '../../../calibration/train/head.ts';
import { createRng } from '../../../calibration/train/rng.ts';
import { registerFusedHead } from '../../../calibration/train/register-head.ts';
import { embedLabeledImages } from '../../../calibration/train/embedding-cache.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const needed = ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192'].map((id) => join(PACK_DIR, `${id}.onnx`));
const skip = needed.every(existsSync) ? false : 'needs the built model pack (npx facegate models build)';

/** A private pack: links to the built models and a copy of the manifest we may write to. */
async function privatePack(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-train-pack-'));
  for (const f of await readdir(PACK_DIR)) {
    if (f.endsWith('.onnx')) await symlink(join(PACK_DIR, f), join(dir, f));
  }
  await copyFile(join(PACK_DIR, 'manifest.json'), join(dir, 'manifest.json'));
  return dir;
}

test('embedding cache: extracts each image once, appends new ones, same vectors from disk', { skip }, async () => {
  const photos = (await demoPhotos()).slice(0, 3);
  const imagesDir = dirname(photos[0]);
  const cacheDir = await mkdtemp(join(tmpdir(), 'facegate-emb-cache-'));
  const items = photos.map((p) => ({ key: basename(p), path: p }));
  const opts = { detector: 'mtcnn' as const, embedder: 'mobilefacenet-192' as const, imagesDir, cacheDir };
  const first = await embedLabeledImages(items.slice(0, 2), opts);
  assert.equal(first.extracted, 2);
  assert.equal(first.index.dim, 192);
  assert.equal(first.index.modelId, 'mobilefacenet-192');
  const again = await embedLabeledImages(items.slice(0, 2).reverse(), opts);
  assert.equal(again.extracted, 0);
  assert.deepEqual(again.vectors.subarray(0, 192), first.vectors.subarray(192, 384)); // request order kept
  const more = await embedLabeledImages(items, opts);
  assert.equal(more.extracted, 1);
  assert.deepEqual(more.vectors.subarray(0, 384), first.vectors);
  let s = 0;
  for (const v of more.vectors.subarray(384)) s += v * v;
  assert.ok(Math.abs(s - 1) < 1e-5, 'rows are unit embeddings');
  assert.equal((await readdir(cacheDir)).length, 2); // one .f32 + one .json
});

test('fused embedder + head in a pack: own model id, and equal to the head applied to the embedder', { skip }, async () => {
  const packDir = await privatePack();
  const rng = createRng(5);
  const head = ProjectionHead.create({ inDim: 192, outDim: 128, hidden: 256, activation: 'prelu' }, 'he', rng);
  const { entry } = await registerFusedHead({ packDir, baseId: 'mobilefacenet-192', modelId: 'mobilefacenet-192-head-test', head, provenance: { loss: 'triplet', headSha256: '0', trainedAt: 'now' } });
  const p = await createPipeline({ detector: 'mtcnn', embedder: 'mobilefacenet-192', packDir });
  const fused = await OnnxEmbedder.create(await ModelPack.open(packDir), entry.id);
  try {
    const frame = await loadFrame((await demoPhotos())[0]);
    const faces = await p.detector.detect(frame);
    assert.ok(faces.length >= 2, 'the demo photo shows several faces');
    const marks = faces.map((f) => f.landmarks5);
    const base = await p.embedder.embed(frame, marks);
    const out = await fused.embed(frame, marks);
    assert.equal(fused.modelId, 'mobilefacenet-192-head-test');
    assert.equal(fused.dim, 128);
    let worst = 0;
    out.forEach((v, i) => {
      const ref = head.forward(base[i], 1).y;
      for (let j = 0; j < 128; j++) worst = Math.max(worst, Math.abs(v[j] - ref[j]));
    });
    assert.ok(worst < 1e-5, `max abs error ${worst}`);
  } finally {
    await fused.release();
    await p.release();
  }
});
