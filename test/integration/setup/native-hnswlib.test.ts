/**
 * The install-time hnswlib-node build for this CPU (device/setup/native-hnswlib.ts): whatever
 * addon is in place must answer exactly like npm's portable build.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { addonPaths, cpuWantsNativeBuild, sameAnswers } from '../../../device/setup/native-hnswlib.ts';

const paths = addonPaths();

test('cpuWantsNativeBuild reads this CPU and says why', async () => {
  const r = await cpuWantsNativeBuild();
  assert.equal(typeof r.ok, 'boolean');
  assert.ok(r.reason.length > 0);
  if (r.ok) assert.ok(r.flags.includes('avx2') && r.flags.includes('fma'));
});

test('the installed native addon returns the same neighbours and distances as the portable one',
  { skip: existsSync(paths.portable) ? false : 'no native build installed (`facegate setup hnswlib` skipped or not run)' }, async () => {
    const r = await sameAnswers(paths.portable, paths.addon);
    assert.equal(r.ok, true, r.why);
  });

test('the comparison fails loudly on a file that is not an addon', async () => {
  await assert.rejects(sameAnswers(paths.addon, paths.marker));
});
