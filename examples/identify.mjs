import { createPipeline, openGallery, identifyEmbedding } from 'facegate';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const photos = process.argv[2]; // a folder holding face-api's demo photos sample1.jpg .. sample3.jpg
const pipeline = await createPipeline(); // MTCNN + MobileFaceNet from the model pack
const gallery = await openGallery(mkdtempSync(join(tmpdir(), 'gallery-')), { create: true, modelId: pipeline.modelId, dim: pipeline.embedder.dim });
for (const photo of ['sample1', 'sample2']) { // enrol every face of two photos
  const { faces } = await pipeline.analyze(join(photos, `${photo}.jpg`));
  faces.forEach((face, i) => gallery.enroll(`${photo}-face${i}`, [face.embedding]));
}
const { faces } = await pipeline.analyze(join(photos, 'sample3.jpg')); // identify the faces of a third
for (const [i, face] of faces.entries()) {
  const { decision, identity } = identifyEmbedding(gallery, face.embedding);
  console.log(`sample3 face ${i}: ${decision}${identity ? ` ${identity}` : ''}`);
}
await gallery.close();
await pipeline.release();
