/**
 * Detection recall at the door's min face, and what the track-guided pass (MTCNN detectAround)
 * keeps of it. Data: ../shared/data.
 * - dlib-pascal-faces: recall at IoU 0.3 over the labelled faces at least `min face` px (the
 *   labels are 37-109 px, so few qualify), and over all 43 on the images upscaled 2x (74-218 px,
 *   door-sized).
 * - lfw-dev: share of images (each holds one centred face, ~110 px) with a detection that
 *   contains the image centre.
 * - around: for every face the full pass found, detectAround() (MTCNN's O-Net, also for RFB) from
 *   a hint moved by 5% of its width and grown 10% (a face between two frames) re-finds it at
 *   IoU >= 0.5.
 * Run: `npx tsx test/bench/door-detection.ts [--min-faces 60,80] [--lfw 500] [--no-rfb] [--factor 0.6] [--merge 0.4] [--json]`
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { boxToCorners, overlap } from '../../sdk/detect/box-math.ts';
import { loadFrame } from '../../sdk/image/load-frame.ts';
import { createDetector, openPack, type DetectorConfig, type DetectorHandle } from '../../sdk/pipeline/create-detector.ts';
import { evenSubset, loadPairsCsv } from '../../calibration/pairs.ts';
import type { Box, DetectedFace, Frame } from '../../sdk/types.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import { dlibPascalBoxes, matchDetections } from '../helpers/detection-eval.ts';
import { round } from './stats.ts';

const { values } = parseArgs({ options: { 'min-faces': { type: 'string', default: '60,80' }, lfw: { type: 'string', default: '500' }, json: { type: 'boolean' }, 'no-rfb': { type: 'boolean' }, factor: { type: 'string', default: '0.709' }, merge: { type: 'string' } } });
const pascal = join(DATA_DIR, 'dlib-pascal-faces');
const lfw = join(DATA_DIR, 'lfw-dev');
if (!existsSync(pascal) || !existsSync(lfw)) {
  console.error('needs ../shared/data/dlib-pascal-faces and lfw-dev');
  process.exit(1);
}
const minFaces = values['min-faces'].split(',').map(Number);
const labels = await dlibPascalBoxes(pascal);
const lfwImages = [...new Set(evenSubset((await loadPairsCsv(join(lfw, 'pairs.csv'), join(lfw, 'images'))).pairs, Number(values.lfw)).map((p) => p.a))];

async function upscaled(path: string, f: number): Promise<Frame> {
  const meta = await sharp(path).metadata();
  const { data, info } = await sharp(path).removeAlpha().resize(Math.round(meta.width! * f), Math.round(meta.height! * f), { kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
const scaled = (b: Box, f: number): Box => ({ x: b.x * f, y: b.y * f, w: b.w * f, h: b.h * f });
/** A face's box a frame later: moved right and down by 10% / 5% of its size, 10% larger. */
const moved = (b: Box): Box => ({ x: b.x + 0.1 * b.w - 0.05 * b.w, y: b.y + 0.05 * b.h - 0.05 * b.h, w: 1.1 * b.w, h: 1.1 * b.h });

const frac = (a: number, n: number) => `${a}/${n} = ${round(a / Math.max(1, n), 3)}`;
const rows: Record<string, unknown>[] = [];
const around = { tried: 0, found: 0 };

async function evaluate(name: string, { detector, detectAround }: DetectorHandle, minFace: number): Promise<void> {
  let tp = 0, n = 0, tp2 = 0, n2 = 0, fp2 = 0;
  const aroundOf = async (frame: Frame, faces: DetectedFace[]) => {
    if (!detectAround) return;
    for (const f of faces) {
      const again = await detectAround(frame, [moved(f.box)]);
      around.tried++;
      if (again.some((g) => overlap(boxToCorners(g.box), boxToCorners(f.box)) >= 0.5)) around.found++;
    }
  };
  for (const [image, boxes] of labels) {
    const path = join(pascal, 'images', image);
    const faces = await detector.detect(await loadFrame(path));
    const big = boxes.filter((b) => Math.max(b.w, b.h) >= minFace);
    const m = matchDetections(big, faces.map((f) => f.box), 0.3);
    tp += m.tp; n += big.length;
    const frame2 = await upscaled(path, 2);
    const faces2 = await detector.detect(frame2);
    const m2 = matchDetections(boxes.map((b) => scaled(b, 2)), faces2.map((f) => f.box), 0.3);
    tp2 += m2.tp; n2 += boxes.length; fp2 += m2.fp;
    await aroundOf(frame2, faces2);
  }
  let centred = 0;
  for (const path of lfwImages) {
    const frame = await loadFrame(path);
    const faces = await detector.detect(frame);
    const cx = frame.width / 2, cy = frame.height / 2;
    if (faces.some((f) => f.box.x <= cx && cx <= f.box.x + f.box.w && f.box.y <= cy && cy <= f.box.y + f.box.h)) centred++;
    await aroundOf(frame, faces);
  }
  rows.push({
    detector: name, min_face: minFace, 'pascal labels >= min face': frac(tp, n), 'pascal x2 all 43': frac(tp2, n2), 'pascal x2 unlabelled dets': fp2,
    'lfw-dev centre face': frac(centred, lfwImages.length),
  });
}

const pack = await openPack(undefined, { precision: 'auto', intraOpThreads: 1 });
for (const minFace of minFaces) {
  const config: DetectorConfig = { detector: 'mtcnn', minFaceSize: minFace, mtcnnFactor: Number(values.factor), ...(values.merge ? { mtcnnMergeOverlap: Number(values.merge) } : {}), trackGuided: true };
  const handle = await createDetector(config, pack);
  around.tried = around.found = 0;
  await evaluate('mtcnn', handle, minFace);
  rows.at(-1)!.around_refound = frac(around.found, around.tried);
  await handle.detector.release();
}
if (!values['no-rfb']) {
  const handle = await createDetector({ detector: 'rfb', trackGuided: true }, pack);
  for (const [k, minFace] of minFaces.entries()) {
    around.tried = around.found = 0;
    await evaluate('rfb', { ...handle, detectAround: k === 0 ? handle.detectAround : undefined }, minFace);
    if (k === 0) rows.at(-1)!.around_refound = frac(around.found, around.tried);
  }
  await Promise.all([handle.detector.release(), handle.releaseExtras()]);
}
if (values.json) console.log(JSON.stringify(rows));
else console.table(rows);
