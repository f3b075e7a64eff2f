import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createPipeline, type PipelineConfig } from '../../../sdk/pipeline/create-pipeline.ts';
import { l2Distance } from '../../../sdk/embed/l2.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import type { RawFrame } from '../../../sdk/image/raw-frame.ts';
import type { AnalyzedFace } from '../../../sdk/types.ts';
import { PACK_DIR } from '../../../models/paths.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const COMBOS: { name: string; config: PipelineConfig; models: string[] }[] = [
  { name: 'default (mtcnn + mobilefacenet-192)', config: {}, models: ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192'] },
  { name: 'rfb + fr-feature-512', config: { detector: 'rfb', embedder: 'fr-feature-512' }, models: ['rfb-320', 'landmark-68', 'fr-feature-512'] },
];

/** The face of `faces` whose box centre is nearest (cx, cy). */
function nearest(faces: AnalyzedFace[], cx: number, cy: number): AnalyzedFace {
  return faces.reduce((a, b) =>
    Math.hypot(b.box.x + b.box.w / 2 - cx, b.box.y + b.box.h / 2 - cy) < Math.hypot(a.box.x + a.box.w / 2 - cx, a.box.y + a.box.h / 2 - cy) ? b : a);
}
const decodeError = (e: unknown) => e instanceof FaceGateError && e.code === 'FG_IMAGE_DECODE';

test('analyze: a photo over the working size is decoded shrunk, yet boxes and size are in its own pixels', { skip: needModels(...COMBOS[0].models) }, async () => {
  const p = await createPipeline({});
  try {
    const photos = await demoPhotos();
    const small = await p.analyze(photos[2]);
    const big = await sharp(photos[2]).resize(3840, 2700).jpeg({ quality: 95 }).toBuffer(); // 10.4 MP
    const r = await p.analyze(big);
    assert.deepEqual([r.width, r.height], [3840, 2700]);
    assert.equal(r.faces.length, small.faces.length);
    for (const f of small.faces) {
      const g = nearest(r.faces, 2 * (f.box.x + f.box.w / 2), 2 * (f.box.y + f.box.h / 2));
      assert.ok(Math.abs(g.box.w / (2 * f.box.w) - 1) < 0.1, `box ${JSON.stringify(g.box)} vs 2x ${JSON.stringify(f.box)}`);
      assert.ok(Math.hypot(g.box.x - 2 * f.box.x, g.box.y - 2 * f.box.y) < 0.1 * 2 * f.box.w, `box ${JSON.stringify(g.box)} vs 2x ${JSON.stringify(f.box)}`);
    }
  } finally {
    await p.release();
  }
});

