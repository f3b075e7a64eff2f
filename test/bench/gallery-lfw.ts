/**
 * lfw-dev 1:N ablation of the gallery and decision options on real embeddings: every gallery and
 * probe image is embedded once, then 1-shot / 2-shot galleries with and without identity centres
 * and several margins are evaluated with the same code the CLI uses (Gallery + decide +
 * openSetSummary). `facegate enroll` + `facegate identify` give the headline figures; this
 * explains them.
 *
 *   node --import tsx test/bench/gallery-lfw.ts [--detector mtcnn|rfb] [--embedder id] [--flip]
 *        [--margins 0,0.05,0.1] [--json out.json]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gallery } from '../../sdk/gallery/index.ts';
import { createPipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { mostCentralFace } from '../../sdk/detect/face-choice.ts';
import type { DetectorKind } from '../../sdk/pipeline/create-detector.ts';
import type { EmbedderId } from '../../sdk/embed/onnx-embedder.ts';
import { decide } from '../../sdk/match/decide.ts';
import { openSetSummary, type ProbeOutcome } from '../../sdk/match/open-set.ts';
import { readCsvRows } from '../../calibration/csv-rows.ts';

const LFW = fileURLToPath(new URL('../../../shared/data/lfw-dev/', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (!existsSync(LFW)) {
  console.error(`needs ${LFW}`);
  process.exit(0);
}

const pipeline = await createPipeline({ detector: arg('detector') as DetectorKind | undefined, embedder: arg('embedder') as EmbedderId | undefined, flip: process.argv.includes('--flip') });
const embeddings = new Map<string, Float32Array | null>();
async function embed(image: string, fallback: boolean): Promise<Float32Array | null> {
  const key = `${fallback}:${image}`;
  if (!embeddings.has(key)) {
    const r = await pipeline.analyze(join(LFW, 'images', image), { fallback });
    const i = mostCentralFace(r.faces, r.width, r.height);
    embeddings.set(key, i >= 0 ? r.faces[i].embedding : null);
  }
  return embeddings.get(key)!;
}

const gallery: { identity: string; image: string; rank: number }[] = [];
for await (const row of readCsvRows(join(LFW, 'ident_gallery.csv'), { required: ['identity', 'image', 'enroll_rank'], describe: 'identity,image,enroll_rank' })) {
  gallery.push({ identity: row.values.identity, image: row.values.image, rank: Number(row.values.enroll_rank) });
}
const probes: { image: string; truth: string | null }[] = [];
for await (const row of readCsvRows(join(LFW, 'ident_probes.csv'), { required: ['image', 'true_identity'], describe: 'image,true_identity' })) {
  probes.push({ image: row.values.image, truth: row.values.true_identity === 'UNKNOWN' ? null : row.values.true_identity });
}
const t0 = performance.now();
let done = 0;
for (const g of gallery) { await embed(g.image, false); if (++done % 100 === 0) console.error(`embedded ${done}`); }
for (const p of probes) { await embed(p.image, true); if (++done % 100 === 0) console.error(`embedded ${done}`); }
const msPerImage = (performance.now() - t0) / done;
await pipeline.release();

const margins = (arg('margins') ?? '0,0.05,0.1').split(',').map(Number);
const rows: Record<string, unknown>[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'fg-lfw-'));
try {
  for (const shots of [1, 2]) {
    for (const centres of [false, true]) {
      if (shots === 1 && centres) continue; // one template: the centre is the template
      const dir = join(tmp, `g${shots}${centres}`);
      const g = await Gallery.open(dir, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true, centres });
      const by = new Map<string, Float32Array[]>();
      for (const e of gallery) {
        const v = await embed(e.image, false);
        if (e.rank > shots || !v) continue;
        by.set(e.identity, [...(by.get(e.identity) ?? []), v]);
      }
      for (const [id, vs] of by) g.enroll(id, vs);
      const found = await Promise.all(probes.map(async (p) => ({ p, v: await embed(p.image, true) })));
      for (const margin of margins) {
        const outcomes: ProbeOutcome[] = found.map(({ p, v }) => {
          if (!v) return { truth: p.truth, nearest: null, d1: null, d2: null, decision: 'unknown', identity: null };
          const c = g.search(v, 5);
          const d = decide(c, { threshold: 10, margin, now: Date.now() }); // threshold swept by the summary
          return { truth: p.truth, nearest: c[0]?.identityId ?? null, d1: d.d1, d2: d.d2, decision: d.decision, identity: d.identity };
        });
        const s = openSetSummary(outcomes, [0.01, 0.001], margin);
        const row = { shots, centres, margin, identities: by.size, rank1: s.rank1, dir_at_fpir_1pct: s.dir_at_fpir['0.01'], threshold_at_fpir_1pct: s.threshold_at_fpir['0.01'],
          dir_at_fpir_0_1pct: s.dir_at_fpir['0.001'] };
        console.error(JSON.stringify(row));
        rows.push(row);
      }
      await g.close();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const noFace = [...embeddings.entries()].filter(([, v]) => v === null).map(([k]) => k);
const report = { model: pipeline.modelId, detector: pipeline.detector.id, flip: process.argv.includes('--flip'), ms_per_image_under_load: Math.round(msPerImage), no_face: noFace, rows };
const out = arg('json');
if (out) writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
