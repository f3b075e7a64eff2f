/** Axis scales and tick choice for the report's SVG charts (pure). */

export interface Scale {
  (v: number): number;
  ticks: number[];
  format: (v: number) => string;
}

/** "Nice" linear ticks (1, 2, 5 x 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The 1-2-5 step closest to the raw step (in ratio), so roughly `count` ticks appear.
  let step = mag;
  for (const m of [2, 5, 10]) if (Math.abs(Math.log(m * mag / raw)) < Math.abs(Math.log(step / raw))) step = m * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function linearScale(min: number, max: number, pxFrom: number, pxTo: number): Scale {
  const span = max - min || 1;
  const s = ((v: number) => pxFrom + ((v - min) / span) * (pxTo - pxFrom)) as Scale;
  s.ticks = niceTicks(min, max);
  const step = s.ticks.length > 1 ? s.ticks[1] - s.ticks[0] : 1;
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  s.format = (v) => v.toFixed(Math.min(digits, 6));
  return s;
}

/** Log10 scale; values <= 0 are clamped to `min` (callers drop them when they mean "zero"). */
export function logScale(min: number, max: number, pxFrom: number, pxTo: number): Scale {
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  const span = hi - lo || 1;
  const s = ((v: number) => pxFrom + ((Math.log10(Math.max(v, min)) - lo) / span) * (pxTo - pxFrom)) as Scale;
  s.ticks = [];
  for (let e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9); e++) s.ticks.push(10 ** e);
  s.format = (v) => {
    const e = Math.round(Math.log10(v));
    return e >= -2 && e <= 0 ? String(10 ** e) : `1e${e}`;
  };
  return s;
}

/** Polyline points in px with consecutive points closer than half a pixel merged (bounds SVG size). */
export function thinPolyline(xs: ArrayLike<number>, ys: ArrayLike<number>, sx: (v: number) => number, sy: (v: number) => number): string {
  const parts: string[] = [];
  let px = NaN;
  let py = NaN;
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const x = sx(xs[i]);
    const y = sy(ys[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (i !== n - 1 && Math.abs(x - px) < 0.5 && Math.abs(y - py) < 0.5) continue;
    parts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    px = x;
    py = y;
  }
  return parts.join(' ');
}
