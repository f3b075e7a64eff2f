import { createPipeline } from '/work/main/sdk/pipeline/index.ts';
import { loadFrame } from '/work/main/sdk/image/index.ts';
import type { MtcnnDetector } from '/work/main/sdk/detect/mtcnn/mtcnn-detector.ts';
const img = process.argv[2];
for (const minFaceSize of [80, 60]) {
  const p = await createPipeline({ detector: 'mtcnn', minFaceSize });
  const frame = await loadFrame(img);
  const det = p.detector as MtcnnDetector;
  for (let i = 0; i < 5; i++) await p.detect({ ...frame, format: 'rgb' });
  const acc: Record<string, number> = {};
  const N = 30;
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    await p.detect({ ...frame, format: 'rgb' });
    for (const [k, v] of Object.entries(det.lastStats!)) acc[k] = (acc[k] ?? 0) + v / N;
  }
  const c = process.cpuUsage(c0);
  console.log(minFaceSize, JSON.stringify(Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, Math.round(v * 10) / 10]))), 'cpu/frame', ((c.user + c.system) / 1000 / N).toFixed(1));
  await p.release();
}
