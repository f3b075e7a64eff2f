import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createDetector, type DetectorKind } from '../../../sdk/pipeline/create-detector.ts';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import type { DetectedFace } from '../../../sdk/types.ts';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { dlibPascalBoxes, matchDetections } from '../../helpers/detection-eval.ts';

const MODELS: Record<DetectorKind, string[]> = { mtcnn: ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet'], rfb: ['rfb-320', 'landmark-68'] };
/** People whose whole face is visible in face-api's sample1..6.jpg (counted by eye). */
const PEOPLE = [3, 3, 3, 4, 5, 4];

/** Geometry every real frontal-ish face satisfies. */
function checkFace(f: DetectedFace, where: string): void {
  const { box, landmarks5: l } = f;
  assert.ok(f.score > 0 && f.score <= 1, `${where}: score ${f.score}`);
  const slack = 0.1 * box.w;
  for (const [x, y] of l) {
    assert.ok(x >= box.x - slack && x <= box.x + box.w + slack && y >= box.y - slack && y <= box.y + box.h + slack,
      `${where}: landmark (${x.toFixed(0)}, ${y.toFixed(0)}) outside box ${JSON.stringify(box)}`);
  }
  const [le, re, nose, ml, mr] = l;
  assert.ok(Math.max(le[1], re[1]) < Math.min(ml[1], mr[1]), `${where}: eyes must be above the mouth`);
  assert.ok(le[0] < re[0] && ml[0] < mr[0], `${where}: left points must be left of right points`);
  assert.ok(nose[1] > Math.min(le[1], re[1]) && nose[1] < Math.max(ml[1], mr[1]), `${where}: nose between eyes and mouth`);
}

for (const kind of ['mtcnn', 'rfb'] as const) {
  const skip = needModels(...MODELS[kind]);

  test(`${kind}: every face-api demo photo yields its faces, landmarks inside, eyes above mouth`, { skip }, async () => {
    const { detector } = await createDetector({ detector: kind });
    try {
      const photos = await demoPhotos();
      let found = 0;
      for (const [i, photo] of photos.entries()) {
        const faces = await detector.detect(await loadFrame(photo));
        assert.ok(faces.length >= 1, `sample${i + 1}: no face`);
        assert.ok(faces.length <= PEOPLE[i] + 1, `sample${i + 1}: ${faces.length} faces for ${PEOPLE[i]} people`);
        for (let k = 1; k < faces.length; k++) assert.ok(faces[k - 1].score >= faces[k].score, 'sorted by score');
        faces.forEach((f, k) => checkFace(f, `sample${i + 1} face ${k}`));
        found += Math.min(faces.length, PEOPLE[i]);
      }
      const people = PEOPLE.reduce((a, b) => a + b, 0);
      assert.ok(found >= people - 1, `found ${found} of ${people} people`);
    } finally {
      await detector.release();
    }
  });

  test(`${kind}: no faces on noface-dev at default thresholds`, { skip: skip || needData('noface-dev') }, async () => {
    const { detector } = await createDetector({ detector: kind });
    try {
      const dir = join(DATA_DIR, 'noface-dev', 'images');
      for (const name of await readdir(dir)) {
        const faces = await detector.detect(await loadFrame(join(dir, name)));
        assert.equal(faces.length, 0, `${name}: ${faces.length} false faces (best score ${faces[0]?.score})`);
      }
    } finally {
      await detector.release();
    }
  });

  test(`${kind}: recall >= 0.9 at IoU 0.3 on dlib-pascal-faces`, { skip: skip || needData('dlib-pascal-faces') }, async () => {
    const { detector } = await createDetector({ detector: kind });
    try {
      const dir = join(DATA_DIR, 'dlib-pascal-faces');
      let tp = 0, fn = 0;
      for (const [image, labels] of await dlibPascalBoxes(dir)) {
        const faces = await detector.detect(await loadFrame(join(dir, 'images', image)));
        const m = matchDetections(labels, faces.map((f) => f.box), 0.3);
        tp += m.tp;
        fn += m.fn;
      }
      assert.ok(tp / (tp + fn) >= 0.9, `recall ${tp}/${tp + fn}`);
    } finally {
      await detector.release();
    }
  });
}

test('bad detector settings are FG_CONFIG_INVALID before any model loads', async () => {
  const bad = (re: RegExp) => (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID' && re.test(e.message);
  await assert.rejects(createDetector({ detector: 'yolo' as DetectorKind }), bad(/mtcnn, rfb/));
  await assert.rejects(createDetector({ detector: 'mtcnn', minFaceSize: 5 }), (e: unknown) =>
    e instanceof FaceGateError && (e.code === 'FG_CONFIG_INVALID' ? /minFaceSize/.test(e.message) : e.code === 'FG_MODEL_MISSING'));
  await assert.rejects(createDetector({ detector: 'rfb', rfbThreshold: 2 }), bad(/scoreThreshold/));
  await assert.rejects(createDetector({ detector: 'mtcnn', mtcnnFactor: 0.99 }), (e: unknown) =>
    e instanceof FaceGateError && (e.code === 'FG_CONFIG_INVALID' ? /factor/.test(e.message) : e.code === 'FG_MODEL_MISSING'));
});

test('mtcnnFactor reaches MTCNN: a 0.6 pyramid step still finds every dlib-pascal face of door size (>= 60 px)', { skip: needModels(...MODELS.mtcnn) || needData('dlib-pascal-faces') }, async () => {
  const { detector } = await createDetector({ detector: 'mtcnn', minFaceSize: 60, mtcnnFactor: 0.6 });
  try {
    assert.equal((detector as unknown as { factor: number }).factor, 0.6);
    const dir = join(DATA_DIR, 'dlib-pascal-faces');
    let tp = 0, n = 0;
    for (const [image, labels] of await dlibPascalBoxes(dir)) {
      const big = labels.filter((b) => Math.max(b.w, b.h) >= 60);
      if (!big.length) continue;
      const faces = await detector.detect(await loadFrame(join(dir, 'images', image)));
      tp += matchDetections(big, faces.map((f) => f.box), 0.3).tp;
      n += big.length;
    }
    assert.ok(n > 0 && tp === n, `door-sized recall ${tp}/${n}`);
  } finally {
    await detector.release();
  }
});

test('mtcnnMergeOverlap reaches MTCNN: 0.4 keeps every door-sized dlib-pascal face (2x) with fewer windows into O-Net', { skip: needModels(...MODELS.mtcnn) || needData('dlib-pascal-faces') }, async () => {
  await assert.rejects(createDetector({ detector: 'mtcnn', mtcnnMergeOverlap: 0 }), (e: unknown) =>
    e instanceof FaceGateError && (e.code === 'FG_CONFIG_INVALID' ? /mergeOverlap/.test(e.message) : e.code === 'FG_MODEL_MISSING'));
  const door = { detector: 'mtcnn' as const, minFaceSize: 60, mtcnnFactor: 0.6 };
  const [loose, merged] = await Promise.all([createDetector(door), createDetector({ ...door, mtcnnMergeOverlap: 0.4 })]);
  type Stats = { lastStats: { rnetBoxes: number } };
  try {
    const dir = join(DATA_DIR, 'dlib-pascal-faces');
    const found = [0, 0];
    const windows = [0, 0];
    let n = 0;
    for (const [image, labels] of await dlibPascalBoxes(dir)) {
      // 2x: every labelled face (37-109 px) becomes door-sized
      const frame = await loadFrame(join(dir, 'images', image));
      const up = await sharp(Buffer.from(frame.data), { raw: { width: frame.width, height: frame.height, channels: 3 } })
        .resize(frame.width * 2, frame.height * 2).raw().toBuffer();
      const big = { data: new Uint8Array(up), width: frame.width * 2, height: frame.height * 2 };
      const truth = labels.map((b) => ({ x: 2 * b.x, y: 2 * b.y, w: 2 * b.w, h: 2 * b.h }));
      n += truth.length;
      for (const [k, d] of [loose, merged].entries()) {
        const faces = await d.detector.detect(big);
        found[k] += matchDetections(truth, faces.map((f) => f.box), 0.3).tp;
        windows[k] += (d.detector as unknown as Stats).lastStats.rnetBoxes;
      }
    }
    assert.equal(found[1], found[0], `recall at merge 0.4 ${found[1]}/${n}, at 0.7 ${found[0]}/${n}`);
    assert.ok(windows[1] < 0.6 * windows[0], `windows into O-Net: ${windows[1]} at 0.4 against ${windows[0]} at 0.7`);
  } finally {
    await Promise.all([loose.detector.release(), merged.detector.release()]);
  }
});
