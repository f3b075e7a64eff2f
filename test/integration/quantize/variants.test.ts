/**
 * The pack's int8 / fp16 builds on real models and real faces (the face-api demo photos, present
 * on every install): embedding agreement with fp32, detection agreement, and the variant build
 * itself (manifest records, caching).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACK_DIR } from '../../../models/paths.ts';
import { embeddingAgreement } from '../../../models/quantize/accuracy-check.ts';
import { buildVariants } from '../../../models/quantize/build-variants.ts';
import { demoCalibrationImages } from '../../../models/quantize/calibration-inputs.ts';
import { boxToCorners, overlap } from '../../../sdk/detect/box-math.ts';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import type { PackManifest, Precision } from '../../../sdk/runtime/model-types.ts';
import { createDetector } from '../../../sdk/pipeline/create-detector.ts';
import { verifyPack } from '../../../models/verify.ts';
import { INT8_RECIPES } from '../../../models/quantize/recipes.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

/** Skip reason when the built pack lacks a variant of a model (decided when tests are declared). */
function needVariant(id: string, precision: Exclude<Precision, 'fp32'>): string | false {
  const path = join(PACK_DIR, 'manifest.json');
  if (!existsSync(path)) return 'no model pack (run npx facegate models build)';
  if (precision === 'int8' && !INT8_RECIPES[id]) return `${id} has no int8 recipe (models/quantize/recipes.ts says why)`;
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as PackManifest;
  return manifest.models.find((m) => m.id === id)?.variants?.[precision] ? false : `the pack has no ${precision} build of ${id} (run npx facegate models build)`;
}

// Median cosine floors: 0.99 is the target for the default embedder; fr-feature-512 measures
// ~0.989 on held-out LFW faces (docs/quantization.md) and higher on these calibration photos.
const FLOOR: Record<string, number> = { 'mobilefacenet-192': 0.99, 'fr-feature-512': 0.985 };

for (const id of ['mobilefacenet-192', 'fr-feature-512']) {
  test(`${id}: int8 embeddings agree with fp32 on real faces (median cosine >= ${FLOOR[id]})`, { skip: needVariant(id, 'int8') }, async () => {
    const r = await embeddingAgreement(PACK_DIR, id, await demoPhotos(), 'int8');
    assert.equal(r.loaded, 'int8');
    assert.ok(r.faces >= 15, `faces ${r.faces}`);
    assert.ok(r.median >= FLOOR[id], `median cosine ${r.median.toFixed(5)} (min ${r.min.toFixed(5)})`);
    assert.ok(r.median < 0.999999, 'int8 output identical to fp32: the variant is not quantised');
  });
  test(`${id}: fp16 embeddings agree with fp32 (median cosine >= 0.999)`, { skip: needVariant(id, 'fp16') }, async () => {
    const r = await embeddingAgreement(PACK_DIR, id, (await demoPhotos()).slice(0, 2), 'fp16');
    assert.equal(r.loaded, 'fp16');
    assert.ok(r.median >= 0.999, `median cosine ${r.median.toFixed(6)}`);
  });
}

for (const kind of ['mtcnn', 'rfb'] as const) {
  const ids = kind === 'mtcnn' ? ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet'] : ['rfb-320', 'landmark-68'];
  const skip = ids.map((id) => needVariant(id, 'int8')).find(Boolean) ?? false;
  test(`${kind}: int8 finds the same faces as fp32 on the demo photos`, { skip }, async () => {
    const a = await createDetector({ detector: kind });
    const b = await createDetector({ detector: kind, precision: 'int8' });
    let faces = 0;
    try {
      for (const photo of await demoPhotos()) {
        const frame = await loadFrame(photo);
        const [fa, fb] = [await a.detector.detect(frame), await b.detector.detect(frame)];
        faces += fa.length;
        // Every fp32 face has an int8 twin (IoU >= 0.7) and no int8 face is new.
        for (const f of fa) assert.ok(fb.some((g) => overlap(boxToCorners(f.box), boxToCorners(g.box)) >= 0.7), `${photo}: fp32 face lost`);
        assert.equal(fb.length, fa.length, `${photo}: ${fa.length} fp32 faces, ${fb.length} int8`);
      }
    } finally {
      await Promise.all([a.detector.release(), b.detector.release()]);
    }
    assert.ok(faces >= 15, `faces ${faces}`);
  });
}

