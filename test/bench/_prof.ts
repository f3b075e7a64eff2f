import { join } from 'node:path';
import { createPipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { imageOnCanvas } from './peers/canvas.ts';
import { FACEGATE_PROFILES } from './peers/facegate-profiles.ts';
import { loadPairsCsv, evenSubset } from '../../calibration/pairs.ts';
import { DATA_DIR } from '../helpers/pack.ts';
import type { MtcnnDetector } from '../../sdk/detect/mtcnn/mtcnn-detector.ts';
const [w, h] = (process.argv[2] ?? '1280x720').split('x').map(Number);
const p = await createPipeline(FACEGATE_PROFILES.fused.config);
const LFW = join(DATA_DIR, 'lfw-dev');
const { pairs } = await loadPairsCsv(join(LFW, 'pairs.csv'), join(LFW, 'images'));
const imgs = evenSubset(pairs, 60).map((x) => x.a);
const rows: number[][] = [];
for (const [i, path] of imgs.entries()) {
  const f = await imageOnCanvas(path, w, h);
  const c0 = process.cpuUsage();
  const faces = await p.detector.detect(f);
  const c1 = process.cpuUsage(c0);
  const st = (p.detector as unknown as MtcnnDetector).lastStats!;
  const c2 = process.cpuUsage();
  if (faces.length) await p.embedFaces(f, faces);
  const c3 = process.cpuUsage(c2);
  if (i >= 3) rows.push([(c1.user + c1.system) / 1000, st.pyramidMs, st.pnetMs - st.pyramidMs, st.rnetMs, st.onetMs, (c3.user + c3.system) / 1000, faces.length]);
}
const med = (k: number) => { const s = rows.map((r) => r[k]).sort((a, b) => a - b); return +s[s.length >> 1].toFixed(2); };
console.log(JSON.stringify({ size: `${w}x${h}`, detect_cpu: med(0), pyramid: med(1), pnet: med(2), rnet: med(3), onet: med(4), embed_cpu: med(5), faces: rows.reduce((a, r) => a + r[6], 0) / rows.length }));
await p.release();
