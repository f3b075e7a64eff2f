/**
 * Where MTCNN's full pass spends its time, per variant of the door profile, interleaved image by
 * image: lfw-dev faces (~110 px) on a 640x480 canvas. Per variant: median CPU ms of the whole
 * detect() and of each stage (pyramid, P-Net incl. pyramid, R-Net, O-Net), boxes into R-Net and
 * O-Net, faces found, and how many images lost the centred face against the first variant.
 * Run: `npx tsx test/bench/mtcnn-stages.ts [--images 60] [--json]`
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evenSubset, loadPairsCsv } from '../../calibration/pairs.ts';
import { MtcnnDetector, type MtcnnOptions } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { openPack } from '../../sdk/pipeline/create-detector.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import { imageOnCanvas } from './peers/canvas.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({ options: { images: { type: 'string', default: '60' }, json: { type: 'boolean' } } });
const lfw = join(DATA_DIR, 'lfw-dev');
const images = evenSubset((await loadPairsCsv(join(lfw, 'pairs.csv'), join(lfw, 'images'))).pairs, Number(values.images)).map((p) => p.a);
const VARIANTS: [string, MtcnnOptions][] = [
  ['min 60 (default)', { minFaceSize: 60 }],
  ['min 60, max 240', { minFaceSize: 60, maxFaceSize: 240 }],
  ['min 60, P-Net 0.7', { minFaceSize: 60, thresholds: [0.7, 0.7, 0.7] }],
  ['min 80', { minFaceSize: 80 }],
];
const pack = await openPack(undefined, { precision: 'auto', intraOpThreads: 1 });
const dets = await Promise.all(VARIANTS.map(([, o]) => MtcnnDetector.create(pack, o)));
type Sample = { cpu: number; pyramid: number; pnet: number; rnet: number; onet: number; rin: number; oin: number; faces: number; centred: boolean };
const samples: Sample[][] = VARIANTS.map(() => []);
for (let i = -2; i < images.length; i++) {
  const frame = await imageOnCanvas(images[Math.max(0, i)], 640, 480);
  for (const [k, det] of dets.entries()) {
    const c0 = process.cpuUsage();
    const faces = await det.detect(frame);
    const c = process.cpuUsage(c0);
    if (i < 0) continue;
    const s = det.lastStats!;
    const centred = faces.some((f) => f.box.x <= 320 && 320 <= f.box.x + f.box.w && f.box.y <= 240 && 240 <= f.box.y + f.box.h);
    samples[k].push({ cpu: (c.user + c.system) / 1000, pyramid: s.pyramidMs, pnet: s.pnetMs, rnet: s.rnetMs, onet: s.onetMs, rin: s.pnetBoxes, oin: s.rnetBoxes, faces: faces.length, centred });
  }
}
const med = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5), 2);
const rows = VARIANTS.map(([name], k) => {
  const s = samples[k];
  return {
    variant: name, cpu_ms_p50: med(s.map((x) => x.cpu)), pyramid_ms: med(s.map((x) => x.pyramid)), pnet_ms: med(s.map((x) => x.pnet)),
    rnet_ms: med(s.map((x) => x.rnet)), onet_ms: med(s.map((x) => x.onet)), rnet_in: med(s.map((x) => x.rin)), onet_in: med(s.map((x) => x.oin)),
    centred_found: `${s.filter((x) => x.centred).length}/${s.length}`,
  };
});
if (values.json) console.log(JSON.stringify(rows));
else console.table(rows);
await Promise.all(dets.map((d) => d.release()));
