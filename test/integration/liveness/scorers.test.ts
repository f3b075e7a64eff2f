import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadFrame } from '../../../sdk/image/load-frame.ts';
import { createLivenessScorer } from '../../../sdk/liveness/create-scorer.ts';
import type { LivenessModelId } from '../../../sdk/liveness/types.ts';
import { createDetector, openPack } from '../../../sdk/pipeline/create-detector.ts';
import { largestFace } from '../../../sdk/detect/face-choice.ts';
import { demoPhotos } from '../../helpers/demo-photos.ts';

const NUAA = resolve('../shared/data/spoof-nuaa-dev');
const MINI = resolve('../shared/data/spoof-minivision');
const pack = await openPack();
const inPack = (id: string) => pack.manifest.models.some((m) => m.id === id);
const modelSkip = (m: LivenessModelId) =>
  (m === 'fr-liveness' ? ['fr-liveness'] : m === 'antispoof-256' ? ['antispoof-256'] : ['fr-liveness', 'antispoof-256']).every(inPack)
    ? false : `the pack lacks a model ${m} needs (npx facegate models build)`;

for (const model of ['fr-liveness', 'antispoof-256', 'fused'] as const) {
  test(`${model}: finite scores in [0,1] for every face of two demo photos`, { skip: modelSkip(model), timeout: 300_000 }, async () => {
    const { detector } = await createDetector({ detector: 'mtcnn' }, pack);
    const scorer = await createLivenessScorer(pack, { model });
    try {
      let n = 0;
      for (const photo of (await demoPhotos()).slice(0, 2)) {
        const frame = await loadFrame(photo);
        for (const face of await detector.detect(frame)) {
          const s = await scorer.score(frame, face);
          assert.ok(Number.isFinite(s) && s >= 0 && s <= 1, `${model} score ${s}`);
          n++;
        }
      }
      assert.ok(n >= 4, `expected several faces in the demo photos, got ${n}`);
    } finally {
      await Promise.all([scorer.release(), detector.release()]);
    }
  });
}

test('bad face boxes are refused by name', { skip: modelSkip('fr-liveness') }, async () => {
  const scorer = await createLivenessScorer(pack, { model: 'fr-liveness' });
  try {
    const frame = { data: new Uint8Array(64 * 48 * 3), width: 64, height: 48 };
    const lm = [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]] as never;
    await assert.rejects(scorer.score(frame, { box: { x: 0, y: 0, w: 0, h: 10 }, score: 1, landmarks5: lm }), { code: 'FG_INPUT_INVALID', message: /fr-liveness: face box must be finite with positive size/ });
    await assert.rejects(createLivenessScorer(pack, { model: 'nope' as never }), { code: 'FG_CONFIG_INVALID', message: /liveness model must be one of fr-liveness, antispoof-256, fused/ });
  } finally {
    await scorer.release();
  }
});

test('fr-liveness on NUAA (every 6th frame): live frames score above attacks, for each live subject', {
  skip: !existsSync(NUAA) ? 'needs ../shared/data/spoof-nuaa-dev' : modelSkip('fr-liveness'), timeout: 600_000,
}, async () => {
  const rows = (parse(await readFile(join(NUAA, 'labels.csv')), { columns: true, bom: true }) as Record<string, string>[]).filter((_, i) => i % 6 === 0);
  const { detector } = await createDetector({ detector: 'mtcnn' }, pack);
  const scorer = await createLivenessScorer(pack, { model: 'fr-liveness' });
  const scores: Record<'live' | 'attack', number[]> = { live: [], attack: [] };
  const liveBySubject = new Map<string, number[]>();
  try {
    for (const r of rows) {
      const frame = await loadFrame(join(NUAA, r.image));
      const faces = await detector.detect(frame);
      const i = largestFace(faces);
      assert.ok(i >= 0, `no face in ${r.image}`);
      const s = await scorer.score(frame, faces[i]);
      scores[r.label as 'live' | 'attack'].push(s);
      if (r.label === 'live') liveBySubject.set(r.subject, [...(liveBySubject.get(r.subject) ?? []), s]);
    }
  } finally {
    await Promise.all([scorer.release(), detector.release()]);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(scores.live.length >= 15 && scores.attack.length >= 25);
  const attackMean = mean(scores.attack);
  assert.ok(mean(scores.live) > attackMean, `live mean ${mean(scores.live)} vs attack mean ${attackMean}`);
  for (const [subject, s] of liveBySubject) assert.ok(mean(s) > attackMean, `subject ${subject}: live mean ${mean(s)} vs attack mean ${attackMean}`);
});

test('fr-liveness on minivision: the print and the tablet replay score below both live faces', {
  skip: !existsSync(MINI) ? 'needs ../shared/data/spoof-minivision' : modelSkip('fr-liveness'), timeout: 120_000,
}, async () => {
  const { detector } = await createDetector({ detector: 'mtcnn' }, pack);
  const scorer = await createLivenessScorer(pack, { model: 'fr-liveness' });
  const s: Record<string, number> = {};
  try {
    for (const name of ['image_F1.jpg', 'image_F2.jpg', 'image_T1.jpg', 'image_T2.jpg']) {
      const frame = await loadFrame(join(MINI, 'images', name));
      const faces = await detector.detect(frame);
      const i = largestFace(faces);
      assert.ok(i >= 0, `no face in ${name}`);
      s[name] = await scorer.score(frame, faces[i]);
    }
  } finally {
    await Promise.all([scorer.release(), detector.release()]);
  }
  const maxAttack = Math.max(s['image_F1.jpg'], s['image_F2.jpg']);
  assert.ok(maxAttack < Math.min(s['image_T1.jpg'], s['image_T2.jpg']), JSON.stringify(s));
});
