import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crowdingStatistics, crowdingReference, crowdedThreshold } from '../../../calibration/crowding.ts';

// Four identities on the unit circle (2-d): 0 and 1 are look-alikes (10° apart), 2 and 3 far away.
const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
const chord = (a: number) => 2 * Math.sin((a * Math.PI) / 360);
const templates = Float32Array.from([...deg(0), ...deg(10), ...deg(120), ...deg(240), ...deg(5)]);
const owner = Int32Array.from([0, 1, 2, 3, 0]);

test('crowding: nearest other identities by their nearest templates', () => {
  const s = crowdingStatistics(templates, owner, 2);
  assert.equal(s.identities, 4);
  // identity 0's nearest other is 1, via its template at 5° (5° apart)
  assert.equal(s.neighbours[0][0].identity, 1);
  assert.ok(Math.abs(s.neighbours[0][0].distance - chord(5)) < 1e-6);
  assert.equal(s.neighbours[2][0].identity, 1); // 110° from 10°
  assert.ok(Math.abs(s.neighbours[2][0].distance - chord(110)) < 1e-6);
  assert.ok(Math.abs(s.neighbours[3][0].distance - chord(120)) < 1e-6); // 0 and 2 both 120° away
});

test('crowded threshold: lowered by beta times the gap to the median, never raised', () => {
  const s = crowdingStatistics(templates, owner, 2);
  // nearest-other distances: 0 -> chord 5, 1 -> chord 5, 2 -> chord 110, 3 -> chord 120; median = (chord 5 + chord 110) / 2
  const ref = (chord(5) + chord(110)) / 2;
  assert.ok(Math.abs(crowdingReference(s, 1) - ref) < 1e-6);
  assert.ok(Math.abs(crowdedThreshold(s, 0, 1, { neighbours: 1, beta: 0.5 }) - (1 - 0.5 * (ref - chord(5)))) < 1e-6);
  assert.equal(crowdedThreshold(s, 3, 1, { neighbours: 1, beta: 0.5 }), 1);
  // with identity 1 left out, identity 0's nearest other is 2 (115° from its 5° template): no longer crowded
  assert.equal(crowdedThreshold(s, 0, 1, { neighbours: 1, beta: 0.5, leftOut: 1 }), 1);
  assert.throws(() => crowdedThreshold(s, 0, 1, { neighbours: 0 }), /neighbours must be an integer >= 1/);
});
