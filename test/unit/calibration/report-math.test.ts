import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca2 } from '../../../calibration/report/pca.ts';
import { niceTicks, logScale, linearScale, thinPolyline } from '../../../calibration/report/scale.ts';
import { selectForMap, renderReportHtml } from '../../../calibration/report/html-report.ts';
import { identitiesFromPairs } from '../../../calibration/identity-groups.ts';
import { rocCurve } from '../../../sdk/metrics/index.ts';
import { createProgress } from '../../../calibration/progress.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('PCA of points on a line plus an orthogonal pair', () => {
  const v: number[][] = [-2, -1, 0, 1, 2].map((t) => [t, 2 * t, 0]);
  v.push([0, 0, 1], [0, 0, -1]);
  const p = pca2(v);
  close(p.explained[0], 50 / 52, 1e-9);
  close(p.explained[1], 2 / 52, 1e-9);
  close(p.components[0][0], 1 / Math.sqrt(5), 1e-9);
  close(p.components[0][1], 2 / Math.sqrt(5), 1e-9);
  close(Math.abs(p.components[1][2]), 1, 1e-9);
  close(p.x[4], 2 * Math.sqrt(5), 1e-9);
  close(Math.abs(p.y[5]), 1, 1e-9);
  assert.throws(() => pca2([[1, 2]]), /at least two/);
});

test('axis ticks and scales', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.37, 1.42), [0.4, 0.6, 0.8, 1, 1.2, 1.4]);
  const l = logScale(1e-3, 1, 0, 300);
  assert.deepEqual(l.ticks, [1e-3, 1e-2, 0.1, 1]);
  close(l(1e-2), 100);
  close(l(0), 0); // zero clamps to the axis minimum
  assert.equal(l.format(1e-3), '1e-3');
  const s = linearScale(0, 10, 100, 0);
  close(s(2.5), 75);
  // Points closer than half a pixel are merged; the last point always stays.
  assert.equal(thinPolyline([0, 0.01, 0.06, 10], [0, 0, 0, 10], (x) => x * 10, (y) => y), '0.0,0.0 0.6,0.0 100.0,10.0');
});

test('identities from genuine pairs (union-find)', () => {
  const ids = identitiesFromPairs([
    { a: 'a1', b: 'a2', same: true, fold: 0 },
    { a: 'a2', b: 'a3', same: true, fold: 0 },
    { a: 'a1', b: 'b1', same: false, fold: 0 },
    { a: 'c1', b: 'c2', same: true, fold: 0 },
  ]);
  assert.equal(ids.get('a1'), ids.get('a3'));
  assert.notEqual(ids.get('a1'), ids.get('b1'));
  assert.notEqual(ids.get('a1'), ids.get('c1'));
  assert.equal(new Set(ids.values()).size, 3);
});

test('embedding map keeps the largest identities with 2+ images', () => {
  const v = (x: number) => new Float32Array([x, 0]);
  const sel = selectForMap([v(1), v(2), v(3), v(4), v(5), v(6)], ['a', 'b', 'b', 'c', 'c', 'c'], 2);
  assert.deepEqual(sel.names, ['c', 'b']);
  assert.deepEqual(sel.groups, [1, 1, 0, 0, 0]);
});

test('report HTML: self-contained, one svg per plot, escapes text', () => {
  const html = renderReportHtml({
    title: 'test <report>',
    generatedAt: '2020-01-01T00:00:00Z',
    result: { model: 'm&m', accuracy: 0.9, accuracy_std: 0.01, accuracy_protocol: 'x' },
    roc: rocCurve([0.1, 0.2, 0.5], [0.3, 0.6, 0.9]),
    genuine: Float64Array.from([0.1, 0.2, 0.5]),
    impostor: Float64Array.from([0.3, 0.6, 0.9]),
    thresholdEer: 0.4,
    threshold: { value: 0.35, label: 'chosen' },
    openSet: [{ threshold: 0.3, fpir: 0.1, fnir: 0.2, dir: 0.8 }, { threshold: 0.5, fpir: 0.5, fnir: 0.05, dir: 0.95 }],
    embedding: { vectors: [new Float32Array([0, 1]), new Float32Array([0, 1.1]), new Float32Array([1, 0]), new Float32Array([1.1, 0])], identities: ['p', 'p', 'q', 'q'] },
  });
  assert.match(html, /<title>test &lt;report&gt;<\/title>/);
  assert.match(html, /m&amp;m/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
  for (const kind of ['roc', 'det', 'histogram', 'open-set', 'embedding-map']) assert.match(html, new RegExp(`data-chart="${kind}"`));
});

test('progress without a terminal prints counter lines', () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WriteStream;
  const p = createProgress(120, 'embedding', { stream, every: 50 });
  for (let i = 0; i < 120; i++) p.tick();
  p.done();
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^embedding 50\/120 \(41%\)/);
  assert.match(lines[2], /^embedding 120\/120 \(100%\)/);
});
