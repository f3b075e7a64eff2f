/**
 * Where a FaceGate door profile spends its CPU per image, stage by stage: lfw-dev images on a
 * mid-grey canvas (as the peer bench places them), one thread. Per image: the full MTCNN pass
 * (pyramid, P-Net, R-Net, O-Net from `lastStats`), the embedding of every face found, and the
 * track pass (`detectAround` from the box the full pass found, 10 calls). Medians over the images
 * after 3 warm-up images.
 * Run: `node --import tsx test/bench/canvas-stages.ts [--size 1280x720] [--images 60] [--profile fused] [--json]`
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evenSubset, loadPairsCsv } from '../../calibration/pairs.ts';
import type { MtcnnDetector } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
import { createPipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import { imageOnCanvas } from './peers/canvas.ts';
import { FACEGATE_PROFILES } from './peers/facegate-profiles.ts';
import { quantile, round } from './stats.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1280x720' }, images: { type: 'string', default: '60' }, profile: { type: 'string', default: 'fused' }, json: { type: 'boolean' } } });
const [w, h] = values.size.split('x').map(Number);
const nImages = Number(values.images);
const profile = values.profile as keyof typeof FACEGATE_PROFILES;
if (!(w > 0 && h > 0) || !(nImages > 0) || !FACEGATE_PROFILES[profile] || FACEGATE_PROFILES[profile].config.detector !== 'mtcnn') {
  console.error(`bad arguments: --size WxH, --images N > 0, --profile one of the MTCNN profiles (${Object.keys(FACEGATE_PROFILES).filter((k) => k !== 'rfb').join(', ')})`);
  process.exit(2);
}
const LFW = join(DATA_DIR, 'lfw-dev');
if (!existsSync(join(LFW, 'pairs.csv'))) {
  console.error(`needs ${LFW} (pairs.csv and images/): see the data README`);
  process.exit(1);
}

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const pipeline = await createPipeline(FACEGATE_PROFILES[profile].config);
const detector = pipeline.detector as unknown as MtcnnDetector;
const { pairs } = await loadPairsCsv(join(LFW, 'pairs.csv'), join(LFW, 'images'));
const images = evenSubset(pairs, nImages + 3).map((p) => p.a);
const cols: Record<'detect' | 'pyramid' | 'pnet' | 'rnet' | 'onet' | 'embed' | 'around', number[]> = { detect: [], pyramid: [], pnet: [], rnet: [], onet: [], embed: [], around: [] };
let faces = 0;
for (const [i, path] of images.entries()) {
  const frame = await imageOnCanvas(path, w, h);
  let c = process.cpuUsage();
  const found = await detector.detect(frame);
  const detect = cpuMs(process.cpuUsage(c));
  const st = detector.lastStats!;
  c = process.cpuUsage();
  if (found.length) await pipeline.embedFaces(frame, found);
  const embed = cpuMs(process.cpuUsage(c));
  const around: number[] = [];
  for (let r = 0; found.length && r < 10; r++) {
    c = process.cpuUsage();
    await detector.detectAround(frame, [found[0].box]);
    around.push(cpuMs(process.cpuUsage(c)));
  }
  if (i < 3) continue; // warm-up
  faces += found.length;
  cols.detect.push(detect); cols.pyramid.push(st.pyramidMs); cols.pnet.push(st.pnetMs - st.pyramidMs);
  cols.rnet.push(st.rnetMs); cols.onet.push(st.onetMs); cols.embed.push(embed); cols.around.push(...around);
}
await pipeline.release();
const med = (v: number[]) => round(quantile([...v].sort((a, b) => a - b), 0.5), 2);
const out = {
  profile, size: values.size, images: nImages, faces_per_image: round(faces / nImages, 2),
  cpu_ms_p50: { full_pass: med(cols.detect), pyramid: med(cols.pyramid), pnet: med(cols.pnet), rnet: med(cols.rnet), onet: med(cols.onet), embed_all_faces: med(cols.embed), track_pass: med(cols.around) },
};
console.log(values.json ? JSON.stringify(out) : out);
