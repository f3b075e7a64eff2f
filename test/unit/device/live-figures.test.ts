import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveFigures } from '../../../device/health/live-figures.ts';

test('live figures: fps over the last 10 s, median latency of the last 100 frames, attack count', () => {
  const f = new LiveFigures();
  assert.equal(f.fps(0), 0);
  assert.equal(f.latencyP50(), undefined);
  for (let i = 0; i <= 20; i++) f.frame(i * 250, i < 10 ? 100 : 300); // 4 fps for 5 s
  assert.equal(f.fps(5000), 4);
  assert.equal(f.latencyP50(), 300); // 10 at 100, 11 at 300
  assert.equal(f.latencyP99(), 300);
  assert.equal(f.fps(5000 + 20_000), 0, 'no frame in the window: 0, not the old rate');
  for (let i = 0; i < 150; i++) f.frame(30_000 + i, 50);
  assert.equal(f.latencyP50(), 50, 'only the last 100 count');
  f.frame(31_000, 900);
  assert.equal(f.latencyP99(), 50, 'one slow frame in 100 is beyond the p99');
  f.frame(31_001, 800);
  assert.equal(f.latencyP99(), 800, 'two are not');
  f.attack();
  f.attack();
  assert.equal(f.attacks, 2);
});
