import { test } from 'node:test';
import assert from 'node:assert/strict';
import calibrate from '../../../device/cli/commands/calibrate.ts';

const usage = (re: RegExp) => (e: unknown) => (e as { code?: string }).code === 'FG_CLI_USAGE' && re.test((e as Error).message);

test('calibrate --open-set: usage errors name the flag, before any model runs', async () => {
  await assert.rejects(calibrate({ fpir: '0.01', pairs: 'x.csv', images: 'y' }), usage(/--fpir needs --open-set/));
  await assert.rejects(calibrate({ openSet: true }), usage(/--open-set needs --labeled-csv <csv> --images <dir>/));
  await assert.rejects(calibrate({ openSet: true, labeledCsv: 'x.csv', images: 'y', shots: '3' }), usage(/--shots must be 1 or 2/));
  await assert.rejects(calibrate({ openSet: true, labeledCsv: 'x.csv', images: 'y', pairs: 'p.csv' }), usage(/does not combine with --pairs/));
  await assert.rejects(calibrate({ openSet: true, labeledCsv: 'x.csv', images: 'y', fpir: '0.001', threshold: '0.9' }), usage(/--fpir or --threshold, not both/));
  await assert.rejects(calibrate({ openSet: true, labeledCsv: 'x.csv', images: 'y', precision: 'int4' }), usage(/--precision must be one of fp32, int8, fp16, auto, got "int4"/));
});