for (const { name, config, models } of COMBOS) {
  test(`${name}: analyze a real photo -> faces with quality, unit embeddings, timings`, { skip: needModels(...models) }, async () => {
    const p = await createPipeline(config);
    try {
      const photos = await demoPhotos();
      const r = await p.analyze(photos[2]);
      assert.deepEqual([r.width, r.height], [1920, 1350]);
      assert.ok(r.faces.length >= 3, `${r.faces.length} faces`);
      assert.equal(r.fallback, undefined);
      for (const f of r.faces) {
        assert.equal(f.embedding.length, p.embedder.dim);
        assert.ok(Math.abs(Math.hypot(...f.embedding) - 1) < 1e-5);
        assert.equal(f.quality.sizePx, Math.max(f.box.w, f.box.h));
        // Inter-eye distance of a face is roughly a third to a half of its box.
        assert.ok(f.quality.interEyePx > 0.2 * f.box.w && f.quality.interEyePx < 0.7 * f.box.w, JSON.stringify(f.quality));
        assert.ok(f.quality.blur > 0);
      }
      const t = r.timings;
      assert.ok(t.decodeMs > 0 && t.detectMs > 0 && t.embedMs > 0);
      assert.ok(t.totalMs >= t.decodeMs + t.detectMs + t.embedMs - 1e-6);
      assert.equal(p.modelId, p.embedder.modelId);
      assert.equal((await p.analyze(photos[2], { maxFaces: 1 })).faces.length, 1);
    } finally {
      await p.release();
    }
  });

  test(`${name}: raw RGB/BGR/RGBA frames give exactly the decoded file's result`, { skip: needModels(...models) }, async () => {
    const p = await createPipeline(config);
    try {
      const [photo] = await demoPhotos();
      const file = await p.analyze(photo);
      const { data, info } = await sharp(photo).raw().toBuffer({ resolveWithObject: true });
      const rgb = new Uint8Array(data);
      const n = info.width * info.height;
      const bgr = new Uint8Array(n * 3);
      const rgba = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) {
        bgr[3 * i] = rgb[3 * i + 2]; bgr[3 * i + 1] = rgb[3 * i + 1]; bgr[3 * i + 2] = rgb[3 * i];
        rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i); rgba[4 * i + 3] = 255;
      }
      for (const [format, bytes] of [['rgb', rgb], ['bgr', bgr], ['rgba', rgba]] as const) {
        const raw: RawFrame = { data: bytes, width: info.width, height: info.height, format };
        const r = await p.analyze(raw);
        assert.equal(r.faces.length, file.faces.length, format);
        r.faces.forEach((f, i) => {
          assert.deepEqual(f.box, file.faces[i].box, format);
          assert.deepEqual(f.landmarks5, file.faces[i].landmarks5, format);
          assert.deepEqual(Array.from(f.embedding), Array.from(file.faces[i].embedding), format);
        });
      }
      await assert.rejects(p.analyze(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])), decodeError);
    } finally {
      await p.release();
    }
  });

  test(`${name}: embeddings are stable under small shifts and resizes, far between people`, { skip: needModels(...models) }, async () => {
    const p = await createPipeline(config);
    try {
      const photos = await demoPhotos();
      const base = await p.analyze(photos[0]); // 1920x1280, three people
      assert.ok(base.faces.length >= 3);
      const variants: [string, Uint8Array, (x: number, y: number) => [number, number]][] = [
        ['shift (7, 5) px', new Uint8Array(await sharp(photos[0]).extract({ left: 7, top: 5, width: 1900, height: 1200 }).png().toBuffer()), (x, y) => [x - 7, y - 5]],
        ['resize 0.8', new Uint8Array(await sharp(photos[0]).resize(1536).png().toBuffer()), (x, y) => [0.8 * x, 0.8 * y]],
        ['resize 0.5', new Uint8Array(await sharp(photos[0]).resize(960).png().toBuffer()), (x, y) => [0.5 * x, 0.5 * y]],
      ];
      for (const [what, bytes, map] of variants) {
        const r = await p.analyze(bytes);
        for (const f of base.faces) {
          const [cx, cy] = map(f.box.x + f.box.w / 2, f.box.y + f.box.h / 2);
          const d = l2Distance(f.embedding, nearest(r.faces, cx, cy).embedding);
          // Measured with rfb + fr-feature-512: 0.03-0.2; different people 1.1-1.5.
          assert.ok(d < 0.4, `${what}: same face moved by ${d.toFixed(3)}`);
        }
      }
      for (let a = 0; a < base.faces.length; a++) for (let b = a + 1; b < base.faces.length; b++) {
        const d = l2Distance(base.faces[a].embedding, base.faces[b].embedding);
        assert.ok(d > 0.9, `people ${a} and ${b} only ${d.toFixed(3)} apart`);
      }
    } finally {
      await p.release();
    }
  });

  test(`${name}: fallback says none / low-threshold / centre-crop`, { skip: needModels(...models) }, async () => {
    const p = await createPipeline(config);
    // Thresholds no face reaches (O-Net needs score > 1; RFB's best here is 0.99997): the default
    // pass finds nothing, the lower fallback pass does.
    const strict = await createPipeline({ ...config, mtcnnThresholds: [0.6, 0.7, 1], rfbThreshold: 0.999999 });
    try {
      const photos = await demoPhotos();
      const small = new Uint8Array(await sharp(photos[2]).resize(640).jpeg().toBuffer());
      const normal = await p.analyze(small, { fallback: true });
      assert.equal(normal.fallback, 'none');
      assert.ok(normal.faces.length >= 3);

      assert.equal((await strict.analyze(small)).faces.length, 0, 'strict thresholds should miss every face');
      const low = await strict.analyze(small, { fallback: true });
      assert.equal(low.fallback, 'low-threshold');
      assert.equal(low.faces.length, 1);
      // It is the most central of the faces the normal pass finds.
      const dist = (f: AnalyzedFace) => Math.hypot(f.box.x + f.box.w / 2 - normal.width / 2, f.box.y + f.box.h / 2 - normal.height / 2);
      const central = [...normal.faces].sort((a, b) => dist(a) - dist(b))[0];
      assert.ok(Math.abs(low.faces[0].box.x - central.box.x) < central.box.w / 2, 'not the central face');

      const grey: RawFrame = { data: new Uint8Array(200 * 150 * 3).fill(128), width: 200, height: 150, format: 'rgb' };
      assert.equal((await p.analyze(grey)).faces.length, 0);
      const crop = await p.analyze(grey, { fallback: true });
      assert.equal(crop.fallback, 'centre-crop');
      assert.equal(crop.faces.length, 1);
      assert.equal(crop.faces[0].score, 0);
      assert.ok(Math.abs(Math.hypot(...crop.faces[0].embedding) - 1) < 1e-5);
    } finally {
      await Promise.all([p.release(), strict.release()]);
    }
  });
}

test('a pack without the configured models says which and what to do', { skip: needModels('rfb-320', 'landmark-68', 'fr-feature-512') }, async () => {
  // A pack holding only the faceplugin ONNX models (what exists before the TFLite converter runs).
  const dir = await mkdtemp(join(tmpdir(), 'fg-pack-'));
  const manifest = JSON.parse(await readFile(join(PACK_DIR, 'manifest.json'), 'utf8')) as { models: { id: string; file: string }[] };
  manifest.models = manifest.models.filter((m) => ['rfb-320', 'landmark-68', 'fr-feature-512'].includes(m.id));
  for (const m of manifest.models) await symlink(join(PACK_DIR, m.file), join(dir, m.file));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));

  const missing = (re: RegExp) => (e: unknown) => e instanceof FaceGateError && e.code === 'FG_MODEL_MISSING' && re.test(e.message);
  await assert.rejects(createPipeline({ packDir: dir }), missing(/mtcnn-pnet.*models build.*detector: "rfb"/s));
  await assert.rejects(createPipeline({ packDir: dir, detector: 'rfb' }), missing(/mobilefacenet-192.*embedder: "fr-feature-512"/s));
  await assert.rejects(createPipeline({ packDir: join(dir, 'nope') }), missing(/manifest not found/));
  await assert.rejects(createPipeline({ packDir: dir, detector: 'rfb', embedder: 'arcface' as 'fr-feature-512' }),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID');
  const p = await createPipeline({ packDir: dir, detector: 'rfb', embedder: 'fr-feature-512' });
  await p.release();
});
