import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateByIdentity } from '../../../sdk/match/aggregate.ts';

test('one candidate per identity at its nearest template, ascending, unknown labels skipped', () => {
  const owner = new Map([[1, 'ann'], [2, 'ann'], [3, 'bob'], [4, 'cy'], [5, 'bob']]);
  const hits = [{ label: 2, distance: 0.4 }, { label: 1, distance: 0.3 }, { label: 5, distance: 0.9 }, { label: 3, distance: 0.8 }, { label: 99, distance: 0.1 }, { label: 4, distance: 1.1 }];
  assert.deepEqual(aggregateByIdentity(hits, (l) => owner.get(l)), [
    { identityId: 'ann', templateId: 1, distance: 0.3 },
    { identityId: 'bob', templateId: 3, distance: 0.8 },
    { identityId: 'cy', templateId: 4, distance: 1.1 },
  ]);
  assert.deepEqual(aggregateByIdentity(hits, (l) => owner.get(l), 2).map((h) => h.identityId), ['ann', 'bob']);
  assert.deepEqual(aggregateByIdentity([], (l) => owner.get(l)), []);
});
