/**
 * The calibration report: one self-contained HTML file (inline CSS and SVG, no script, no
 * network) with ROC, DET, distance histograms with the chosen threshold, FNIR vs FPIR for 1:N
 * when a gallery was evaluated, and a 2-D PCA map of the embeddings coloured by identity.
 */
import { mkdir, writeFile, rename, stat } from 'node:fs/promises';
import { FaceGateError } from '../../sdk/errors.ts';
import { join } from 'node:path';
import type { RocCurve, OpenSetRates } from '../../sdk/metrics/index.ts';
import { lineChart, histogramChart, scatterChart, escapeXml } from './svg-chart.ts';
import { pca2 } from './pca.ts';

export interface ReportInput {
  title: string;
  generatedAt: string;
  /** The JSON result printed by the command; shown as a table and embedded verbatim. */
  result: Record<string, unknown>;
  /** Verification curves; absent when there are no genuine pairs (one template per person). */
  roc?: RocCurve;
  genuine?: Float64Array;
  impostor?: Float64Array;
  thresholdEer?: number;
  threshold?: { value: number; label: string };
  openSet?: OpenSetRates[];
  embedding?: { vectors: Float32Array[]; identities: string[] };
}

/** At most `maxIds` identities with >= 2 images (largest first) keep the map readable. */
export function selectForMap(vectors: Float32Array[], identities: string[], maxIds = 20): { vectors: Float32Array[]; groups: number[]; names: string[] } {
  const count = new Map<string, number>();
  for (const id of identities) count.set(id, (count.get(id) ?? 0) + 1);
  const names = [...count.entries()].filter(([, c]) => c >= 2).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxIds).map(([n]) => n);
  const index = new Map(names.map((n, i) => [n, i]));
  const out: Float32Array[] = [];
  const groups: number[] = [];
  identities.forEach((id, i) => {
    const g = index.get(id);
    if (g !== undefined) { out.push(vectors[i]); groups.push(g); }
  });
  return { vectors: out, groups, names };
}

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

function summaryRows(r: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const add = (k: string, v: unknown) => { if (v !== undefined && v !== null) rows.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)]); };
  for (const k of ['model', 'detector', 'embedder', 'flip', 'pairs', 'genuine_pairs', 'impostor_pairs', 'images']) add(k, r[k]);
  if (typeof r.accuracy === 'number') add('accuracy', `${pct(r.accuracy)} ± ${pct(Number(r.accuracy_std))} (${r.accuracy_protocol})`);
  if (typeof r.accuracy_10fold === 'number') add('accuracy, 10 blocks', `${pct(r.accuracy_10fold)} ± ${pct(Number(r.accuracy_10fold_std))}`);
  for (const k of ['auc', 'eer', 'threshold_eer', 'd_prime', 'tar_at_far', 'far_floor', 'threshold', 'far_at_threshold', 'frr_at_threshold', 'far_ci', 'statement', 'fpir', 'fnir', 'no_face', 'ms']) add(k, r[k]);
  return rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('\n');
}

function verificationFigures(input: ReportInput, roc: RocCurve, genuine: Float64Array, impostor: Float64Array): string[] {
  const figures: string[] = [];
  const nImp = roc.impostorCount;
  const nGen = roc.genuineCount;
  const farMin = 1 / (2 * nImp);
  const markers = input.threshold
    ? (() => {
      const t = input.threshold.value;
      let fa = 0;
      for (const v of impostor) if (v <= t) fa++;
      let ga = 0;
      for (const v of genuine) if (v <= t) ga++;
      return [{ far: fa / nImp, tar: ga / nGen, label: input.threshold.label }];
    })()
    : [];
  // FAR 0 points cannot sit on a log axis: drawn at half the smallest FAR n pairs can resolve.
  let tarMin = 1;
  for (let k = 0; k < roc.far.length; k++) if (roc.far[k] >= 1 / nImp) tarMin = Math.min(tarMin, roc.tar[k]);
  const farPlot = Float64Array.from(roc.far, (v) => (v > 0 ? v : farMin));
  figures.push(lineChart({
    kind: 'roc',
    title: `ROC (${nGen} genuine / ${nImp} impostor pairs)`,
    x: { label: 'false accept rate (log)', min: farMin, max: 1, log: true },
    // Zoomed to the TARs at measurable FARs, with a little headroom so a perfect curve clears the frame.
    y: { label: 'true accept rate', min: Math.max(0, tarMin - 0.02), max: 1 + (1 - Math.max(0, tarMin - 0.02)) * 0.02 },
    series: [{ name: 'ROC', color: '#1f77b4', x: farPlot, y: roc.tar }],
    markers: markers.map((m) => ({ x: Math.max(m.far, farMin), y: m.tar, label: m.label, color: '#d62728' })),
  }));
  const frr = Float64Array.from(roc.tar, (v) => 1 - v);
  const frrMin = 1 / (2 * nGen);
  const keep = Array.from(roc.far.keys()).filter((k) => roc.far[k] > 0 && frr[k] > 0);
  figures.push(lineChart({
    kind: 'det',
    title: 'DET (log axes; zero-error points omitted)',
    x: { label: 'false accept rate', min: 1 / nImp / 1.5, max: 1, log: true },
    y: { label: 'false reject rate', min: frrMin, max: 1, log: true },
    series: [
      { name: 'DET', color: '#2ca02c', x: keep.map((k) => roc.far[k]), y: keep.map((k) => frr[k]) },
      { name: 'FAR = FRR', color: '#999', x: [1e-9, 1], y: [1e-9, 1], dashed: true },
    ],
    markers: markers.filter((m) => m.far > 0 && m.tar < 1).map((m) => ({ x: m.far, y: 1 - m.tar, label: m.label, color: '#d62728' })),
    note: keep.length ? undefined : 'no threshold has both FAR > 0 and FRR > 0: the pairs are perfectly separated',
  }));
  const vlines = input.thresholdEer === undefined ? [] : [{ x: input.thresholdEer, label: `EER threshold ${input.thresholdEer.toFixed(3)}`, color: '#555' }];
  if (input.threshold) vlines.push({ x: input.threshold.value, label: `${input.threshold.label} ${input.threshold.value.toFixed(3)}`, color: '#d62728' });
  figures.push(histogramChart({
    kind: 'histogram',
    title: 'Distances of genuine and impostor pairs',
    xLabel: 'Euclidean distance between embeddings',
    series: [{ name: 'genuine', color: '#2ca02c', values: genuine }, { name: 'impostor', color: '#ff7f0e', values: impostor }],
    vlines,
  }));
  return figures;
}

