/**
 * Embeddings of a labelled image set, extracted once and cached: <cacheDir>/<key>.f32 (rows of
 * float32, little-endian) + <key>.json (index). The key names the detector, the embedder and the
 * data set; the index records the sha256 of every model file used (an int8/fp16 build's own), so a
 * rebuilt pack or variant invalidates the cache instead of silently mixing embedding spaces. A
 * request for images the cache lacks embeds only those and appends them. Training runs repeat
 * often; the network should not.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { FaceGateError, errorMessage, isFaceGateError } from '../../sdk/errors.ts';
import { REPO_ROOT } from '../../models/paths.ts';
import { mostCentralFace } from '../../sdk/detect/face-choice.ts';
import { chooseFile, type ModelPack } from '../../sdk/runtime/pack.ts';
import type { Pipeline } from '../../sdk/pipeline/create-pipeline.ts';
import { DETECTORS, type DetectorKind as TrainDetector, type EmbedderId as TrainEmbedder } from '../../sdk/registry.ts';

export const DEFAULT_CACHE_DIR = join(REPO_ROOT, '.cache', 'embeddings');

export type { DetectorKind as TrainDetector, EmbedderId as TrainEmbedder } from '../../sdk/registry.ts';

export interface ExtractConfig {
  detector: TrainDetector;
  embedder: TrainEmbedder;
  flip?: boolean;
  packDir?: string;
  /** Embedder build (default fp32); part of the cache key. */
  precision?: 'fp32' | 'int8' | 'fp16';
}

export interface CacheIndex {
  version: 1;
  modelId: string;
  detector: TrainDetector;
  embedder: TrainEmbedder;
  flip: boolean;
  dim: number;
  /** sha256 of each pack model the embeddings came from (detector stages and embedder). */
  models: Record<string, string>;
  /** Image keys (paths relative to the images folder), one per row. */
  images: string[];
  /** Per row: how the face was found ('none' = normal detection) or 'failed' (row is zeros). */
  fallback: ('none' | 'low-threshold' | 'centre-crop' | 'failed')[];
}

export interface EmbeddedRows {
  index: CacheIndex;
  /** rows x dim; failed rows are zeros. */
  vectors: Float32Array;
  /** Rows embedded by this call (0 when everything came from the cache). */
  extracted: number;
}

export interface ImageItem {
  /** Stable key: the path relative to the images folder, as written in the CSV. */
  key: string;
  /** Absolute path to read. */
  path: string;
}


