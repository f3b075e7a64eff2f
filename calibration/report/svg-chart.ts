/**
 * Small self-contained SVG charts for the calibration report: line charts (linear or log axes),
 * overlaid histograms with threshold markers, and scatter maps. Output is plain SVG text, so the
 * report needs no script and no network to render.
 */
import { linearScale, logScale, thinPolyline, type Scale } from './scale.ts';

export const PALETTE = [
  '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#393b79',
  '#ad494a', '#637939', '#e6550d', '#3182bd', '#31a354', '#756bb1', '#843c39', '#7b4173', '#e7ba52', '#6baed6',
];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface AxisSpec {
  label: string;
  min: number;
  max: number;
  log?: boolean;
}

export interface LineSeries {
  name: string;
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
}

export interface Marker {
  x: number;
  y: number;
  label: string;
  color: string;
}

/** Plot margins; the legend sits in the top margin, so the plot rectangle holds only data and grid. */
export const CHART = { width: 520, height: 400, left: 62, right: 16, top: 62, bottom: 48 };
const M = CHART;
const W = CHART.width;
const H = CHART.height;

interface Frame {
  sx: Scale;
  sy: Scale;
  parts: string[];
}

function frame(title: string, x: AxisSpec, y: AxisSpec, kind: string): Frame {
  const sx = x.log ? logScale(x.min, x.max, M.left, W - M.right) : linearScale(x.min, x.max, M.left, W - M.right);
  const sy = y.log ? logScale(y.min, y.max, H - M.bottom, M.top) : linearScale(y.min, y.max, H - M.bottom, M.top);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" data-chart="${escapeXml(kind)}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const t of sx.ticks) {
    const px = sx(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${M.top}" y2="${H - M.bottom}" stroke="#e4e4e4"/>`,
      `<text x="${px}" y="${H - M.bottom + 14}" text-anchor="middle" fill="#333">${escapeXml(sx.format(t))}</text>`);
  }
  for (const t of sy.ticks) {
    const py = sy(t).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="#e4e4e4"/>`,
      `<text x="${M.left - 5}" y="${(Number(py) + 4).toFixed(1)}" text-anchor="end" fill="#333">${escapeXml(sy.format(t))}</text>`);
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#555"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(x.label)}</text>`,
    `<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(y.label)}</text>`,
  );
  return { sx, sy, parts };
}

/** Legend items flow left to right in up to two rows between the title and the plot. */
function legend(items: { name: string; color: string }[], parts: string[]): void {
  let x = M.left;
  let y = 34;
  for (const it of items) {
    const w = 18 + it.name.length * 6.2;
    if (x + w > W - M.right && x > M.left) { x = M.left; y += 15; }
    parts.push(`<rect x="${x.toFixed(1)}" y="${y - 9}" width="10" height="10" fill="${it.color}"/>`,
      `<text x="${(x + 14).toFixed(1)}" y="${y}">${escapeXml(it.name)}</text>`);
    x += w + 10;
  }
}

