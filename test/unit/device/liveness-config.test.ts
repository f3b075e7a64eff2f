import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../device/config/load-config.ts';
import { openLivenessGate } from '../../../device/loop/liveness-setup.ts';
import { buildDecisionMessage, DecisionMessage, PRESENTATION_ATTACK } from '../../../sdk/mqtt/decision-message.ts';
import { PACK_DIR } from '../../../models/paths.ts';
import { createLivenessScorer } from '../../../sdk/liveness/create-scorer.ts';
import { openPack } from '../../../sdk/pipeline/create-detector.ts';
import type { Logger } from '../../../sdk/logger.ts';
import { needModels } from '../../helpers/pack.ts';

const minimal = { site: 'hq', device: 'door-1', camera: { type: 'files', path: './frames' }, gallery: { db: './g' }, match: { threshold: 0.9 } };

function recorder() {
  const warnings: string[] = [];
  const logger: Logger = { info() {}, warn: (m) => { warnings.push(m); }, error() {} };
  return { logger, warnings };
}

test('liveness config: defaults, and the problems named by key', () => {
  const cfg = parseConfig(minimal);
  assert.deepEqual(cfg.liveness, { model: 'fr-liveness', minFrames: 3, window: 5, mode: 'k-of-n' });
  assert.equal(cfg.liveness.enabled, undefined, 'absent: on when the pack holds the model');
  const mean = parseConfig({ ...minimal, liveness: { enabled: true, model: 'fused', threshold: 0.002, minFrames: 4, window: 4, mode: 'mean' } });
  assert.deepEqual(mean.liveness, { enabled: true, model: 'fused', threshold: 0.002, minFrames: 4, window: 4, mode: 'mean' });
  assert.throws(() => parseConfig({ ...minimal, liveness: { minFrames: 1 } }), /liveness\.minFrames:/, 'one frame alone is refused');
  assert.throws(() => parseConfig({ ...minimal, liveness: { minFrames: 6 } }), /liveness\.window: window must be at least minFrames/);
  assert.throws(() => parseConfig({ ...minimal, liveness: { threshold: 1.5 } }), /liveness\.threshold:/);
  assert.throws(() => parseConfig({ ...minimal, liveness: { model: 'blink' } }), /liveness\.model:/);
  assert.throws(() => parseConfig({ ...minimal, liveness: { enable: false } }), /liveness/);
});

test('gate off only by config, with a warning; a pack without the model: off with a warning unless enabled: true', async () => {
  const off = recorder();
  assert.equal(await openLivenessGate(parseConfig({ ...minimal, liveness: { enabled: false } }).liveness, parseConfig(minimal).runtime, off.logger), null);
  assert.match(off.warnings.join('\n'), /liveness gate OFF \(liveness\.enabled: false\)/);

  const dir = await mkdtemp(join(tmpdir(), 'fg-pack-'));
  try {
    // A pack that holds every model but the liveness ones (only the manifest is read before loading).
    const manifest = { version: 1, builtAt: new Date().toISOString(), models: [{ id: 'mtcnn-pnet', role: 'detector-pnet' }] };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const runtime = parseConfig({ ...minimal, runtime: { packDir: dir } }).runtime;
    const missing = recorder();
    assert.equal(await openLivenessGate(parseConfig(minimal).liveness, runtime, missing.logger), null);
    assert.match(missing.warnings.join('\n'), /liveness gate OFF: the model pack lacks the liveness model/);
    await assert.rejects(openLivenessGate(parseConfig({ ...minimal, liveness: { enabled: true } }).liveness, runtime, recorder().logger),
      { code: 'FG_MODEL_MISSING', message: /liveness\.model "fr-liveness" needs fr-liveness, which the model pack lacks/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});


test('gate on by default with the pack\'s fr-liveness (fp32, BGR as the spec says) and the measured threshold', { skip: needModels('fr-liveness') }, async () => {
  const { logger, warnings } = recorder();
  const gate = await openLivenessGate(parseConfig(minimal).liveness, parseConfig(minimal).runtime, logger);
  assert.ok(gate);
  try {
    assert.equal(gate.scorer.id, 'fr-liveness');
    assert.deepEqual(gate.options, { threshold: 0.01, minFrames: 3, window: 5, mode: 'k-of-n' });
    assert.deepEqual(warnings, []);
    const entry = (JSON.parse(await readFile(join(PACK_DIR, 'manifest.json'), 'utf8')) as { models: { id: string; preprocess: { colour: string } }[] }).models.find((m) => m.id === 'fr-liveness');
    assert.equal(entry?.preprocess.colour, 'BGR');
  } finally {
    await gate.scorer.release();
  }
});

test('a pack built from older specs (fr-liveness fed RGB) is refused by name, not fed the wrong channel order', { skip: needModels('fr-liveness') }, async () => {
  const real = JSON.parse(await readFile(join(PACK_DIR, 'manifest.json'), 'utf8')) as { models: { id: string; preprocess: Record<string, unknown> }[] };
  const entry = real.models.find((m) => m.id === 'fr-liveness')!;
  const dir = await mkdtemp(join(tmpdir(), 'fg-pack-'));
  try {
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ version: 1, models: [{ ...entry, preprocess: { ...entry.preprocess, colour: 'RGB' } }] }));
    await assert.rejects(createLivenessScorer(await openPack(dir), { model: 'fr-liveness' }),
      { code: 'FG_MODEL_LOAD', message: /fr-liveness: the pack manifest feeds RGB but the model was measured on BGR input; .*rebuild it/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('decision message: presentation_attack reason and the track liveness score', () => {
  const m = buildDecisionMessage({ decision: 'deny', identity: 'alice', distance: 0.7, threshold: 1, model: 'mobilefacenet-192', reason: PRESENTATION_ATTACK, liveness: 0.000123456 }, { site: 'hq', device: 'd', includeImage: false });
  assert.equal(m.reason, 'presentation_attack');
  assert.equal(m.liveness, 0.0001235, '4 significant digits: attack scores sit far below 1e-4');
  assert.deepEqual(DecisionMessage.parse(JSON.parse(JSON.stringify(m))), m);
  const noGate = buildDecisionMessage({ decision: 'grant', identity: 'alice', distance: 0.5, threshold: 1, model: 'x' }, { site: 'hq', device: 'd', includeImage: false });
  assert.equal('liveness' in noGate, false);
  assert.throws(() => buildDecisionMessage({ decision: 'grant', identity: 'a', distance: 0.5, threshold: 1, model: 'x', liveness: Number.NaN }, { site: 'hq', device: 'd', includeImage: false }), { code: 'FG_INPUT_INVALID', message: /liveness must be in \[0, 1\]/ });
  assert.throws(() => DecisionMessage.parse({ ...m, liveness: 2 }));
});
