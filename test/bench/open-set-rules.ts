/**
 * Decision rules beyond one global threshold, measured on the open-set protocol (fused embedder,
 * ~1,200 people, 2 photos enrolled): per-identity thresholds where the gallery is crowded, a
 * distance-ratio test against the second identity, and a veto by each fused part. Guarded against
 * tuning to the data: people are split in two halves by a hash of their name; the impostor tail
 * (hence the threshold) is fitted on half A's pairs only, rules are chosen on half A's probes and
 * reported on half B's (and on all).
 *   node --import tsx test/bench/open-set-rules.ts --labeled-csv <csv> --images <dir> [--same-person <csv>] [--gallery-size 1200] [--fpir 0.001]
 */
import { parseArgs } from 'node:util';
import { loadLabeledCsv } from '../../calibration/labeled.ts';
import { loadLabelFixes, applyLabelFixes } from '../../calibration/label-fixes.ts';
import { labeledRows } from '../../calibration/open-set-rows.ts';
import { buildOpenSetProtocol, ExactIdentitySearch, impostorDistances, meanEmbedding, nearestTwo, type LabeledRows } from '../../calibration/open-set-protocol.ts';
import { fitImpostorTail, thresholdForFpir } from '../../sdk/match/operating-point.ts';
import { crowdingStatistics, crowdedThreshold } from '../../calibration/crowding.ts';
import { FUSIONS } from '../../sdk/embed/fusion.ts';
import type { TrainEmbedder } from '../../calibration/train/embedding-cache.ts';

const { values } = parseArgs({ options: {
  'labeled-csv': { type: 'string' }, images: { type: 'string' }, 'same-person': { type: 'string' }, 'gallery-size': { type: 'string' },
  fpir: { type: 'string' }, embedder: { type: 'string' }, flip: { type: 'boolean' },
} });
const images = values.images!;
let items = await loadLabeledCsv(values['labeled-csv']!, images);
if (values['same-person']) items = applyLabelFixes(items, await loadLabelFixes(values['same-person'], values.images!));
const fpir = Number(values.fpir ?? 0.001);
const embedder = values.embedder ?? 'fusion-mfn192-fr512';
const f = FUSIONS[embedder];
const rows = await labeledRows(items, images, 'mtcnn', f ? { parts: f.parts as readonly TrainEmbedder[], weightA: f.weightA, flip: Boolean(values.flip) } : { parts: [embedder as TrainEmbedder], flip: Boolean(values.flip) });

/** Half of a person: FNV-1a of the name, low bit. */
function half(name: string): 'A' | 'B' {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 2 === 0 ? 'A' : 'B';
}
const tail = fitImpostorTail(impostorDistances(rows, (id) => half(id) === 'A'), `${embedder} half A`);
const p = buildOpenSetProtocol(rows, { gallerySize: Number(values['gallery-size'] ?? 1200), shots: 2, seed: 1 });
const search = new ExactIdentitySearch(rows, p);
const T = thresholdForFpir(tail, fpir, search.templates).threshold;
const row = (rs: LabeledRows, r: number) => rs.vectors.subarray(r * rs.dim, (r + 1) * rs.dim);

// Gallery templates, packed, for the crowding statistics (what a device computes from its gallery).
const owner: number[] = [];
const packed: number[] = [];
p.templates.forEach((ts, k) => ts.forEach((r) => { owner.push(k); packed.push(...row(rows, r)); }));
const t0 = performance.now();
const crowd = crowdingStatistics(Float32Array.from(packed), Int32Array.from(owner), rows.dim, 16);
console.error(`crowding statistics: ${search.identities} identities in ${((performance.now() - t0) / 1000).toFixed(1)} s; threshold ${T.toFixed(4)}`);

