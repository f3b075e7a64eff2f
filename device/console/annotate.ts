/** The live view overlay: an SVG of boxes and labels drawn over a frame (composited by sharp). */
import type { TappedFace } from '../loop/frame-loop.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface LabelledFace extends TappedFace { name: string | null }

export function faceLabel(f: LabelledFace): string {
  const who = f.identity ? (f.name ?? f.identity) : 'unknown';
  const parts = [who];
  if (f.distance !== null) parts.push(`d=${f.distance.toFixed(3)}`);
  if (f.liveness !== null) parts.push(`live=${f.liveness.toFixed(2)}`);
  return parts.join('  ');
}

export function overlaySvg(width: number, height: number, faces: readonly LabelledFace[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 240));
  const font = Math.max(11, Math.round(Math.min(width, height) / 32));
  const shapes = faces.map((f) => {
    const colour = f.identity ? '#22c55e' : '#f59e0b';
    const label = esc(faceLabel(f));
    const ty = f.box.y > font + 6 ? f.box.y - 6 : f.box.y + f.box.h + font + 2;
    const tw = Math.round(label.length * font * 0.6) + 8;
    const bx = Math.max(0, Math.min(width - tw, f.box.x));
    return `<rect x="${f.box.x.toFixed(1)}" y="${f.box.y.toFixed(1)}" width="${f.box.w.toFixed(1)}" height="${f.box.h.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`
      + `<rect x="${bx}" y="${ty - font}" width="${tw}" height="${font + 6}" fill="#0f172a" opacity="0.75"/>`
      + `<text x="${bx + 4}" y="${ty}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#fff">${label}</text>`
      + f.landmarks5.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${stroke}" fill="${colour}"/>`).join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
}
