import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxEmbedder } from '../../../sdk/embed/onnx-embedder.ts';
import { PACK_EMBEDDER_IDS } from '../../../sdk/registry.ts';
import { l2Normalize, l2Distance } from '../../../sdk/embed/l2.ts';
import { RfbDetector } from '../../../sdk/detect/rfb/rfb-detector.ts';
import { ModelPack } from '../../../sdk/runtime/pack.ts';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { PACK_DIR } from '../../../models/paths.ts';
import type { Frame, Landmarks5 } from '../../../sdk/types.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

test('l2Normalize makes unit vectors and leaves zero vectors alone', () => {
  const v = l2Normalize(new Float32Array([3, 4]));
  assert.deepEqual(Array.from(v), [Math.fround(0.6), Math.fround(0.8)]);
  assert.deepEqual(Array.from(l2Normalize(new Float32Array(3))), [0, 0, 0]);
  assert.ok(Math.abs(l2Distance(new Float32Array([1, 0]), new Float32Array([0, 1])) - Math.SQRT2) < 1e-7);
});

/** Mirror a frame left-right. */
function mirror(f: Frame): Frame {
  const out = new Uint8Array(f.data.length);
  const w = f.width;
  for (let y = 0; y < f.height; y++) for (let x = 0; x < w; x++) {
    out.set(f.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3), (y * w + (w - 1 - x)) * 3);
  }
  return { data: out, width: w, height: f.height };
}
/** Landmarks of the mirrored frame: x -> w-1-x, and left/right points swap roles. */
function mirrorLandmarks(l: Landmarks5, w: number): Landmarks5 {
  const m = (p: [number, number]): [number, number] => [w - 1 - p[0], p[1]];
  return [m(l[1]), m(l[0]), m(l[2]), m(l[4]), m(l[3])];
}

// Pack models only: the fused embedder is two of these (fused-embedder.test.ts).
for (const id of PACK_EMBEDDER_IDS) {
  const skip = needModels(id, 'rfb-320', 'landmark-68');
  test(`${id}: unit rows, batch equals one-by-one, flip TTA is mirror-symmetric`, { skip }, async () => {
    const pack = await ModelPack.open(PACK_DIR);
    const det = await RfbDetector.create(pack);
    const plain = await OnnxEmbedder.create(pack, id);
    const flip = await OnnxEmbedder.create(pack, id, { flip: true });
    try {
      const photos = await demoPhotos();
      const frame = await loadFrame(photos[2]);
      const faces = (await det.detect(frame)).map((f) => f.landmarks5);
      assert.ok(faces.length >= 3, `sample3 has 3 faces, found ${faces.length}`);
      assert.equal(plain.dim, pack.entry(id).dim);

      const batch = await plain.embedFaces(frame, faces);
      for (const [i, e] of batch.entries()) {
        assert.equal(e.embedding.length, plain.dim);
        const norm = Math.hypot(...e.embedding);
        assert.ok(Math.abs(norm - 1) < 1e-5, `row ${i} norm ${norm}`);
        assert.ok(e.blur > 0 && Number.isFinite(e.blur));
        assert.equal(e.reflected, false);
        const [single] = await plain.embed(frame, [faces[i]]);
        assert.ok(l2Distance(single, e.embedding) < 1e-4, `face ${i}: batch and single runs differ`);
      }
      // Different people in one photo are far apart.
      assert.ok(l2Distance(batch[0].embedding, batch[1].embedding) > 0.9);

      // The flip-TTA embedding of a face ~ that of the mirrored photo (not exactly: the template is
      // ~0.5 px off symmetric); the plain embedding of the mirror differs more (fr-feature-512
      // measured 0.11 vs 0.24; different people 1.3).
      const mframe = mirror(frame);
      const [f0] = await flip.embed(frame, [faces[0]]);
      const [m0] = await flip.embed(mframe, [mirrorLandmarks(faces[0], frame.width)]);
      const [p0] = await plain.embed(mframe, [mirrorLandmarks(faces[0], frame.width)]);
      const dFlip = l2Distance(f0, m0);
      const dPlain = l2Distance(batch[0].embedding, p0);
      assert.ok(dFlip < 0.2, `flip TTA of a face vs of its mirror: ${dFlip}`);
      assert.ok(dFlip < dPlain, `flip TTA (${dFlip}) should be more mirror-stable than plain (${dPlain})`);

      assert.deepEqual(await plain.embed(frame, []), []);
      await assert.rejects(plain.embed(frame, [[[5, 5], [5, 5], [5, 5], [5, 5], [5, 5]]]),
        (e: unknown) => e instanceof FaceGateError && e.code === 'FG_INPUT_INVALID');
    } finally {
      await Promise.all([det.release(), plain.release(), flip.release()]);
    }
  });
}

test('a model that is not an embedder is refused', { skip: needModels('rfb-320') }, async () => {
  const pack = await ModelPack.open(PACK_DIR);
  await assert.rejects(OnnxEmbedder.create(pack, 'rfb-320'), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID');
  await assert.rejects(OnnxEmbedder.create(pack, 'no-such-model'), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_MISSING');
});
