import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabelFixes, countLabelFixes } from '../../../calibration/label-fixes.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

test('label fixes: names and photos from one CSV, photos resolved under --images', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-fixes-'));
  try {
    const csv = join(dir, 'fixes.csv');
    await writeFile(csv, 'identity,same_as,evidence\r\nDoc_Rivers,Glenn_Rivers,"one man, two names"\r\nB/B_2.jpg,A,looks like A\r\n');
    const fixes = await loadLabelFixes(csv, join(dir, 'images'));
    assert.deepEqual([...fixes.names], [['Doc_Rivers', 'Glenn_Rivers']]);
    assert.deepEqual([...fixes.photos], [[join(dir, 'images', 'B', 'B_2.jpg'), 'A']]);
    const items = [{ identity: 'Doc_Rivers', path: '/y/1.jpg' }, { identity: 'Doc_Rivers', path: '/y/2.jpg' }, { identity: 'B', path: join(dir, 'images', 'B', 'B_2.jpg') }];
    assert.deepEqual(countLabelFixes(items, fixes), { names: 1, photos: 1 });

    await writeFile(csv, 'identity,same_as\n../outside.jpg,A\n');
    await assert.rejects(loadLabelFixes(csv, join(dir, 'images')), (e: unknown) => e instanceof FaceGateError && /line 2/.test(e.message));
    await writeFile(csv, 'identity,same_as\nA,\n');
    await assert.rejects(loadLabelFixes(csv, join(dir, 'images')), (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CSV_INVALID');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
