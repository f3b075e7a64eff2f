/**
 * LFW 1:1 10-fold accuracy of the fused embedder with each part at its own precision (from the
 * embedding cache of the labelled set the pairs come from): which part loses accuracy in int8.
 *   node --import tsx test/bench/fusion-precision.ts --labeled-csv <identities.csv> --pairs <pairs.csv> --images <dir>
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { embedLabeledImages, type TrainEmbedder } from '../../calibration/train/embedding-cache.ts';
import { readCsvRows } from '../../calibration/csv-rows.ts';
import { fuseEmbeddings, FUSIONS } from '../../sdk/embed/fusion.ts';
import { blockFolds, kFoldAccuracy } from '../../sdk/metrics/kfold.ts';

const { values } = parseArgs({ options: { 'labeled-csv': { type: 'string' }, pairs: { type: 'string' }, images: { type: 'string' } } });
const images = values.images!;
const items = (await loadLabeledCsv(values['labeled-csv']!, images)).map((i) => ({ key: relative(images, i.path), path: i.path }));
const at = new Map(items.map((it, i) => [it.key, i]));
const pairs: { a: number; b: number; same: number }[] = [];
for await (const { values: v } of readCsvRows(values.pairs!, { required: ['image_a', 'image_b', 'same'], describe: 'fold,image_a,image_b,same' })) {
  const a = at.get(v.image_a);
  const b = at.get(v.image_b);
  if (a === undefined || b === undefined) throw new Error(`pair image not in the labelled set: ${v.image_a} / ${v.image_b}`);
  pairs.push({ a, b, same: Number(v.same) });
}
const spec = FUSIONS['fusion-mfn192-fr512'];
type P = 'fp32' | 'int8';
const rowsOf = async (e: string, precision: P) => embedLabeledImages(items, { detector: 'mtcnn', embedder: e as TrainEmbedder, imagesDir: images, precision });
const same = Int8Array.from(pairs.map((p) => p.same));
const folds = blockFolds(same, 10);
for (const [pa, pb] of [['fp32', 'fp32'], ['int8', 'int8'], ['int8', 'fp32'], ['fp32', 'int8']] as [P, P][]) {
  const A = await rowsOf(spec.parts[0], pa);
  const B = await rowsOf(spec.parts[1], pb);
  const da = A.index.dim;
  const db = B.index.dim;
  const fused = (i: number) => fuseEmbeddings(A.vectors.subarray(i * da, (i + 1) * da), B.vectors.subarray(i * db, (i + 1) * db), spec.weightA);
  const dist = Float64Array.from(pairs.map((p) => {
    const x = fused(p.a);
    const y = fused(p.b);
    let s = 0;
    for (let j = 0; j < x.length; j++) s += (x[j] - y[j]) ** 2;
    return Math.sqrt(s);
  }));
  const k = kFoldAccuracy(dist, same, folds);
  console.log(JSON.stringify({ [spec.parts[0]]: pa, [spec.parts[1]]: pb, pairs: pairs.length, ten_fold: Number((100 * k.mean).toFixed(2)), std: Number((100 * k.std).toFixed(2)) }));
}
