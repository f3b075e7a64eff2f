import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLivenessRows } from '../../../sdk/liveness/labels.ts';

const row = (line: number, values: Record<string, string>) => ({ line, values });

test('rows become samples; attack fields only on attacks; spoof means attack', () => {
  const s = parseLivenessRows([
    row(2, { image: 'a.jpg', label: 'live', attack_type: '', attack_variant: '', subject: '0004' }),
    row(3, { image: 'b.jpg', label: 'Attack', attack_type: 'print', attack_variant: 'still', subject: '0004' }),
    row(4, { image: 'c.jpg', label: 'spoof' }),
  ]);
  assert.deepEqual(s, [
    { image: 'a.jpg', label: 'live', subject: '0004', line: 2 },
    { image: 'b.jpg', label: 'attack', attackType: 'print', attackVariant: 'still', subject: '0004', line: 3 },
    { image: 'c.jpg', label: 'attack', line: 4 },
  ]);
});

test('a bad label or an empty image path names the line', () => {
  assert.throws(() => parseLivenessRows([row(7, { image: 'a.jpg', label: 'fake-ish' })], 'x.csv'),
    { code: 'FG_CSV_INVALID', message: 'x.csv: line 7 has label "fake-ish"; expected live or attack' });
  assert.throws(() => parseLivenessRows([row(3, { image: ' ', label: 'live' })], 'x.csv'), /line 3 has an empty image path/);
  assert.throws(() => parseLivenessRows([], 'x.csv'), /no rows after the header/);
});
