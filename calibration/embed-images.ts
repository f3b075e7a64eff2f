/**
 * Embeds each unique image once, one at a time: only the embedding (a few hundred floats) is
 * kept, never the decoded image, so memory stays bounded for 10k-image sets.
 */
import { stat, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { FaceGateError, isFaceGateError, errorMessage } from '../sdk/errors.ts';
import { centralFaceIndex, type FaceAnalyzer } from './analyzer.ts';
import type { Progress } from './progress.ts';
import { median } from '../sdk/metrics/stats.ts';

export interface NoFaceCounts {
  /** Images where the detector found no face at its default thresholds. */
  images: number;
  /** ... of which a lower-threshold detection was used. */
  fallback_low_threshold: number;
  /** ... of which a centre crop was embedded. */
  centre_crop: number;
  /** ... of which nothing could be embedded (pairs with them count as distance 2, the maximum). */
  failed: number;
}

export interface StageMedians {
  decode: number;
  detect: number;
  embed: number;
  total: number;
}

export interface EmbeddedImages {
  embeddings: Map<string, Float32Array | null>;
  noFace: NoFaceCounts;
  /** Images where more than one face was found (the central one was used). */
  multiFace: number;
  ms: StageMedians;
  dim: number;
  /** sha256 over the per-image sha256 digests, in processing order: identifies the data calibrated on. */
  imagesSha256: string;
}

/** Refuses the run before any model work if an image is missing; names the first few. */
export async function checkImagesExist(paths: readonly string[]): Promise<void> {
  const missing: string[] = [];
  const batch = 64;
  for (let i = 0; i < paths.length; i += batch) {
    const found = await Promise.all(paths.slice(i, i + batch).map((p) => stat(p).then((s) => s.isFile(), () => false)));
    found.forEach((ok, k) => { if (!ok) missing.push(paths[i + k]); });
  }
  if (missing.length) {
    throw new FaceGateError('FG_INPUT_INVALID',
      `${missing.length} image${missing.length > 1 ? 's' : ''} not found: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`,
      { details: { missing: missing.slice(0, 20) } });
  }
}

export async function embedImages(paths: readonly string[], analyzer: FaceAnalyzer, progress?: Progress): Promise<EmbeddedImages> {
  const unique = [...new Set(paths)];
  const embeddings = new Map<string, Float32Array | null>();
  const noFace: NoFaceCounts = { images: 0, fallback_low_threshold: 0, centre_crop: 0, failed: 0 };
  const t = { decode: new Float64Array(unique.length), detect: new Float64Array(unique.length), embed: new Float64Array(unique.length), total: new Float64Array(unique.length) };
  let multiFace = 0;
  let dim = 0;
  const dataHash = createHash('sha256');
  for (const [i, path] of unique.entries()) {
    let r;
    try {
      // Read the bytes here so the data hash costs no second read; the pipeline decodes them.
      const bytes = await readFile(path);
      dataHash.update(createHash('sha256').update(bytes).digest());
      r = await analyzer.analyze(bytes, { fallback: true });
    } catch (e) {
      const code = isFaceGateError(e) ? e.code : 'FG_IMAGE_DECODE';
      throw new FaceGateError(code, `${path}: ${errorMessage(e)}`, { cause: e });
    }
    const fallback = r.fallback ?? 'none';
    if (fallback !== 'none' || r.faces.length === 0) noFace.images++;
    if (fallback === 'low-threshold') noFace.fallback_low_threshold++;
    if (fallback === 'centre-crop') noFace.centre_crop++;
    if (r.faces.length > 1) multiFace++;
    const k = centralFaceIndex(r.faces, r.width, r.height);
    if (k < 0) {
      noFace.failed++;
      embeddings.set(path, null);
    } else {
      const e = r.faces[k].embedding;
      dim = e.length;
      embeddings.set(path, e);
    }
    t.decode[i] = r.timings.decodeMs;
    t.detect[i] = r.timings.detectMs;
    t.embed[i] = r.timings.embedMs;
    t.total[i] = r.timings.totalMs;
    progress?.tick();
  }
  progress?.done();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    embeddings,
    noFace,
    multiFace,
    dim,
    imagesSha256: dataHash.digest('hex'),
    ms: { decode: round(median(t.decode)), detect: round(median(t.detect)), embed: round(median(t.embed)), total: round(median(t.total)) },
  };
}
