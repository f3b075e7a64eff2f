import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looseThresholdProblem } from '../../../sdk/match/impostor-floor.ts';
import { impostorTail } from '../../../sdk/match/impostor-tails.ts';
import { impostorQuantile } from '../../../sdk/match/operating-point.ts';

test('loose threshold: measured quantiles judge single models', () => {
  assert.equal(looseThresholdProblem('mobilefacenet-192', 0.93), null);
  assert.match(looseThresholdProblem('mobilefacenet-192', 2)!, /more than half of impostor pairs/);
});

test('loose threshold: the fused embedder is judged by its stored impostor tail', () => {
  const tail = impostorTail('fusion-mfn192-fr512', false)!;
  const at1pct = impostorQuantile(tail, 0.01);
  assert.equal(looseThresholdProblem('fusion-mfn192-fr512', at1pct - 0.01), null);
  assert.match(looseThresholdProblem('fusion-mfn192-fr512', at1pct + 0.02)!, /accepts [\d.]+% of impostor pairs for fusion-mfn192-fr512/);
  assert.match(looseThresholdProblem('fusion-mfn192-fr512', 2)!, /at least 41\.\d% of impostor pairs/);
});

test('loose threshold: an unmeasured model is not judged', () => {
  assert.equal(looseThresholdProblem('no-such-model', 2), null);
});
