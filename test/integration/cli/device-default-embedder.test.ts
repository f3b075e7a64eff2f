/**
 * The gallery tools make galleries for a device: with no --embedder, `facegate enroll` creates a
 * gallery of the embedder a device config with no pipeline runs, so `facegate run` on the default
 * config opens it (before, enroll made a MobileFaceNet gallery that the default config refused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../models/paths.ts';
import { parseConfig } from '../../../device/config/load-config.ts';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { EMBEDDERS } from '../../../sdk/registry.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';
import { needModels } from '../../helpers/pack.ts';

const skip = needModels('mtcnn-pnet', 'mtcnn-rnet', 'mtcnn-onet', 'mobilefacenet-192', 'fr-feature-512');

function cli(...args: string[]): { status: number | null; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'facegate.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, json: last ? JSON.parse(last) as Record<string, unknown> : {}, stderr: r.stderr };
}

test('enroll with no --embedder makes a gallery that the default device config opens', { skip, timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fg-default-emb-'));
  try {
    const db = join(dir, 'gallery');
    const [photo] = await demoPhotos();
    const r = cli('enroll', '--db', db, '--id', 'visitor', photo, '--json', '--no-progress');
    assert.equal(r.status, 0, r.stderr + JSON.stringify(r.json));
    const cfg = parseConfig({ site: 'hq', device: 'door-1', camera: { type: 'files', path: dir }, gallery: { db } });
    const info = cli('gallery', '--db', db, '--json');
    assert.equal(info.status, 0, info.stderr);
    assert.equal(info.json.model, cfg.pipeline.embedder, 'the gallery holds the default config\'s embedder');
    // What `facegate run` does with that config: open the gallery for its pipeline's model.
    const g = await Gallery.open(db, { modelId: cfg.pipeline.embedder, dim: EMBEDDERS[cfg.pipeline.embedder].dim });
    assert.equal(g.stats().identities, 1);
    await g.close();
    // An existing gallery still fixes the embedder: asking for another is refused by name.
    const other = cli('enroll', '--db', db, '--id', 'second', photo, '--embedder', 'mobilefacenet-192', '--json', '--no-progress');
    assert.equal(other.status, 1);
    assert.match(String((other.json.error as { message?: string } | undefined)?.message), new RegExp(`holds ${cfg.pipeline.embedder}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
