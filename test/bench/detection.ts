/**
 * Detection quality on ../shared/data: recall and precision at IoU 0.3 (and 0.5) on
 * dlib-pascal-faces (43 labelled faces in 9 photos; unlabelled background faces count as false
 * positives, so precision is a lower bound), and faces found on noface-dev (target 0).
 * Run: `npx tsx test/bench/detection.ts [--json]`.
 */
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadFrame } from '../../sdk/image/load-frame.ts';
import { createDetector, type DetectorConfig } from '../../sdk/pipeline/create-detector.ts';
import type { DetectedFace } from '../../sdk/types.ts';
import { DATA_DIR, needModels } from '../helpers/pack.ts';
import { dlibPascalBoxes, matchDetections } from '../helpers/detection-eval.ts';
import { round } from './stats.ts';

const configs: [string, DetectorConfig, string[]][] = [
  ['mtcnn min 20', { detector: 'mtcnn', minFaceSize: 20 }, ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet']],
  ['mtcnn min 40', { detector: 'mtcnn', minFaceSize: 40 }, ['mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet']],
  ['rfb', { detector: 'rfb' }, ['rfb-320', 'landmark-68']],
];
const pascal = join(DATA_DIR, 'dlib-pascal-faces');
const noface = join(DATA_DIR, 'noface-dev', 'images');
if (!existsSync(pascal) || !existsSync(noface)) {
  console.error('needs ../shared/data/dlib-pascal-faces and noface-dev');
  process.exit(1);
}
const labels = await dlibPascalBoxes(pascal);
const rows: Record<string, unknown>[] = [];

for (const [name, config, models] of configs) {
  if (needModels(...models)) continue;
  const { detector } = await createDetector(config);
  const found = new Map<string, DetectedFace[]>();
  for (const image of labels.keys()) found.set(image, await detector.detect(await loadFrame(join(pascal, 'images', image))));
  const row: Record<string, unknown> = { detector: name };
  for (const iou of [0.3, 0.5]) {
    let tp = 0, fp = 0, fn = 0;
    for (const [image, boxes] of labels) {
      const m = matchDetections(boxes, found.get(image)!.map((f) => f.box), iou);
      tp += m.tp; fp += m.fp; fn += m.fn;
    }
    row[`recall@${iou}`] = `${tp}/${tp + fn} = ${round(tp / (tp + fn), 3)}`;
    row[`precision@${iou}`] = `${tp}/${tp + fp} = ${round(tp / (tp + fp), 3)}`;
  }
  let nofaceFaces = 0;
  const worst: string[] = [];
  for (const file of await readdir(noface)) {
    const faces = await detector.detect(await loadFrame(join(noface, file)));
    nofaceFaces += faces.length;
    if (faces.length) worst.push(`${file}:${faces.length}@${round(faces[0].score, 3)}`);
  }
  row.noface_faces = nofaceFaces;
  if (worst.length) row.noface_hits = worst.join(' ');
  rows.push(row);
  await detector.release();
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else console.table(rows);
