/**
 * A small always-run slice of test/bench/fuzz.ts: a few hundred malformed images, MQTT payloads
 * (real Mosquitto) and configs through the real entry points. None may crash, hang or fail with
 * an error that does not name the problem; the same seed gives the same outcomes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../helpers/fuzz/run-fuzz.ts';
import type { TargetSummary } from '../../helpers/fuzz/mutate.ts';

test('fuzz slice: 0 crashes, 0 hangs, every refusal a clear error (seed 7)', { timeout: 300_000 }, async (t) => {
  const s = await runFuzz({ seed: 7, images: 250, mqtt: 150, configs: 150, timeoutMs: 10_000 });
  for (const [name, target] of Object.entries(s.targets)) {
    if ('skipped' in target) { t.diagnostic(`${name}: skipped (${target.skipped})`); continue; }
    t.diagnostic(`${name}: ${target.cases} cases, ${target.ok} accepted, ${target.clear} clear, ${target.unclear} unclear, ${target.crash} crashes, ${target.hang} hangs, max ${target.maxMs} ms`);
    assert.equal(target.crash + target.hang + target.unclear, 0, `${name}: ${JSON.stringify(target.examples)}`);
    // The generators must mostly produce refusals (a fuzzer whose cases all decode tests nothing).
    assert.ok(target.clear > target.cases / 3, `${name}: only ${target.clear} of ${target.cases} refused`);
  }
  assert.equal(s.total.cases, 250 + 150 + ('skipped' in s.targets.mqtt ? 0 : 150));
});

test('fuzz cases are reproducible from the seed', { timeout: 120_000 }, async () => {
  const a = await runFuzz({ seed: 3, images: 60, mqtt: 0, configs: 60, timeoutMs: 10_000 });
  const b = await runFuzz({ seed: 3, images: 60, mqtt: 0, configs: 60, timeoutMs: 10_000 });
  const counts = (x: TargetSummary | { skipped: string }) => ('cases' in x ? [x.kinds, x.ok, x.clear] : x);
  assert.deepEqual(counts(a.targets.images), counts(b.targets.images));
  assert.deepEqual(counts(a.targets.configs), counts(b.targets.configs));
});
