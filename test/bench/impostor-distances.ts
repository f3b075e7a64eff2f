/**
 * Impostor distance quantiles per embedder on lfw-dev: the figures behind
 * sdk/match/impostor-floor.ts (the `run --check` threshold sanity bound). Evenly spaced images of
 * identities.csv are embedded once; every pair of images of different people is an impostor pair.
 *
 *   nice node --import tsx test/bench/impostor-distances.ts [--images 500] [--embedder id] [--lfw /work/shared/data/lfw-dev/]
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { evenSubset } from '../../calibration/pairs.ts';
import { createAnalyzer, type EmbedderName } from '../../calibration/analyzer.ts';
import { embedImages } from '../../calibration/embed-images.ts';
import { quantile, round } from './stats.ts';

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : undefined; };
const LFW = arg('lfw') ?? fileURLToPath(new URL('../../../shared/data/lfw-dev/', import.meta.url));

if (!existsSync(`${LFW}identities.csv`)) {
  console.error(`skipped: lfw-dev not found at ${LFW}`);
  process.exit(0);
}
const n = Number(arg('images') ?? 500);
const embedders: EmbedderName[] = arg('embedder') ? [arg('embedder') as EmbedderName] : ['mobilefacenet-192', 'fr-feature-512'];
const items = evenSubset(await loadLabeledCsv(`${LFW}identities.csv`, `${LFW}images`), n);
for (const embedder of embedders) {
  const analyzer = await createAnalyzer({ detector: 'mtcnn', embedder, flip: false });
  const { embeddings } = await embedImages(items.map((i) => i.path), analyzer);
  await analyzer.release();
  const d: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const a = embeddings.get(items[i].path);
    if (!a) continue;
    for (let j = i + 1; j < items.length; j++) {
      const b = embeddings.get(items[j].path);
      if (!b || items[i].identity === items[j].identity) continue;
      let s = 0;
      for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
      d.push(Math.sqrt(s));
    }
  }
  d.sort((x, y) => x - y);
  const q = (p: number) => round(quantile(d, p), 3);
  console.log(JSON.stringify({ embedder, detector: 'mtcnn', images: items.length, impostorPairs: d.length, min: q(0), p001: q(0.001), p01: q(0.01), p05: q(0.05), p50: q(0.5) }));
}
