/**
 * Where MTCNN's full pass spends its time, per variant of the door profile, interleaved image by
 * image: lfw-dev faces (~110 px) on a 640x480 (`--size`) canvas. Per variant: median CPU ms of the whole
 * detect() and of each stage (pyramid, P-Net incl. pyramid, R-Net, O-Net), boxes into R-Net and
 * O-Net, faces found, and how many images lost the centred face against the first variant.
 * Run: `npx tsx test/bench/mtcnn-stages.ts [--images 60] [--size 1280x720] [--variants default,max240,pnet07,min80,factor06,factor05] [--json]`
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evenSubset, loadPairsCsv } from '../../calibration/pairs.ts';
import { MtcnnDetector, type MtcnnOptions } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { openPack } from '../../sdk/pipeline/create-detector.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import { imageOnCanvas } from './peers/canvas.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({ options: { images: { type: 'string', default: '60' }, size: { type: 'string', default: '640x480' }, variants: { type: 'string', default: 'default,max240,pnet07,min80' }, json: { type: 'boolean' } } });
const lfw = join(DATA_DIR, 'lfw-dev');
const images = evenSubset((await loadPairsCsv(join(lfw, 'pairs.csv'), join(lfw, 'images'))).pairs, Number(values.images)).map((p) => p.a);
const ALL_VARIANTS: Record<string, [string, MtcnnOptions]> = {
  default: ['min 60 (default)', { minFaceSize: 60 }],
  max240: ['min 60, max 240', { minFaceSize: 60, maxFaceSize: 240 }],
  pnet07: ['min 60, P-Net 0.7', { minFaceSize: 60, thresholds: [0.7, 0.7, 0.7] }],
  min80: ['min 80', { minFaceSize: 80 }],
  // a coarser pyramid: fewer, smaller levels (P-Net's cost is the pixels it sees)
  factor06: ['min 60, factor 0.6', { minFaceSize: 60, factor: 0.6 }],
  factor05: ['min 60, factor 0.5', { minFaceSize: 60, factor: 0.5 }],
  // fewer windows of one face into R-Net and O-Net: merged across scales and after R-Net at a lower IoU
  merge05: ['min 60, factor 0.6, merge 0.5', { minFaceSize: 60, factor: 0.6, mergeOverlap: 0.5 }],
  merge04: ['min 60, factor 0.6, merge 0.4', { minFaceSize: 60, factor: 0.6, mergeOverlap: 0.4 }],
  merge03: ['min 60, factor 0.6, merge 0.3', { minFaceSize: 60, factor: 0.6, mergeOverlap: 0.3 }],
};
const VARIANTS = values.variants.split(',').map((v) => {
  const found = ALL_VARIANTS[v];
  if (!found) throw new Error(`--variants: unknown ${v} (known: ${Object.keys(ALL_VARIANTS).join(', ')})`);
  return found;
});
const [W, H] = values.size.split('x').map(Number);
const pack = await openPack(undefined, { precision: 'auto', intraOpThreads: 1 });
const dets = await Promise.all(VARIANTS.map(([, o]) => MtcnnDetector.create(pack, o)));
type Sample = { scales: number; cpu: number; pyramid: number; pnet: number; rnet: number; onet: number; rin: number; oin: number; faces: number; centred: boolean };
const samples: Sample[][] = VARIANTS.map(() => []);
for (let i = -2; i < images.length; i++) {
  const frame = await imageOnCanvas(images[Math.max(0, i)], W, H);
  for (const [k, det] of dets.entries()) {
    const c0 = process.cpuUsage();
    const faces = await det.detect(frame);
    const c = process.cpuUsage(c0);
    if (i < 0) continue;
    const s = det.lastStats!;
    const centred = faces.some((f) => f.box.x <= W / 2 && W / 2 <= f.box.x + f.box.w && f.box.y <= H / 2 && H / 2 <= f.box.y + f.box.h);
    samples[k].push({ scales: s.scales, cpu: (c.user + c.system) / 1000, pyramid: s.pyramidMs, pnet: s.pnetMs, rnet: s.rnetMs, onet: s.onetMs, rin: s.pnetBoxes, oin: s.rnetBoxes, faces: faces.length, centred });
  }
}
const med = (xs: number[]) => round(quantile([...xs].sort((a, b) => a - b), 0.5), 2);
const rows = VARIANTS.map(([name], k) => {
  const s = samples[k];
  return {
    variant: name, size: values.size, scales: med(s.map((x) => x.scales)), cpu_ms_p50: med(s.map((x) => x.cpu)), pyramid_ms: med(s.map((x) => x.pyramid)), pnet_ms: med(s.map((x) => x.pnet)),
    rnet_ms: med(s.map((x) => x.rnet)), onet_ms: med(s.map((x) => x.onet)), rnet_in: med(s.map((x) => x.rin)), onet_in: med(s.map((x) => x.oin)),
    centred_found: `${s.filter((x) => x.centred).length}/${s.length}`,
  };
});
if (values.json) console.log(JSON.stringify(rows));
else console.table(rows);
await Promise.all(dets.map((d) => d.release()));