type Rule = { name: string; grant: (d: Float64Array, leftOut: number) => number };
const base = (d: Float64Array): number => { const n = nearestTwo(d); return n.d1 <= T ? n.nearest : -1; };
const rules: Rule[] = [{ name: 'global threshold', grant: base }];
for (const m of [1, 3, 8]) for (const beta of [0.25, 0.5, 1]) {
  rules.push({ name: `crowded m=${m} beta=${beta}`, grant: (d, leftOut) => {
    const n = nearestTwo(d);
    return n.nearest >= 0 && n.d1 <= crowdedThreshold(crowd, n.nearest, T, { neighbours: m, beta, leftOut }) ? n.nearest : -1;
  } });
}
for (const r of [0.95, 0.92, 0.9]) rules.push({ name: `ratio d1/d2<=${r}`, grant: (d) => { const n = nearestTwo(d); return n.d1 <= T && n.d1 <= r * n.d2 ? n.nearest : -1; } });

interface Tally { self: number; mated: number; misid: number; strangers: number; strangerOf: number; trackSelf: number; tracks: number; strangerTracks: number; strangerTrackOf: number }
const empty = (): Tally => ({ self: 0, mated: 0, misid: 0, strangers: 0, strangerOf: 0, trackSelf: 0, tracks: 0, strangerTracks: 0, strangerTrackOf: 0 });
const tallies = rules.map(() => ({ A: empty(), B: empty(), all: empty() }));
const add = (i: number, who: string, fn: (t: Tally) => void) => { fn(tallies[i][half(who)]); fn(tallies[i].all); };
const strangerHits: Record<string, string[]> = {};

for (const m of p.mated) {
  const d = search.distances(row(rows, m.row));
  const who = p.identities[m.truth];
  rules.forEach((r, i) => { const g = r.grant(d, -1); add(i, who, (t) => { t.mated++; if (g === m.truth) t.self++; else if (g >= 0) t.misid++; }); });
}
for (const s of p.strangers) {
  const d = search.distances(row(rows, s.row), s.leftOut);
  const who = s.leftOut >= 0 ? p.identities[s.leftOut] : rows.identity[s.row];
  rules.forEach((r, i) => {
    const g = r.grant(d, s.leftOut);
    if (g >= 0) (strangerHits[r.name] ??= []).push(`${rows.identity[s.row]}->${p.identities[g]}`);
    add(i, who, (t) => { t.strangerOf++; if (g >= 0) t.strangers++; });
  });
}
for (const t of p.matedTracks) {
  const d = search.distances(meanEmbedding(rows, t.rows));
  const who = p.identities[t.truth];
  rules.forEach((r, i) => { const g = r.grant(d, -1); add(i, who, (x) => { x.tracks++; if (g === t.truth) x.trackSelf++; }); });
}
for (const t of p.strangerTracks) {
  const d = search.distances(meanEmbedding(rows, t.rows), t.leftOut);
  const who = p.identities[t.leftOut];
  rules.forEach((r, i) => { const g = r.grant(d, t.leftOut); add(i, who, (x) => { x.strangerTrackOf++; if (g >= 0) x.strangerTracks++; }); });
}
const pct = (a: number, b: number) => `${(100 * a / Math.max(1, b)).toFixed(2)}%`;
const show = (t: Tally) => `self ${pct(t.self, t.mated)} (${t.self}/${t.mated}) misid ${t.misid} strangers ${t.strangers}/${t.strangerOf} tracks ${pct(t.trackSelf, t.tracks)} (${t.trackSelf}/${t.tracks}) stranger tracks ${t.strangerTracks}/${t.strangerTrackOf}`;
console.log(JSON.stringify({ embedder, flip: Boolean(values.flip), gallery: search.identities, templates: search.templates, threshold: Number(T.toFixed(4)), tail_pairs_half_A: tail.pairs }));
rules.forEach((r, i) => console.log(`${r.name.padEnd(28)} | A: ${show(tallies[i].A)}\n${''.padEnd(28)} | B: ${show(tallies[i].B)}\n${''.padEnd(28)} | all: ${show(tallies[i].all)}  ${(strangerHits[r.name] ?? []).join(' ')}`));
