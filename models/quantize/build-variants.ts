/**
 * Builds the int8 and fp16 files of a model pack next to the fp32 ones (<id>.int8.onnx,
 * <id>.fp16.onnx) and records them in each entry's `variants`, with the calibration images'
 * hash and the parameters used. A variant is rebuilt only when its fp32 source, the quantiser
 * code, its recipe or the calibration images changed.
 */
import { sourceOf } from '../paths.ts';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FaceGateError, errorMessage } from '../../sdk/errors.ts';
import type { PackEntry, PackVariant, VariantCalibration } from '../../sdk/runtime/model-types.ts';
import { sha256 } from '../fetch/fetch-source.ts';
import { calibratePack, cloneModel, type CalibratedModel } from './calibrate-pack.ts';
import { demoCalibrationImages, type CalibrationImageSet } from './calibration-inputs.ts';
import { convertToFp16 } from './fp16-convert.ts';
import { encodeModel, preOptimize } from './onnx-graph.ts';
import { applyQdq } from './qdq-quantize.ts';
import { FP16_MODELS, INT8_RECIPES, type Int8Recipe } from './recipes.ts';

export type VariantPrecision = 'int8' | 'fp16';

export interface VariantBuildOptions {
  /** Default both. */
  precisions?: readonly VariantPrecision[];
  /** Default: the face-api demo photos (always present). */
  calibration?: CalibrationImageSet;
  /** Limit to these model ids (default: every model with a recipe). */
  only?: readonly string[];
  force?: boolean;
  onProgress?: (msg: string) => void;
}

export interface VariantBuildReport {
  built: { id: string; precision: VariantPrecision; bytes: number; cached: boolean }[];
  failed: { id: string; precision: VariantPrecision; error: string }[];
  calibration?: { source: string; images: number; faces: number; ms: number };
  ms: number;
}

/** Hash of the quantiser's code: a change rebuilds every variant. */
async function codeHash(): Promise<string> {
  const dir = new URL('./', sourceOf(import.meta.url));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  return sha256(Buffer.concat(await Promise.all(files.map((f) => readFile(new URL(f, dir))))));
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

async function fileMatches(path: string, sha: string): Promise<boolean> {
  const b = await readFile(path).catch(() => null);
  return !!b && sha256(b) === sha;
}

/** Refuses a file ORT cannot load, naming the model (never ship a broken variant). */
async function checkLoads(bytes: Uint8Array, what: string): Promise<void> {
  try {
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'extended' });
    await s.release();
  } catch (e) {
    throw new FaceGateError('FG_MODEL_CONVERT', `${what} does not load in ONNX Runtime: ${errorMessage(e).split('\n')[0]}`, { cause: e });
  }
}

function int8Params(r: Int8Recipe, recipe: string, from: string, m: CalibratedModel): Record<string, string | number | boolean> {
  const integer = r.integerMax !== false;
  return {
    format: 'qdq', weights: `int8 per-channel symmetric${r.reduceRange ? ', 7-bit (reduce range)' : ''}`, activations: 'uint8 per-tensor asymmetric',
    reduceRange: r.reduceRange, equalize: r.equalize ?? false, ...(r.biasCorrection ? { biasCorrection: true } : {}), floatTail: r.floatTail ?? 0, exclude: (r.exclude ?? []).join(',') || 'none',
    prelu: `${m.prelu.rewritten} as max(x, s*x)${integer ? ' (on uint8 where the slope became a 1x1 Conv)' : ' in float'}, ${m.prelu.signFolded} sign-folded, `
      + `${m.prelu.clamped.length} clamped, ${m.prelu.kept.length} kept`,
    recipe, fromSha256: from,
  };
}

function fp16Params(recipe: string, from: string): Record<string, string | number | boolean> {
  return { io: 'float32 (Cast at the graph edges)', weights: 'float16', recipe, fromSha256: from };
}

