// A plain Node ESM consumer of the installed package (no tsx, no TypeScript): detect + embed a demo
// photo, enrol its faces into a temporary gallery, identify the faces of another photo. Prints one
// JSON line the test checks. Usage: node consumer.mjs <folder with sample1.jpg and sample3.jpg>
import { createPipeline, openGallery, identifyEmbedding, FaceGateError } from 'facegate';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const photos = process.argv[2];
const pipeline = await createPipeline();
const dir = mkdtempSync(join(tmpdir(), 'fg-consumer-gallery-'));
try {
  const gallery = await openGallery(dir, { create: true, modelId: pipeline.modelId, dim: pipeline.embedder.dim });
  const enrolled = await pipeline.analyze(join(photos, 'sample1.jpg'));
  enrolled.faces.forEach((f, i) => gallery.enroll(`sample1-face${i}`, [f.embedding]));
  const norms = enrolled.faces.map((f) => Math.hypot(...f.embedding));
  const self = identifyEmbedding(gallery, enrolled.faces[0].embedding);
  const probe = await pipeline.analyze(join(photos, 'sample3.jpg'));
  const decisions = probe.faces.map((f) => identifyEmbedding(gallery, f.embedding)).map((d) => ({ decision: d.decision, identity: d.identity }));
  let missing = null;
  try {
    await createPipeline({ packDir: join(dir, 'no-pack-here') });
  } catch (e) {
    missing = e instanceof FaceGateError ? { code: e.code, message: e.message } : { message: String(e) };
  }
  await gallery.close();
  console.log(JSON.stringify({ model: pipeline.modelId, dim: pipeline.embedder.dim, faces: enrolled.faces.length, norms, self: { decision: self.decision, identity: self.identity, d1: self.d1 }, decisions, missing }));
} finally {
  await pipeline.release();
  rmSync(dir, { recursive: true, force: true });
}
