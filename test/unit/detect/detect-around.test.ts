import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MtcnnDetector } from '../../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { boxToCorners, overlap } from '../../../sdk/detect/box-math.ts';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import { createDetector, openPack } from '../../../sdk/pipeline/create-detector.ts';
import type { Box } from '../../../sdk/types.ts';
import { needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const skip = needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet');
/** Where a face may be a frame later: moved by 8% of its width, 10% larger. */
const moved = (b: Box): Box => ({ x: b.x + 0.08 * b.w, y: b.y - 0.04 * b.h, w: 1.1 * b.w, h: 1.1 * b.h });

test('mtcnn detectAround re-finds the faces of the full pass from moved hints, and nothing where there is none', { skip }, async () => {
  const det = await MtcnnDetector.create(await openPack(), { minFaceSize: 40 });
  try {
    let faces = 0;
    let refound = 0;
    for (const photo of await demoPhotos()) {
      const frame = await loadFrame(photo);
      const full = await det.detect(frame);
      for (const f of full) {
        const again = await det.detectAround(frame, [moved(f.box)]);
        faces++;
        const hit = again.find((g) => overlap(boxToCorners(g.box), boxToCorners(f.box)) >= 0.5);
        if (!hit) continue;
        refound++;
        assert.ok(hit.landmarks5.every(([x, y]) => x >= f.box.x - 0.2 * f.box.w && x <= f.box.x + 1.2 * f.box.w && y >= f.box.y - 0.2 * f.box.h && y <= f.box.y + 1.2 * f.box.h), 'landmarks on the face');
      }
      // All hints at once: no more faces than the full pass found.
      assert.ok((await det.detectAround(frame, full.map((f) => moved(f.box)))).length <= full.length);
    }
    assert.ok(faces >= 15, `the demo photos hold ${faces} faces`);
    assert.ok(refound >= faces - 1, `re-found ${refound} of ${faces}`);
    assert.equal(det.lastStats?.scales, 0, 'no pyramid');

    const grey: Parameters<typeof det.detect>[0] = { data: new Uint8Array(320 * 240 * 3).fill(128), width: 320, height: 240 };
    assert.deepEqual(await det.detectAround(grey, [{ x: 100, y: 60, w: 100, h: 120 }]), []);
    assert.deepEqual(await det.detectAround(grey, []), []);
  } finally {
    await det.release();
  }
});

test('mtcnn maxFaceSize below minFaceSize is FG_CONFIG_INVALID before any model loads', { skip }, async () => {
  await assert.rejects(MtcnnDetector.create(await openPack(), { minFaceSize: 60, maxFaceSize: 40 }),
    (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID' && /maxFaceSize must be >= minFaceSize \(60 px\), got 40/.test(e.message));
});

test('rfb with trackGuided re-finds its faces with O-Net; without it there is no detectAround', { skip: skip || needModels('rfb-320', 'landmark-68') }, async () => {
  const plain = await createDetector({ detector: 'rfb' });
  assert.equal(plain.detectAround, undefined);
  await plain.detector.release();
  const h = await createDetector({ detector: 'rfb', trackGuided: true });
  try {
    let faces = 0;
    let refound = 0;
    for (const photo of await demoPhotos()) {
      const frame = await loadFrame(photo);
      for (const f of await h.detector.detect(frame)) {
        faces++;
        const again = await h.detectAround!(frame, [moved(f.box)]);
        if (again.some((g) => overlap(boxToCorners(g.box), boxToCorners(f.box)) >= 0.4)) refound++;
      }
    }
    assert.ok(refound >= faces - 1, `re-found ${refound} of ${faces}`);
  } finally {
    await Promise.all([h.detector.release(), h.releaseExtras()]);
  }
});