/** Mutates `entries` (adds/replaces `variants`); files are written into `dir`. */
export async function buildVariants(dir: string, entries: PackEntry[], opts: VariantBuildOptions = {}): Promise<VariantBuildReport> {
  const t0 = performance.now();
  const log = opts.onProgress ?? (() => {});
  const precisions = opts.precisions ?? ['int8', 'fp16'];
  const code = await codeHash();
  const report: VariantBuildReport = { built: [], failed: [], ms: 0 };
  const wanted = (id: string) => !opts.only || opts.only.includes(id);
  const set = precisions.includes('int8') ? opts.calibration ?? (await demoCalibrationImages()) : undefined;

  // Keep what is up to date; collect the rest.
  const todo: { entry: PackEntry; precision: VariantPrecision; recipe: string }[] = [];
  for (const entry of entries) {
    for (const precision of precisions) {
      const r = precision === 'int8' ? INT8_RECIPES[entry.id] : FP16_MODELS.includes(entry.id) ? {} : undefined;
      if (!r || !wanted(entry.id)) continue;
      const recipe = sha256(Buffer.from(JSON.stringify({ code, r, precision, data: precision === 'int8' ? set!.dataHash : null })));
      const prev = entry.variants?.[precision];
      if (!opts.force && prev && prev.params?.recipe === recipe && prev.params?.fromSha256 === entry.sha256
        && (await fileMatches(join(dir, prev.file), prev.sha256))) {
        report.built.push({ id: entry.id, precision, bytes: prev.bytes, cached: true });
        continue;
      }
      todo.push({ entry, precision, recipe });
    }
  }

  const record = async (entry: PackEntry, precision: VariantPrecision, bytes: Uint8Array, v: Omit<PackVariant, 'file' | 'sha256' | 'bytes'>) => {
    const file = `${entry.id}.${precision}.onnx`;
    await checkLoads(bytes, `${precision} build of ${entry.id}`);
    await writeAtomic(join(dir, file), bytes);
    entry.variants = { ...entry.variants, [precision]: { file, sha256: sha256(bytes), bytes: bytes.byteLength, ...v } };
    report.built.push({ id: entry.id, precision, bytes: bytes.byteLength, cached: false });
  };

  for (const { entry, precision, recipe } of todo.filter((t) => t.precision === 'fp16')) {
    try {
      log(`fp16 ${entry.id}`);
      const model = await preOptimize(new Uint8Array(await readFile(join(dir, entry.file))));
      const { model: half } = convertToFp16(model);
      await record(entry, 'fp16', encodeModel(half), { params: fp16Params(recipe, entry.sha256) });
    } catch (e) {
      report.failed.push({ id: entry.id, precision: 'fp16', error: errorMessage(e) });
    }
  }

  const int8 = todo.filter((t) => t.precision === 'int8');
  if (int8.length) {
    log(`int8: calibrating ${int8.map((t) => t.entry.id).join(', ')} on ${set!.images.length} images (${set!.source})`);
    let cal: Awaited<ReturnType<typeof calibratePack>> | undefined;
    try {
      cal = await calibratePack(dir, int8.map((t) => t.entry.id), set!, (id) => INT8_RECIPES[id], { onProgress: log });
      report.calibration = { source: set!.source, images: cal.images, faces: cal.faces, ms: cal.ms };
      for (const { entry, recipe } of int8) {
        try {
          const r = INT8_RECIPES[entry.id];
          const m = cal.models.get(entry.id);
          if (!m) throw new FaceGateError('FG_MODEL_CONVERT', cal.failed.get(entry.id) ?? 'not calibrated');
          const ranges = m.calibrator.ranges(r.method, { percentile: r.percentile });
          const { model } = applyQdq(cloneModel(m.model), m.plan, ranges, r, { channelMeans: m.calibrator.channelMeans() });
          const calibration: VariantCalibration = {
            method: r.method, ...(r.method === 'percentile' ? { percentile: r.percentile ?? 0.9999 } : {}),
            source: set!.source, images: cal.images, faces: cal.faces, dataHash: set!.dataHash,
          };
          await record(entry, 'int8', encodeModel(model), {
            optLevel: r.optLevel, calibration, ...(r.auto === false ? { auto: false } : {}), params: int8Params(r, recipe, entry.sha256, m),
          });
        } catch (e) {
          report.failed.push({ id: entry.id, precision: 'int8', error: errorMessage(e) });
        }
      }
    } catch (e) {
      for (const t of int8) report.failed.push({ id: t.entry.id, precision: 'int8', error: errorMessage(e) });
    } finally {
      if (cal) await Promise.all([...cal.models.values()].map((m) => m.calibrator.release()));
    }
  }
  report.ms = performance.now() - t0;
  return report;
}
