import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  perComparisonRate, fpirFromRate, fitGpdPwm, fitImpostorTail, impostorRateAt, impostorQuantile, thresholdForFpir, impliedFpir,
} from '../../../sdk/match/operating-point.ts';

const close = (a: number, b: number, rel: number, what: string) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('per-comparison rate: 1 - (1 - p)^N = fpir, exact for tiny p', () => {
  // 1 - 0.999^(1/1000), computed in double precision with log1p/expm1
  close(perComparisonRate(0.001, 1000), 1.0004998330832417e-6, 1e-12, 'N=1000');
  close(perComparisonRate(0.001, 50000), 2.001000647147049e-8, 1e-12, 'N=50000');
  assert.equal(perComparisonRate(0.01, 1), 0.01 + 0 * 1, 'one template: p = fpir');
  close(fpirFromRate(perComparisonRate(1e-3, 1234), 1234), 1e-3, 1e-12, 'round trip');
  close(fpirFromRate(1e-6, 1000), 1 - (1 - 1e-6) ** 1000, 1e-9, 'forward');
  assert.throws(() => perComparisonRate(0, 10), /fpir must be in \(0, 1\)/);
  assert.throws(() => perComparisonRate(0.1, 0), /gallery size/);
});

test('GPD by probability-weighted moments recovers exponential and bounded tails', () => {
  const n = 20000;
  // exact quantiles of an exponential with scale 0.05 (GPD xi = 0)
  const expo = Array.from({ length: n }, (_, i) => -0.05 * Math.log(1 - (i + 0.5) / n));
  const e = fitGpdPwm(expo);
  assert.ok(Math.abs(e.xi) < 0.01, `xi ${e.xi}`);
  close(e.sigma, 0.05, 0.01, 'sigma');
  // GPD xi = -0.3, sigma = 0.02: y = sigma/xi ((1-F)^(-xi) - 1)
  const xi = -0.3;
  const g = fitGpdPwm(Array.from({ length: n }, (_, i) => (0.02 / xi) * ((1 - (i + 0.5) / n) ** -xi - 1)));
  assert.ok(Math.abs(g.xi - xi) < 0.01, `xi ${g.xi}`);
  close(g.sigma, 0.02, 0.01, 'sigma');
  assert.throws(() => fitGpdPwm([1, 2, 3]), /at least 10/);
});

test('tail of uniform distances: P(d < t) = t/2 below and above the split, quantile inverts it', () => {
  const n = 200000;
  const d = Float64Array.from({ length: n }, (_, i) => (2 * (i + 0.5)) / n); // uniform on [0, 2]
  const tail = fitImpostorTail(d, 'test', 1e-2);
  close(tail.table[0][1], 0.01, 1e-9, 'split rate');
  for (const t of [0.002, 0.005, 0.01, 0.015, 0.1, 0.5]) close(impostorRateAt(tail, t), t / 2, 0.03, `rate at ${t}`);
  for (const p of [1e-4, 1e-3, 5e-3, 0.05, 0.2]) close(impostorRateAt(tail, impostorQuantile(tail, p)), p, 1e-6, `inverse at ${p}`);
  assert.throws(() => fitImpostorTail(d.subarray(0, 500), 'x', 1e-2), /at least 10/);
});

test('threshold for a target FPIR shrinks as the gallery grows, and implies that FPIR back', () => {
  const n = 200000;
  const d = Float64Array.from({ length: n }, (_, i) => (2 * (i + 0.5)) / n);
  const tail = fitImpostorTail(d, 'test', 1e-2);
  const small = thresholdForFpir(tail, 1e-2, 10);
  const big = thresholdForFpir(tail, 1e-2, 1000);
  assert.ok(big.threshold < small.threshold);
  close(small.perComparison, 1 - 0.99 ** 0.1, 1e-12, 'p');
  close(impliedFpir(tail, big.threshold, 1000), 1e-2, 1e-6, 'implied');
  assert.equal(thresholdForFpir(tail, 1e-2, 0).galleryTemplates, 1, 'an empty gallery is sized as one');
});

test('effective operating point: derived from fpir, or a raw threshold warned about above the target', async () => {
  const { effectiveOperatingPoint } = await import('../../../sdk/match/operating-point.ts');
  const n = 200000;
  const tail = fitImpostorTail(Float64Array.from({ length: n }, (_, i) => (2 * (i + 0.5)) / n), 'm', 1e-2);
  const p = effectiveOperatingPoint({ fpir: 0.01 }, tail, 100, 'm');
  assert.equal(p.source, 'fpir');
  close(p.impliedFpir!, 0.01, 1e-6, 'implied = target');
  const loose = effectiveOperatingPoint({ fpir: 0.01, threshold: 0.5 }, tail, 100, 'm');
  assert.equal(loose.threshold, 0.5);
  assert.match(loose.warning ?? '', /grants about 100% of strangers with 100 templates enrolled \(target 1%\)/);
  assert.equal(effectiveOperatingPoint({ fpir: 0.01, threshold: 1e-4 }, tail, 100, 'm').warning, null, 'about 0.5% implied, under the 1% target');
  assert.throws(() => effectiveOperatingPoint({}, undefined, 100, 'x'), /no impostor-distance tail is known for model x/);
  assert.equal(effectiveOperatingPoint({ threshold: 0.9 }, undefined, 100, 'x').impliedFpir, null);
});
