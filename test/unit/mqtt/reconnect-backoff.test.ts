import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../../sdk/mqtt/reconnect-backoff.ts';

test('backoff doubles from the base, is capped, and jitter keeps it in [step/2, step]', () => {
  // random() = 0 gives half the step, random() -> 1 the whole step.
  assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, { baseMs: 1000, maxMs: 60_000 }, () => 0)), [500, 1000, 2000, 4000, 8000]);
  assert.deepEqual([0, 1, 2].map((a) => backoffDelay(a, { baseMs: 1000 }, () => 0.5)), [750, 1500, 3000]);
  assert.equal(backoffDelay(10, { baseMs: 1000, maxMs: 60_000 }, () => 0.999999), 60_000);
  assert.equal(backoffDelay(10, { baseMs: 1000, maxMs: 60_000 }, () => 0), 30_000);
  assert.equal(backoffDelay(1e6, {}, () => 0), 30_000); // no overflow for a device refused for weeks
  // A cap below the base is raised to the base.
  assert.equal(backoffDelay(5, { baseMs: 2000, maxMs: 10 }, () => 0), 1000);
});
