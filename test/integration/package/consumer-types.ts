// A strict TypeScript consumer: must type-check against the shipped declarations (tsc --noEmit).
import { createPipeline, openGallery, identifyEmbedding, decide, DETECTOR_KINDS, FaceGateError, type Decision, type Pipeline, type DetectorKind, type FaceGateErrorCode } from 'facegate';

export async function check(dir: string): Promise<string> {
  const pipeline: Pipeline = await createPipeline({ detector: 'rfb', embedder: 'fr-feature-512', precision: 'int8' });
  const gallery = await openGallery(dir, { create: true, modelId: pipeline.modelId, dim: pipeline.embedder.dim });
  const result = await pipeline.analyze(new Uint8Array(0));
  const first = result.faces[0];
  const d: Decision = identifyEmbedding(gallery, first.embedding, { threshold: 0.9 });
  const kinds: readonly DetectorKind[] = DETECTOR_KINDS;
  const code: FaceGateErrorCode = new FaceGateError('FG_CONFIG_INVALID', 'x').code;
  // @ts-expect-error an unknown detector name is refused by the types
  await createPipeline({ detector: 'yolo' });
  // @ts-expect-error decide needs the options (threshold, now)
  decide([]);
  return `${d.decision} ${kinds.length} ${code}`;
}
