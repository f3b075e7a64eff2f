/**
 * Open-set study on a labelled set (lfw-dev): for each embedder variant (single, flip, fusion
 * weights) the impostor tail, the threshold for the target FPIR at the protocol's gallery size,
 * and single-probe / track figures. Embeddings come from the cache (test/bench/warm-embeddings.ts).
 *   node --import tsx test/bench/open-set-study.ts --labeled-csv <csv> --images <dir> [--gallery-size 1200] [--fpir 0.001] [--variants ...]
 * variant syntax: mobilefacenet-192[+flip] | fuse:0.4[+flip] (weight on MobileFaceNet)
 */
import { parseArgs } from 'node:util';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { labeledRows, type RowsModel } from '../../calibration/open-set-rows.ts';
import { buildOpenSetProtocol, impostorDistances } from '../../calibration/open-set-protocol.ts';
import { evaluateOpenSet } from '../../calibration/open-set-evaluation.ts';
import { fitImpostorTail } from '../../sdk/match/operating-point.ts';
import type { TrainEmbedder } from '../../calibration/train/embedding-cache.ts';

const { values } = parseArgs({ options: {
  'labeled-csv': { type: 'string' }, images: { type: 'string' }, variants: { type: 'string' }, 'gallery-size': { type: 'string' },
  fpir: { type: 'string' }, margins: { type: 'string' }, shots: { type: 'string' },
} });
const images = values.images!;
const items = await loadLabeledCsv(values['labeled-csv']!, images);
const fpir = Number(values.fpir ?? 0.001);
const variants = (values.variants ?? 'mobilefacenet-192,mobilefacenet-192+flip,fr-feature-512,fr-feature-512+flip,fuse:0.5+flip').split(',');
const parse = (v: string): RowsModel => {
  const [name, flip] = v.split('+');
  if (name.startsWith('fuse:')) return { parts: ['mobilefacenet-192', 'fr-feature-512'], weightA: Number(name.slice(5)), flip: flip === 'flip' };
  return { parts: [name as TrainEmbedder], flip: flip === 'flip' };
};
const pct = (x: number) => (100 * x).toFixed(2);
for (const v of variants) {
  const rows = await labeledRows(items, images, 'mtcnn', parse(v));
  const t0 = performance.now();
  const tail = fitImpostorTail(impostorDistances(rows), v);
  const tailS = (performance.now() - t0) / 1000;
  for (const shots of (values.shots ?? '1,2').split(',').map(Number) as (1 | 2)[]) {
    const p = buildOpenSetProtocol(rows, { gallerySize: Number(values['gallery-size'] ?? 1200), shots, seed: 1 });
    for (const margin of (values.margins ?? '0,0.05').split(',').map(Number)) {
      const e = evaluateOpenSet(rows, p, tail, { fpir, margin, votes: 3, modelSizes: [1000, 10000, 50000] });
      const s = e.single;
      const tr = e.tracks.rules;
      console.log(JSON.stringify({ v, shots, margin, pairs: tail.pairs, tail_s: Math.round(tailS), gpd: tail.gpd, split: tail.table[0], gallery: e.gallery, t: e.threshold,
        single: { rank1: pct(s.rank1), self: pct(s.granted_as_self.rate), misid: pct(s.misidentified.rate), strangers: `${s.strangers_granted.count}/${s.strangers_granted.of}`, dir: s.dir_at_fpir },
        tracks: Object.fromEntries(Object.entries(tr).map(([k, r]) => [k, `${pct(r.granted_as_self.rate)} mis ${r.misidentified.count} str ${r.strangers_granted.count}/${r.strangers_granted.of}`])),
        modelled: e.modelled.map((m) => `${m.gallery_size}: t ${m.threshold.toFixed(3)} dir ${pct(m.dir)} mis ${pct(m.misidentified)}`) }));
    }
  }
}
