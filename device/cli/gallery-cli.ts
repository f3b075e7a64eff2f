/**
 * Flag handling shared by the gallery commands (enroll, remove, gallery, identify): number flags,
 * CSV inputs confined to --images, and opening the gallery together with a pipeline whose
 * embedder matches it (an existing gallery picks the embedder; a new one takes the device's default).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FaceGateError } from '../../sdk/errors.ts';
import { Gallery, GALLERY_DB } from '../../sdk/gallery/index.ts';
import type { SiteKey } from '../../sdk/security/site-key.ts';
import type { LabeledImage, ProbeImage } from '../../sdk/gallery/image-jobs.ts';
import { createPipeline, type Pipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { DETECTOR_KINDS, type DetectorKind } from '../../sdk/pipeline/create-detector.ts';
import { EMBEDDER_IDS, type EmbedderId } from '../../sdk/embed/onnx-embedder.ts';
import { DEFAULT_DEVICE_EMBEDDER } from '../../sdk/registry.ts';
import { readCsvRows } from '../../calibration/csv-rows.ts';
import { precisionFlag } from './commands/precision-flag.ts';
import { oneOf } from './flag-values.ts';
import { resolveConfined } from '../../calibration/image-path.ts';

export interface PipelineFlags {
  detector?: string;
  embedder?: string;
  flip?: boolean;
  precision?: string;
}

export function galleryExists(db: string): boolean {
  return existsSync(join(db, GALLERY_DB));
}

/**
 * Opens the gallery and a pipeline for it. An existing gallery fixes the embedder (asking for
 * another one is a model mismatch); `create` makes a new gallery bound to the pipeline's model.
 */
export async function openWithPipeline(db: string, f: PipelineFlags, create: boolean, key: SiteKey | null = null): Promise<{ gallery: Gallery; pipeline: Pipeline }> {
  const detector = oneOf<DetectorKind>('--detector', f.detector, DETECTOR_KINDS);
  const requested = oneOf<EmbedderId>('--embedder', f.embedder, EMBEDDER_IDS);
  let gallery: Gallery | undefined;
  if (galleryExists(db)) {
    gallery = await Gallery.open(db, requested ? { modelId: requested, key } : { key });
  } else if (!create) {
    throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no gallery in ${db} (enrol someone first)`);
  }
  // A new gallery is made for a device: by default it holds the device's embedder, so a door run
  // with the default config accepts it.
  const embedder = requested ?? (gallery ? (gallery.modelId as EmbedderId) : DEFAULT_DEVICE_EMBEDDER);
  let pipeline: Pipeline;
  try {
    pipeline = await createPipeline({ detector, embedder, flip: Boolean(f.flip), precision: precisionFlag(f.precision) });
  } catch (e) {
    await gallery?.close();
    throw e;
  }
  if (!gallery) {
    try {
      gallery = await Gallery.open(db, { modelId: pipeline.modelId, dim: pipeline.embedder.dim, create: true, key });
    } catch (e) {
      await pipeline.release();
      throw e;
    }
  }
  return { gallery, pipeline };
}

export async function readLabeledCsv(csv: string, images: string): Promise<LabeledImage[]> {
  const out: LabeledImage[] = [];
  for await (const row of readCsvRows(csv, { required: ['identity', 'image'], describe: 'identity,image (extra columns ignored)' })) {
    const where = `${csv}: line ${row.line}`;
    const identity = row.values.identity;
    if (!identity) throw new FaceGateError('FG_CSV_INVALID', `${where}: empty identity`);
    out.push({ identity, image: row.values.image, path: resolveConfined(images, row.values.image, where) });
  }
  return out;
}

/** Probes: image[,true_identity]; true_identity UNKNOWN marks a person who is not enrolled. */
export async function readProbesCsv(csv: string, images: string): Promise<ProbeImage[]> {
  const out: ProbeImage[] = [];
  for await (const row of readCsvRows(csv, { required: ['image'], optional: ['true_identity'], describe: 'image[,true_identity] (true_identity UNKNOWN = not enrolled)' })) {
    const where = `${csv}: line ${row.line}`;
    const truth = row.values.true_identity;
    out.push({
      image: row.values.image,
      path: resolveConfined(images, row.values.image, where),
      // an empty cell gives no truth for that probe (left out of the summary)
      ...(truth === undefined || truth === '' ? {} : { truth: truth.toUpperCase() === 'UNKNOWN' ? null : truth }),
    });
  }
  return out;
}