export function renderReportHtml(input: ReportInput): string {
  const figures: string[] = [];
  if (input.roc && input.genuine && input.impostor) figures.push(...verificationFigures(input, input.roc, input.genuine, input.impostor));
  if (input.openSet && input.openSet.length) {
    const pts = input.openSet.filter((p) => p.fpir > 0);
    const nM = input.openSet.length;
    figures.push(lineChart({
      kind: 'open-set',
      title: '1:N open set: FNIR vs FPIR',
      x: { label: 'false positive identification rate (log)', min: Math.min(...pts.map((p) => p.fpir), 0.01), max: 1, log: true },
      y: { label: 'false negative identification rate', min: 0, max: Math.max(0.05, ...pts.map((p) => p.fnir)) },
      series: [{ name: `FNIR (${nM} points)`, color: '#9467bd', x: pts.map((p) => p.fpir), y: pts.map((p) => p.fnir) }],
    }));
  }
  let mapNote = '';
  if (input.embedding) {
    const sel = selectForMap(input.embedding.vectors, input.embedding.identities);
    if (sel.vectors.length >= 3) {
      const p = pca2(sel.vectors);
      figures.push(scatterChart({
        kind: 'embedding-map',
        title: `Embeddings, PCA to 2-D (${sel.names.length} identities, ${sel.vectors.length} images)`,
        xLabel: `PC1 (${pct(p.explained[0])} of variance)`,
        yLabel: `PC2 (${pct(p.explained[1])} of variance)`,
        points: Array.from(p.x, (x, i) => ({ x, y: p.y[i], group: sel.groups[i] })),
        groups: sel.names,
      }));
    } else mapNote = '<p>Embedding map omitted: fewer than three images of identities with two or more images.</p>';
  }
  const json = JSON.stringify(input.result, null, 2);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(input.title)}</title>
<style>
body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #ddd; padding: 6px; background: #fff; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; font-size: 13px; }
th { background: #f4f4f4; }
.legend { max-width: 520px; font-size: 12px; }
.key { display: inline-block; margin-right: 8px; }
.key i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; }
pre { background: #f8f8f8; padding: 8px; overflow: auto; max-height: 400px; }
</style></head>
<body>
<h1>${escapeXml(input.title)}</h1>
<p>Generated ${escapeXml(input.generatedAt)}. A pair is accepted when the distance is at most the threshold.</p>
<table>${summaryRows(input.result)}</table>
<div class="grid">
${figures.map((f) => `<figure>${f}</figure>`).join('\n')}
</div>
${mapNote}
<h2>Result (JSON)</h2>
<pre>${escapeXml(json)}</pre>
</body></html>
`;
}

/** Writes <dir>/index.html (temp file + rename, so a reader never sees half a report). */
export async function writeReport(dir: string, input: ReportInput): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'index.html');
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, renderReportHtml(input));
  await rename(tmp, path);
  return path;
}

/** Before any work: the report path must be a folder or not exist yet (created only at the end). */
export async function preflightReportDir(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => null);
  if (s && !s.isDirectory()) throw new FaceGateError('FG_INPUT_INVALID', `--report ${dir} exists and is not a folder`);
}
