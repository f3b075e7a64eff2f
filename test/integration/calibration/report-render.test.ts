import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../../../calibration/report/html-report.ts';
import { lineChart } from '../../../calibration/report/svg-chart.ts';
import { rocCurve, openSetCurve } from '../../../sdk/metrics/index.ts';
import { seededRandom } from '../../../calibration/random.ts';
import { renderReport, chromiumSkip } from './render-report.ts';

function normals(n: number, mean: number, sd: number, rand: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

test('report renders in headless Chromium with every plot drawn, no network', { skip: chromiumSkip, timeout: 120_000 }, async () => {
  const rand = seededRandom(5);
  const genuine = normals(900, 0.85, 0.15, rand);
  const impostor = normals(2000, 1.38, 0.09, rand);
  // 12 identities x 6 images: cluster centres in 32-d plus noise, like embeddings of 12 people.
  const vectors: Float32Array[] = [];
  const identities: string[] = [];
  for (let p = 0; p < 12; p++) {
    const centre = normals(32, 0, 1, rand);
    for (let k = 0; k < 6; k++) {
      vectors.push(Float32Array.from(centre, (c) => c + 0.3 * normals(1, 0, 1, rand)[0]));
      identities.push(`person ${p}`);
    }
  }
  const openSet = openSetCurve({ mated: normals(300, 0.9, 0.15, rand), nonMated: normals(300, 1.3, 0.1, rand) });
  const dir = await mkdtemp(join(tmpdir(), 'fg-report-'));
  const path = await writeReport(dir, {
    title: 'synthetic', generatedAt: new Date(0).toISOString(),
    result: { accuracy: 0.99, accuracy_std: 0.01, accuracy_protocol: 'synthetic' },
    roc: rocCurve(genuine, impostor), genuine, impostor, thresholdEer: 1.15,
    threshold: { value: 1.1, label: 'threshold @ FAR 0.01' }, openSet, embedding: { vectors, identities },
  });
  const r = await renderReport(pathToFileURL(path).href);
  assert.deepEqual(r.charts.map((c) => c.kind), ['roc', 'det', 'histogram', 'open-set', 'embedding-map']);
  for (const c of r.charts) assert.ok(c.coloured > 300, `${c.kind}: only ${c.coloured} data pixels — blank plot?`);
  assert.deepEqual(r.externalRequests, []);
  assert.deepEqual(r.consoleErrors, []);
});

test('the blank-plot check does fail on a chart without data', { skip: chromiumSkip, timeout: 60_000 }, async () => {
  const svg = lineChart({ kind: 'empty', title: 'no data', x: { label: 'x', min: 0, max: 1 }, y: { label: 'y', min: 0, max: 1 }, series: [{ name: 'nothing', color: '#1f77b4', x: [], y: [] }] });
  const dir = await mkdtemp(join(tmpdir(), 'fg-report-'));
  await writeFile(join(dir, 'empty.html'), `<!doctype html><figure>${svg}</figure>`);
  const r = await renderReport(pathToFileURL(join(dir, 'empty.html')).href);
  assert.equal(r.charts.length, 1);
  assert.ok(r.charts[0].coloured < 20, `blank chart scored ${r.charts[0].coloured}`);
});
