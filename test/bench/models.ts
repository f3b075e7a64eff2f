/**
 * Median ms per model in the pack, per ORT graph optimisation level, at batch 1 (and 8 for
 * batch-dynamic models), one intra-op thread. Run: `npx tsx test/bench/models.ts [--json]`.
 */
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { openSession } from '../../sdk/runtime/session.ts';
import { ModelPack } from '../../sdk/runtime/pack.ts';
import type { GraphOptLevel } from '../../sdk/runtime/model-types.ts';
import { PACK_DIR } from '../../models/paths.ts';
import { timeIt, round } from './stats.ts';

const levels: GraphOptLevel[] = ['basic', 'extended', 'all'];
const pack = await ModelPack.open(PACK_DIR);
const rows: Record<string, unknown>[] = [];

function concreteShape(shape: (number | string)[], batch: number, id: string): number[] {
  // Dynamic spatial dims (P-Net) are timed on a 640x480 frame: the pyramid's largest scale.
  return shape.map((d, i) => (typeof d === 'number' && d > 0 ? (i === 0 ? batch : d) : i === 0 ? batch : id === 'mtcnn-pnet' ? (i === 1 ? 640 : 480) : 1));
}

for (const entry of pack.manifest.models) {
  const batches = entry.dynamicInput?.includes('batch') && typeof entry.inputs[0]?.shape[0] !== 'number' ? [1, 8] : [1];
  for (const optLevel of levels) {
    const { session } = await openSession(join(PACK_DIR, entry.file), { optLevel });
    for (const batch of batches) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of entry.inputs) {
        const dims = concreteShape(input.shape, batch, entry.id);
        const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => Math.random() * 2 - 1);
        feeds[input.name] = new ort.Tensor('float32', data, dims);
      }
      const t = await timeIt(() => session.run(feeds), { warmup: 3, runs: entry.id === 'mtcnn-pnet' || batch > 1 ? 15 : 30 });
      rows.push({ model: entry.id, optLevel, batch, median_ms: round(t.median), p95_ms: round(t.p95), per_item_ms: round(t.median / batch) });
    }
    await session.release();
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
else console.table(rows);
