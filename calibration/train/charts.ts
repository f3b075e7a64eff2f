/**
 * SVG pictures of a training run: curves per epoch (loss, validation accuracy) and a 2-D PCA map
 * of embeddings coloured by person, for before/after comparisons. Built on the calibration
 * report's chart helpers; the scatter draws its legend inside the SVG so the file stands alone
 * (Markdown viewers show an <img> of it, not HTML beside it).
 */
import { lineChart, PALETTE, escapeXml, type LineSeries } from '../report/svg-chart.ts';
import { linearScale } from '../report/scale.ts';
import { pca2 } from '../report/pca.ts';
import { rowsByLabel, type EmbeddingSet } from './dataset.ts';

export interface CurveSeries {
  name: string;
  epochs: number[];
  values: number[];
  dashed?: boolean;
}

export function curveChart(o: { title: string; yLabel: string; series: CurveSeries[]; kind: string; yMin?: number; yMax?: number }): string {
  let lo = Infinity;
  let hi = -Infinity;
  let last = 1;
  for (const s of o.series) {
    for (const v of s.values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (const e of s.epochs) last = Math.max(last, e);
  }
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const pad = (hi - lo) * 0.05;
  const series: LineSeries[] = o.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length], x: s.epochs, y: s.values, dashed: s.dashed }));
  return lineChart({
    title: o.title,
    kind: o.kind,
    x: { label: 'epoch', min: 0, max: last },
    y: { label: o.yLabel, min: o.yMin ?? lo - pad, max: o.yMax ?? hi + pad },
    series,
  });
}

/** Labels of the `count` people with the most rows (ties by label), for a readable map. */
export function topPeople(set: EmbeddingSet, count: number): number[] {
  return rowsByLabel(set.labels, set.identities.length)
    .map((r, l) => ({ l, n: r.length }))
    .sort((a, b) => b.n - a.n || a.l - b.l)
    .slice(0, count)
    .map((p) => p.l);
}

/**
 * PCA map (first two components of the given vectors) of the rows of `people`. `vectors` are rows
 * aligned with `set` (the raw embeddings or the head's outputs), `dim` long.
 */
export function pcaScatter(o: { title: string; set: EmbeddingSet; vectors: ArrayLike<number>; dim: number; people: number[]; kind: string }): string {
  const rows: number[] = [];
  const group: number[] = [];
  const byLabel = rowsByLabel(o.set.labels, o.set.identities.length);
  o.people.forEach((l, g) => { for (const r of byLabel[l]) { rows.push(r); group.push(g); } });
  const vecs = rows.map((r) => Array.from({ length: o.dim }, (_, j) => o.vectors[r * o.dim + j]));
  const p = pca2(vecs);
  const W = 520;
  const H = 440;
  const M = { left: 40, right: 150, top: 40, bottom: 36 };
  const sx = linearScale(Math.min(...p.x), Math.max(...p.x), M.left, W - M.right);
  const sy = linearScale(Math.min(...p.y), Math.max(...p.y), H - M.bottom, M.top);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" data-chart="${escapeXml(o.kind)}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(o.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${(W - M.right + M.left) / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#555"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">PC1 (${(p.explained[0] * 100).toFixed(1)}% of variance)</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">PC2 (${(p.explained[1] * 100).toFixed(1)}%)</text>`,
  ];
  rows.forEach((_, i) => {
    parts.push(`<circle cx="${sx(p.x[i]).toFixed(1)}" cy="${sy(p.y[i]).toFixed(1)}" r="3.5" fill="${PALETTE[group[i] % PALETTE.length]}" fill-opacity="0.8"/>`);
  });
  o.people.forEach((l, g) => {
    const y = M.top + 8 + g * 15;
    parts.push(`<rect x="${W - M.right + 10}" y="${y - 8}" width="9" height="9" fill="${PALETTE[g % PALETTE.length]}"/>`,
      `<text x="${W - M.right + 24}" y="${y}">${escapeXml(o.set.identities[l].replace(/_/g, ' ').slice(0, 20))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