/** Cache file stem: detector, embedder, flip and a readable data-set name with a short path hash. */
export function cacheKey(cfg: ExtractConfig, imagesDir: string): string {
  const abs = resolve(imagesDir);
  const name = `${basename(dirname(abs))}-${basename(abs)}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  const h = createHash('sha256').update(abs).digest('hex').slice(0, 8);
  const prec = cfg.precision && cfg.precision !== 'fp32' ? `-${cfg.precision}` : '';
  return `${cfg.detector}-${cfg.embedder}${cfg.flip ? '-flip' : ''}${prec}-${name}-${h}`;
}

async function modelHashes(pack: ModelPack, cfg: ExtractConfig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // The file the precision loads (an int8 build's own sha256), so a rebuilt variant invalidates its cache.
  for (const id of [...DETECTORS[cfg.detector].models, cfg.embedder]) out[id] = chooseFile(pack.entry(id), cfg.precision ?? 'fp32').sha256;
  return out;
}

async function readCache(stem: string): Promise<{ index: CacheIndex; vectors: Float32Array } | null> {
  try {
    const index = JSON.parse(await readFile(`${stem}.json`, 'utf8')) as CacheIndex;
    const buf = await readFile(`${stem}.f32`);
    if (index.version !== 1 || buf.byteLength !== index.images.length * index.dim * 4) return null;
    const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    return { index, vectors };
  } catch {
    return null;
  }
}

async function writeCache(stem: string, index: CacheIndex, vectors: Float32Array): Promise<void> {
  await mkdir(dirname(stem), { recursive: true });
  const tmp = `.tmp-${process.pid}`;
  await writeFile(`${stem}.f32${tmp}`, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  await writeFile(`${stem}.json${tmp}`, JSON.stringify(index));
  // Vectors first, index last: a reader that sees the new index finds matching vectors.
  await rename(`${stem}.f32${tmp}`, `${stem}.f32`);
  await rename(`${stem}.json${tmp}`, `${stem}.json`);
  await rm(`${stem}.f32${tmp}`, { force: true });
}

export interface ExtractOptions extends ExtractConfig {
  imagesDir: string;
  cacheDir?: string;
  /** Called after each newly embedded image. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Embeddings for `items`, in the same order: from the cache where present, else by running the
 * pipeline (face nearest the image centre, the pipeline's no-face fallback on).
 */
export async function embedLabeledImages(items: readonly ImageItem[], o: ExtractOptions): Promise<EmbeddedRows> {
  const { openPack } = await import('../../sdk/pipeline/create-detector.ts');
  const pack = await openPack(o.packDir, { precision: o.precision });
  const cfg: ExtractConfig = { detector: o.detector, embedder: o.embedder, flip: Boolean(o.flip), packDir: o.packDir, precision: o.precision };
  let models: Record<string, string>;
  try {
    models = await modelHashes(pack, cfg);
  } catch (e) {
    throw new FaceGateError(isFaceGateError(e) ? e.code : 'FG_MODEL_MISSING', `${errorMessage(e)} — needed for ${cfg.detector} + ${cfg.embedder}`, { cause: e });
  }
  const stem = join(o.cacheDir ?? DEFAULT_CACHE_DIR, cacheKey(cfg, o.imagesDir));
  let cached = await readCache(stem);
  if (cached && (JSON.stringify(cached.index.models) !== JSON.stringify(models) || cached.index.flip !== Boolean(o.flip))) cached = null;
  const have = new Map<string, number>();
  cached?.index.images.forEach((k, i) => have.set(k, i));
  const missing = [...new Map(items.filter((it) => !have.has(it.key)).map((it) => [it.key, it])).values()];

  let index: CacheIndex;
  let all: Float32Array;
  if (missing.length === 0 && cached) {
    index = cached.index;
    all = cached.vectors;
  } else {
    const { createPipeline } = await import('../../sdk/pipeline/create-pipeline.ts');
    const p = await createPipeline({ detector: o.detector, embedder: o.embedder, flip: o.flip, packDir: o.packDir, precision: o.precision });
    const fresh: Float32Array[] = [];
    const fallback: CacheIndex['fallback'] = [];
    let dim = cached?.index.dim ?? 0;
    try {
      for (const [i, it] of missing.entries()) {
        const { r, k } = await analyzeCentral(p, it.path);
        if (k < 0) {
          fresh.push(new Float32Array(0));
          fallback.push('failed');
        } else {
          const e = r.faces[k].embedding;
          dim = e.length;
          fresh.push(e);
          fallback.push(r.fallback ?? 'none');
        }
        o.onProgress?.(i + 1, missing.length);
      }
    } finally {
      await p.release();
    }
    if (dim === 0) throw new FaceGateError('FG_INPUT_INVALID', 'no face could be embedded in any image');
    const before = cached?.index.images.length ?? 0;
    all = new Float32Array((before + missing.length) * dim);
    if (cached) all.set(cached.vectors);
    fresh.forEach((v, i) => { if (v.length) all.set(v, (before + i) * dim); });
    index = {
      version: 1,
      modelId: p.modelId,
      detector: o.detector,
      embedder: o.embedder,
      flip: Boolean(o.flip),
      dim,
      models,
      images: [...(cached?.index.images ?? []), ...missing.map((m) => m.key)],
      fallback: [...(cached?.index.fallback ?? []), ...fallback],
    };
    await writeCache(stem, index, all);
    index.images.forEach((k, i) => have.set(k, i));
  }
  // The requested rows, in request order.
  const dim = index.dim;
  const vectors = new Float32Array(items.length * dim);
  const rowsIndex: CacheIndex = { ...index, images: [], fallback: [] };
  items.forEach((it, i) => {
    const r = have.get(it.key)!;
    vectors.set(all.subarray(r * dim, (r + 1) * dim), i * dim);
    rowsIndex.images.push(it.key);
    rowsIndex.fallback.push(index.fallback[r]);
  });
  return { index: rowsIndex, vectors, extracted: missing.length };
}

export interface SharedExtractOptions {
  detector: TrainDetector;
  /** Embedder variants to fill, each its own cache file; the face is detected once per image for all. */
  variants: readonly { embedder: TrainEmbedder; flip: boolean }[];
  imagesDir: string;
  cacheDir?: string;
  packDir?: string;
  precision?: ExtractConfig['precision'];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Fills the caches of several embedder variants in one pass: detection (the costly stage) runs
 * once per image and every variant embeds the same face, so fused or compared embeddings of one
 * image come from one detection. Images already in every variant's cache are skipped. Returns the
 * number of images embedded.
 */
export async function warmEmbeddingCaches(items: readonly ImageItem[], o: SharedExtractOptions): Promise<number> {
  if (o.variants.length === 0) return 0;
  const { openPack } = await import('../../sdk/pipeline/create-detector.ts');
  const { createPipeline } = await import('../../sdk/pipeline/create-pipeline.ts');
  const { OnnxEmbedder } = await import('../../sdk/embed/onnx-embedder.ts');
  const { loadFrame } = await import('../../sdk/image/load-frame.ts');
  const pack = await openPack(o.packDir, { precision: o.precision });
  const slots: { v: SharedExtractOptions['variants'][number]; models: Record<string, string>; stem: string; cached: { index: CacheIndex; vectors: Float32Array } | null; have: Set<string> }[] = [];
  for (const v of o.variants) {
    const cfg: ExtractConfig = { detector: o.detector, embedder: v.embedder, flip: v.flip, packDir: o.packDir, precision: o.precision };
    const models = await modelHashes(pack, cfg);
    const stem = join(o.cacheDir ?? DEFAULT_CACHE_DIR, cacheKey(cfg, o.imagesDir));
    let cached = await readCache(stem);
    if (cached && (JSON.stringify(cached.index.models) !== JSON.stringify(models) || cached.index.flip !== v.flip)) cached = null;
    slots.push({ v, models, stem, cached, have: new Set(cached?.index.images ?? []) });
  }
  const missing = [...new Map(items.filter((it) => slots.some((s) => !s.have.has(it.key))).map((it) => [it.key, it])).values()];
  if (missing.length === 0) return 0;
  const first = o.variants[0];
  const p = await createPipeline({ detector: o.detector, embedder: first.embedder, flip: first.flip, packDir: o.packDir, precision: o.precision });
  const others = await Promise.all(o.variants.slice(1).map((v) => OnnxEmbedder.create(pack, v.embedder, { flip: v.flip })));
  const fresh: { vec: Float32Array[]; fallback: CacheIndex['fallback'][number] }[] = [];
  try {
    for (const [i, it] of missing.entries()) {
      const { r, k } = await analyzeCentral(p, it.path);
      if (k < 0) fresh.push({ vec: o.variants.map(() => new Float32Array(0)), fallback: 'failed' });
      else {
        const frame = others.length ? await loadFrame(it.path) : null;
        const vec = [r.faces[k].embedding];
        for (const e of others) vec.push((await e.embed(frame!, [r.faces[k].landmarks5]))[0]);
        fresh.push({ vec, fallback: r.fallback ?? 'none' });
      }
      o.onProgress?.(i + 1, missing.length);
    }
  } finally {
    await p.release();
    await Promise.all(others.map((e) => e.release()));
  }
  for (const [j, s] of slots.entries()) {
    const add = missing.map((m, i) => ({ m, f: fresh[i] })).filter(({ m }) => !s.have.has(m.key));
    const dim = s.cached?.index.dim ?? add.find(({ f }) => f.vec[j].length)?.f.vec[j].length ?? 0;
    if (dim === 0) throw new FaceGateError('FG_INPUT_INVALID', 'no face could be embedded in any image');
    const before = s.cached?.index.images.length ?? 0;
    const all = new Float32Array((before + add.length) * dim);
    if (s.cached) all.set(s.cached.vectors);
    add.forEach(({ f }, i) => { if (f.vec[j].length) all.set(f.vec[j], (before + i) * dim); });
    await writeCache(s.stem, {
      version: 1,
      modelId: s.v.embedder,
      detector: o.detector,
      embedder: s.v.embedder,
      flip: s.v.flip,
      dim,
      models: s.models,
      images: [...(s.cached?.index.images ?? []), ...add.map(({ m }) => m.key)],
      fallback: [...(s.cached?.index.fallback ?? []), ...add.map(({ f }) => f.fallback)],
    }, all);
  }
  return missing.length;
}

/** Analyses one labelled image and picks its most central face (-1: none); a bad file names itself. */
async function analyzeCentral(p: Pipeline, path: string): Promise<{ r: Awaited<ReturnType<Pipeline['analyze']>>; k: number }> {
  let r: Awaited<ReturnType<Pipeline['analyze']>>;
  try {
    r = await p.analyze(path, { fallback: true });
  } catch (e) {
    throw new FaceGateError(isFaceGateError(e) ? e.code : 'FG_IMAGE_DECODE', `${path}: ${errorMessage(e)}`, { cause: e });
  }
  return { r, k: mostCentralFace(r.faces, r.width, r.height) };
}