export function lineChart(o: { title: string; x: AxisSpec; y: AxisSpec; series: LineSeries[]; markers?: Marker[]; kind: string; note?: string }): string {
  const f = frame(o.title, o.x, o.y, o.kind);
  if (o.note) f.parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" fill="#333">${escapeXml(o.note)}</text>`);
  const clip = `clip-${o.kind.replace(/[^a-z0-9]/gi, '')}`;
  f.parts.push(`<clipPath id="${clip}"><rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}"/></clipPath>`);
  for (const s of o.series) {
    const pts = thinPolyline(s.x, s.y, f.sx, f.sy);
    f.parts.push(`<polyline clip-path="url(#${clip})" points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
  }
  for (const m of o.markers ?? []) {
    const x = f.sx(m.x).toFixed(1);
    const y = f.sy(m.y).toFixed(1);
    f.parts.push(`<circle cx="${x}" cy="${y}" r="4.5" fill="${m.color}" stroke="#000"/>`,
      `<text x="${Number(x) + 7}" y="${Number(y) - 6}" fill="${m.color}">${escapeXml(m.label)}</text>`);
  }
  legend([...o.series, ...(o.markers ?? []).map((m) => ({ name: m.label, color: m.color }))], f.parts);
  f.parts.push('</svg>');
  return f.parts.join('\n');
}

export interface HistogramSeries {
  name: string;
  color: string;
  values: ArrayLike<number>;
}

/** Overlaid density histograms on shared bins, with vertical threshold lines. */
export function histogramChart(o: { title: string; xLabel: string; series: HistogramSeries[]; bins?: number; vlines?: { x: number; label: string; color: string }[]; kind: string }): string {
  let min = Infinity;
  let max = -Infinity;
  for (const s of o.series) for (let i = 0; i < s.values.length; i++) {
    if (s.values[i] < min) min = s.values[i];
    if (s.values[i] > max) max = s.values[i];
  }
  for (const v of o.vlines ?? []) { min = Math.min(min, v.x); max = Math.max(max, v.x); }
  if (!(max > min)) { min -= 0.5; max += 0.5; }
  const bins = o.bins ?? 40;
  const width = (max - min) / bins;
  const dens = o.series.map((s) => {
    const c = new Float64Array(bins);
    for (let i = 0; i < s.values.length; i++) c[Math.min(bins - 1, Math.floor((s.values[i] - min) / width))]++;
    for (let b = 0; b < bins; b++) c[b] /= s.values.length * width;
    return c;
  });
  let top = 0;
  for (const d of dens) for (const v of d) top = Math.max(top, v);
  const f = frame(o.title, { label: o.xLabel, min, max }, { label: 'density', min: 0, max: top * 1.08 || 1 }, o.kind);
  o.series.forEach((s, k) => {
    for (let b = 0; b < bins; b++) {
      if (dens[k][b] === 0) continue;
      const x0 = f.sx(min + b * width);
      const x1 = f.sx(min + (b + 1) * width);
      const y = f.sy(dens[k][b]);
      f.parts.push(`<rect x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0.5, x1 - x0).toFixed(1)}" height="${(f.sy(0) - y).toFixed(1)}" fill="${s.color}" fill-opacity="0.5" stroke="${s.color}" stroke-width="0.5"/>`);
    }
  });
  for (const v of o.vlines ?? []) {
    const x = f.sx(v.x).toFixed(1);
    f.parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="${v.color}" stroke-width="2" stroke-dasharray="6 3"/>`);
  }
  legend([...o.series, ...(o.vlines ?? []).map((v) => ({ name: v.label, color: v.color }))], f.parts);
  f.parts.push('</svg>');
  return f.parts.join('\n');
}

export interface ScatterPoint {
  x: number;
  y: number;
  group: number;
}

export function scatterChart(o: { title: string; xLabel: string; yLabel: string; points: ScatterPoint[]; groups: string[]; kind: string }): string {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of o.points) { x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y); }
  const padX = (x1 - x0) * 0.05 || 1;
  const padY = (y1 - y0) * 0.05 || 1;
  const f = frame(o.title, { label: o.xLabel, min: x0 - padX, max: x1 + padX }, { label: o.yLabel, min: y0 - padY, max: y1 + padY }, o.kind);
  for (const p of o.points) {
    f.parts.push(`<circle cx="${f.sx(p.x).toFixed(1)}" cy="${f.sy(p.y).toFixed(1)}" r="3.5" fill="${PALETTE[p.group % PALETTE.length]}" fill-opacity="0.85"/>`);
  }
  f.parts.push('</svg>');
  const legendHtml = o.groups.map((g, i) => `<span class="key"><i style="background:${PALETTE[i % PALETTE.length]}"></i>${escapeXml(g)}</span>`).join(' ');
  return f.parts.join('\n') + `\n<div class="legend">${legendHtml}</div>`;
}
