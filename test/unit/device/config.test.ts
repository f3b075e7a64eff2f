import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../device/config/load-config.ts';
import { FaceGateError } from '../../../sdk/errors.ts';

const minimal = { site: 'hq', device: 'door-1', camera: { type: 'files', path: './frames' }, gallery: { db: './g' }, match: { threshold: 0.9 } };

test('the example config in device/ is valid', async () => {
  const cfg = await loadConfig(new URL('../../../device/facegate.example.yaml', import.meta.url).pathname);
  assert.equal(cfg.camera.type, 'stream');
  assert.equal(cfg.match.threshold, undefined, 'the example ships a stranger rate, not a raw threshold');
  assert.equal(cfg.match.fpir, 0.001);
  assert.equal(cfg.pipeline.embedder, 'fusion-mfn192-fr512');
  assert.deepEqual(cfg.runtime.providers, ['cuda', 'cpu']);
});

test('defaults are filled in and relative paths resolve against the config file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-cfg-'));
  await writeFile(join(dir, 'c.json'), JSON.stringify(minimal));
  const cfg = await loadConfig(join(dir, 'c.json'));
  assert.equal(cfg.gallery.db, join(dir, 'g'));
  assert.equal(cfg.camera.type === 'files' && cfg.camera.path, join(dir, 'frames'));
  assert.equal(cfg.pipeline.detector, 'mtcnn');
  assert.equal(cfg.decision.votes, 3);
  assert.equal(cfg.mqtt.url, undefined); // -> embedded broker
  assert.equal(cfg.runtime.threads, 1);
});

test('gallery.hnsw: optional settings over the automatic choice, each checked and named', () => {
  assert.equal(parseConfig(minimal).gallery.hnsw, undefined);
  assert.deepEqual(parseConfig({ ...minimal, gallery: { db: './g', hnsw: { m: 48, ef: 288 } } }).gallery.hnsw, { m: 48, ef: 288 });
  const named = (re: RegExp) => (e: unknown) => e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID' && re.test(e.message);
  assert.throws(() => parseConfig({ ...minimal, gallery: { db: './g', hnsw: { m: 2 } } }), named(/gallery\.hnsw\.m/));
  assert.throws(() => parseConfig({ ...minimal, gallery: { db: './g', hnsw: { ef: 64, efFirst: 128 } } }), named(/gallery\.hnsw.*efFirst must not exceed ef/));
  assert.throws(() => parseConfig({ ...minimal, gallery: { db: './g', hnsw: { beam: 64 } } }), named(/gallery\.hnsw/));
});

test('runtime.threads: a whole number from 1, named when wrong', () => {
  assert.equal(parseConfig({ ...minimal, runtime: { threads: 2 } }).runtime.threads, 2);
  for (const threads of [0, 1.5]) assert.throws(() => parseConfig({ ...minimal, runtime: { threads } }), (e: unknown) => e instanceof FaceGateError && /runtime\.threads/.test(e.message));
});

test('every problem is reported as key: message', () => {
  const bad = { ...minimal, site: 'h q', camera: { type: 'files', path: './f', fps: '30fps' }, match: { threshold: -1 }, extra: 1 };
  try {
    parseConfig(bad);
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof FaceGateError && e.code === 'FG_CONFIG_INVALID');
    const problems = (e.details?.problems ?? []) as string[];
    for (const key of ['site:', 'camera.fps:', 'match.threshold:', '(root):']) assert.ok(problems.some((p) => p.startsWith(key)), `${key} in ${problems.join(' | ')}`);
  }
});

test('unknown camera type and a webcam device that is not /dev/videoN are refused', () => {
  assert.throws(() => parseConfig({ ...minimal, camera: { type: 'usb' } }), /camera\.type/);
  assert.throws(() => parseConfig({ ...minimal, camera: { type: 'webcam', device: '/dev/video0;reboot' } }), /camera\.device/);
});

test('unreadable and malformed files give a clear error', async () => {
  await assert.rejects(loadConfig('/nonexistent/facegate.yaml'), /cannot read config/);
  const dir = await mkdtemp(join(tmpdir(), 'fg-cfg-'));
  await writeFile(join(dir, 'bad.yaml'), 'site: [unclosed\n  device: x');
  await assert.rejects(loadConfig(join(dir, 'bad.yaml')), /not valid YAML/);
});
