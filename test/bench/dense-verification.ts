/**
 * Dense 1:1 figures from the embedding cache: every genuine pair and every impostor pair of a
 * labelled set (lfw-dev: ~7M impostor pairs), TAR at FAR 1e-3 / 1e-4 / 1e-5.
 *   node --import tsx test/bench/dense-verification.ts --labeled-csv <csv> --images <dir> [--same-person <csv>] [--variants fusion-mfn192-fr512,...] [--precision fp32|int8]
 * (embeds what the cache lacks, e.g. the int8 builds on a first run)
 */
import { parseArgs } from 'node:util';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { loadLabelFixes, applyLabelFixes } from '../../calibration/label-fixes.ts';
import { labeledRows, type RowsModel } from '../../calibration/open-set-rows.ts';
import { impostorDistances } from '../../calibration/open-set-protocol.ts';
import { FUSIONS } from '../../sdk/embed/fusion.ts';
import type { TrainEmbedder } from '../../calibration/train/embedding-cache.ts';

const { values } = parseArgs({ options: { 'labeled-csv': { type: 'string' }, images: { type: 'string' }, 'same-person': { type: 'string' }, variants: { type: 'string' }, precision: { type: 'string' } } });
const precision = (values.precision ?? 'fp32') as 'fp32' | 'int8';
const images = values.images!;
let items = await loadLabeledCsv(values['labeled-csv']!, images);
if (values['same-person']) items = applyLabelFixes(items, await loadLabelFixes(values['same-person'], values.images!));
for (const v of (values.variants ?? 'fusion-mfn192-fr512,mobilefacenet-192,fr-feature-512+flip').split(',')) {
  const [id, flipTag] = v.split('+');
  const f = FUSIONS[id];
  const m: RowsModel = f ? { parts: f.parts as readonly TrainEmbedder[], weightA: f.weightA, flip: flipTag === 'flip', precision } : { parts: [id as TrainEmbedder], flip: flipTag === 'flip', precision };
  const rows = await labeledRows(items, images, 'mtcnn', m);
  const imp = impostorDistances(rows).sort();
  const gen: number[] = [];
  const byId = new Map<string, number[]>();
  rows.identity.forEach((p, i) => { if (rows.ok[i]) byId.set(p, [...(byId.get(p) ?? []), i]); });
  for (const list of byId.values()) for (let a = 0; a < list.length; a++) for (let b = a + 1; b < list.length; b++) {
    let dot = 0;
    for (let j = 0; j < rows.dim; j++) dot += rows.vectors[list[a] * rows.dim + j] * rows.vectors[list[b] * rows.dim + j];
    gen.push(Math.sqrt(Math.max(0, 2 - 2 * dot)));
  }
  const tar = (far: number) => { const t = imp[Math.floor(far * imp.length)]; return { far, threshold: Number(t.toFixed(4)), tar: Number((gen.filter((g) => g < t).length / gen.length).toFixed(5)) }; };
  console.log(JSON.stringify({ variant: v, precision, genuine_pairs: gen.length, impostor_pairs: imp.length, at: [1e-3, 1e-4, 1e-5].map(tar) }));
}
