/**
 * A person replacing another at the same spot, on real parts: lfw-dev photos (aligned, so every
 * face sits at the same place), the model pack, the device loop with its default embedding reuse
 * for decided tracks. The stranger is decided first; the enrolled person who takes the spot must
 * still get a decision of their own, within the reuse bound (embed-reuse.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { createPipeline } from '../../../sdk/pipeline/index.ts';
import { Gallery } from '../../../sdk/gallery/index.ts';
import { parseConfig } from '../../../device/config/load-config.ts';
import { startDevice, type PublishedDecision } from '../../../device/run-device.ts';
import type { FrameStats } from '../../../device/loop/frame-loop.ts';
import { DEFAULT_REEMBED_EVERY } from '../../../device/loop/embed-reuse.ts';
import { DATA_DIR, needData, needModels } from '../../helpers/pack.ts';
import { waitFor } from '../../helpers/ports.ts';

const skip = needData('lfw-dev') || needModels('mtcnn-pnet', 'mobilefacenet-192');
const lfw = join(DATA_DIR, 'lfw-dev');

test('a stranger decided unknown, then an enrolled person at the same spot: their own track and grant', { skip, timeout: 180_000 }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'fg-swap-'));
  const rows = parse(await readFile(join(lfw, 'ident_gallery.csv')), { columns: true, skip_empty_lines: true }) as { identity: string; image: string }[];
  const probes = parse(await readFile(join(lfw, 'ident_probes.csv')), { columns: true, skip_empty_lines: true }) as { image: string; true_identity: string }[];
  const id = rows[0].identity;
  const pipeline = await createPipeline({ detector: 'mtcnn', embedder: 'mobilefacenet-192' });
  const gallery = await Gallery.open(join(work, 'gallery'), { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true });
  for (const r of rows.filter((g) => g.identity === id)) {
    const a = await pipeline.analyze(join(lfw, 'images', r.image));
    gallery.enroll(id, [a.faces[0].embedding], { source: r.image });
  }
  await gallery.close();
  await pipeline.release();

  // 3 frames of the stranger, then 10 of the person, with no empty frame between them.
  const frames = join(work, 'frames');
  await mkdir(frames);
  const stranger = join(lfw, 'images', probes.find((p) => p.true_identity === 'UNKNOWN')!.image);
  const person = join(lfw, 'images', probes.find((p) => p.true_identity === id)!.image);
  const sequence = [...Array<string>(3).fill(stranger), ...Array<string>(10).fill(person)];
  for (const [i, src] of sequence.entries()) await copyFile(src, join(frames, `${String(i).padStart(3, '0')}.jpg`));

  const cfg = parseConfig({
    site: 'swap', device: 'door-1', camera: { type: 'files', path: frames, fps: 3, loop: false },
    mqtt: { embeddedPort: 0, homeAssistant: false }, gallery: { db: join(work, 'gallery') }, match: { threshold: 1.0, margin: 0.05 },
    pipeline: { detector: 'mtcnn', embedder: 'mobilefacenet-192', minFaceSize: 40 },
    decision: { votes: 2, window: 3, minInterEyePx: 15, minBlur: 5, cooldownSec: 60 },
    liveness: { enabled: false }, http: { port: 0 },
  });
  const decisions: PublishedDecision[] = [];
  const stats: FrameStats[] = [];
  const decidedOn: number[] = []; // 0-based index of the frame each decision was made on
  const device = await startDevice(cfg, { onDecision: (d) => { decisions.push(d); decidedOn.push(stats.length); }, onFrameDone: (_ms, _n, s) => stats.push(s) });
  try {
    await waitFor(() => stats.length >= sequence.length || decisions.length >= 2, 150_000, 'the sequence to play');
    await device.ended.catch(() => {});
  } finally {
    await device.stop();
  }
  assert.deepEqual(decisions.map((d) => [d.decision, d.identity]), [['unknown', null], ['grant', id]], JSON.stringify(decisions));
  assert.notEqual(decisions[1].track, decisions[0].track, 'the person on a track of their own');
  // Between the two decisions frames reused the stranger's embedding (the person's first ones
  // among them), no more than the bound allows.
  const reused = stats.slice(decidedOn[0] + 1, decidedOn[1]).filter((s) => s.faces > 0 && s.embedded === 0).length;
  assert.ok(reused >= 1 && reused <= DEFAULT_REEMBED_EVERY - 1, `frames that reused an embedding: ${reused}`);
});
