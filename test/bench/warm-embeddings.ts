/**
 * Fills the embedding cache of a labelled set for several embedder variants in one detection pass
 * (what `facegate calibrate --open-set` and the open-set benches read).
 *   node --import tsx test/bench/warm-embeddings.ts --labeled-csv <csv> --images <dir> [--variants mobilefacenet-192,mobilefacenet-192+flip,fr-feature-512,fr-feature-512+flip]
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { warmEmbeddingCaches, type TrainEmbedder } from '../../calibration/train/embedding-cache.ts';

const { values } = parseArgs({ options: { 'labeled-csv': { type: 'string' }, images: { type: 'string' }, variants: { type: 'string' }, detector: { type: 'string' } } });
const csv = values['labeled-csv'];
const images = values.images;
if (!csv || !images) throw new Error('--labeled-csv and --images are required');
const variants = (values.variants ?? 'mobilefacenet-192,mobilefacenet-192+flip,fr-feature-512,fr-feature-512+flip').split(',').map((s) => {
  const [embedder, flip] = s.split('+');
  return { embedder: embedder as TrainEmbedder, flip: flip === 'flip' };
});
const items = (await loadLabeledCsv(csv, images)).map((i) => ({ key: relative(images, i.path), path: i.path }));
const t0 = performance.now();
let last = 0;
const n = await warmEmbeddingCaches(items, {
  detector: (values.detector ?? 'mtcnn') as 'mtcnn' | 'rfb',
  variants,
  imagesDir: images,
  onProgress: (d, t) => {
    if (performance.now() - last > 10_000 || d === t) { last = performance.now(); process.stderr.write(`embedded ${d}/${t} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`); }
  },
});
console.log(JSON.stringify({ images: items.length, embedded: n, seconds: Math.round((performance.now() - t0) / 1000) }));