test('buildVariants: records calibration hash and parameters, reuses what is up to date', { skip: existsSync(join(PACK_DIR, 'mobilefacenet-192.onnx')) ? false : 'no model pack' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-variants-'));
  try {
    await cp(PACK_DIR, dir, { recursive: true, filter: (src) => !/\.(int8|fp16)\.onnx$/.test(src) });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as PackManifest;
    for (const m of manifest.models) delete m.variants;
    const demo = await demoCalibrationImages();
    const set = { ...demo, images: demo.images.slice(0, 1) }; // one photo keeps the test short
    const only = ['mobilefacenet-192'];
    const first = await buildVariants(dir, manifest.models, { only, calibration: set, precisions: ['int8', 'fp16'] });
    assert.deepEqual(first.failed, []);
    assert.deepEqual(first.built.map((b) => `${b.precision}:${b.cached}`).sort(), ['fp16:false', 'int8:false']);
    const v = manifest.models.find((m) => m.id === 'mobilefacenet-192')!.variants!;
    assert.equal(v.int8!.file, 'mobilefacenet-192.int8.onnx');
    assert.equal(v.int8!.calibration!.dataHash, set.dataHash);
    assert.equal(v.int8!.calibration!.source, 'faceapi-demo');
    assert.equal(v.int8!.calibration!.images, 1);
    assert.ok(v.int8!.calibration!.faces >= 1);
    assert.equal(v.int8!.params!.reduceRange, true);
    assert.ok(v.int8!.bytes < manifest.models.find((m) => m.id === 'mobilefacenet-192')!.bytes * 0.7, 'int8 file is smaller');
    assert.equal(v.fp16!.params!.io, 'float32 (Cast at the graph edges)');
    // Second run: nothing to do.
    const second = await buildVariants(dir, manifest.models, { only, calibration: set, precisions: ['int8', 'fp16'] });
    assert.ok(second.built.every((b) => b.cached), JSON.stringify(second.built));
    assert.equal(second.calibration, undefined, 'no calibration when everything is cached');
    // Other calibration images: int8 is rebuilt, fp16 (no calibration) is kept.
    const other = { ...demo, images: demo.images.slice(1, 2), dataHash: 'x'.repeat(64) };
    const third = await buildVariants(dir, manifest.models, { only, calibration: other, precisions: ['int8', 'fp16'] });
    assert.deepEqual(third.built.map((b) => `${b.precision}:${b.cached}`).sort(), ['fp16:true', 'int8:false']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('models verify checks every variant: a corrupted int8 file fails, naming it', { skip: needVariant('landmark-68', 'int8') }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-verify-'));
  try {
    await cp(PACK_DIR, dir, { recursive: true });
    const ok = await verifyPack(dir);
    assert.equal(ok.ok, true);
    assert.ok(ok.variants.some((v) => v.id === 'landmark-68' && v.precision === 'int8' && v.sha256_ok));
    const victim = join(dir, 'landmark-68.int8.onnx');
    const bytes = await readFile(victim);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(victim, bytes);
    const bad = await verifyPack(dir);
    assert.equal(bad.ok, false);
    const row = bad.variants.find((v) => v.id === 'landmark-68' && v.precision === 'int8')!;
    assert.equal(row.sha256_ok, false);
    assert.ok(row.error?.includes(victim), row.error);
    assert.ok(bad.models.every((m) => !m.error), 'fp32 models still verify');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
