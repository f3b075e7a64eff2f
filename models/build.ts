import { mkdir, readdir, readFile, writeFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FaceGateError, errorMessage } from '../sdk/errors.ts';
import type { PackEntry, PackManifest } from '../sdk/runtime/model-types.ts';
import { fetchSource, sha256 } from './fetch/fetch-source.ts';
import { MODEL_SPECS } from './manifest/specs.ts';
import { PACK_DIR, sourceOf } from './paths.ts';
import { SOURCES, type SourceName } from './sources.ts';
import { convertTflite } from './convert/tflite-to-onnx.ts';
import { makeOnnxInputsDynamic } from './convert/onnx-patch.ts';
import { buildVariants, type VariantBuildReport, type VariantPrecision } from './quantize/build-variants.ts';
import type { CalibrationImageSet } from './quantize/calibration-inputs.ts';

export interface BuildReport {
  dir: string;
  built: { id: string; sha256: string; bytes: number; ms: number; cached: boolean }[];
  failed: { id: string; error: string }[];
  /** int8 / fp16 builds (absent when none were asked for). */
  variants?: VariantBuildReport;
}

export interface BuildOptions {
  force?: boolean;
  dir?: string;
  onProgress?: (msg: string) => void;
  /** Lower-precision builds to make next to the fp32 files (default int8 and fp16). */
  variants?: readonly VariantPrecision[];
  /** Calibration images for int8 (default: the face-api demo photos, always available). */
  calibration?: CalibrationImageSet;
}

/** Stable build recipe id: a change in converter code or specs must rebuild the pack. */
async function recipeHash(): Promise<string> {
  const convertDir = new URL('convert/', sourceOf(import.meta.url));
  const converter = (await readdir(convertDir)).filter((f) => f.endsWith('.ts')).sort().map((f) => `convert/${f}`);
  const files = [...converter, 'manifest/specs.ts', 'sources.ts'];
  const parts = await Promise.all(files.map((f) => readFile(new URL(f, sourceOf(import.meta.url)))));
  return sha256(Buffer.concat(parts));
}

async function ioOf(bytes: Uint8Array): Promise<Pick<PackEntry, 'inputs' | 'outputNames'>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    const meta = s.inputMetadata as readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[];
    return {
      inputs: s.inputNames.map((name, i) => ({ name, shape: [...(meta?.[i]?.shape ?? [])] })),
      outputNames: [...s.outputNames],
    };
  } finally {
    await s.release();
  }
}

/**
 * Builds the model pack: fetch pinned tarballs, check sha256 of every source file, convert
 * TFLite to ONNX, make batch/spatial dims dynamic, write <id>.onnx and manifest.json. Models
 * whose recipe and source are unchanged are kept (rebuilt with `force`).
 */
export async function buildPack(opts: BuildOptions = {}): Promise<BuildReport> {
  const dir = opts.dir ?? PACK_DIR;
  const log = opts.onProgress ?? (() => {});
  await mkdir(dir, { recursive: true });
  const recipe = await recipeHash();
  const previous = await readFile(join(dir, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as PackManifest & { recipe?: string }, () => null);
  const report: BuildReport = { dir, built: [], failed: [] };
  const entries: PackEntry[] = [];
  for (const [i, spec] of MODEL_SPECS.entries()) {
    const t0 = performance.now();
    log(`[${i + 1}/${MODEL_SPECS.length}] ${spec.id}`);
    try {
      const srcDir = await fetchSource(spec.source as SourceName, log);
      const src = SOURCES[spec.source as SourceName];
      const sourceSha256 = (src.files as Record<string, string>)[spec.path];
      const file = `${spec.id}.onnx`;
      const prev = previous?.recipe === recipe ? previous.models.find((m) => m.id === spec.id && m.sourceSha256 === sourceSha256) : undefined;
      if (prev && !opts.force) {
        const existing = await readFile(join(dir, file)).catch(() => null);
        if (existing && sha256(existing) === prev.sha256) {
          entries.push({ ...prev, ...spec });
          report.built.push({ id: spec.id, sha256: prev.sha256, bytes: prev.bytes, ms: performance.now() - t0, cached: true });
          continue;
        }
      }
      const raw = new Uint8Array(await readFile(join(srcDir, spec.path)));
      let onnx = spec.format === 'tflite' ? convertTflite(raw, { name: spec.id, dynamicInput: spec.dynamicInput }) : raw;
      if (spec.format === 'onnx' && spec.dynamicInput?.length) onnx = makeOnnxInputsDynamic(onnx, spec.dynamicInput);
      const io = await ioOf(onnx);
      const tmp = join(dir, `${file}.tmp`);
      await writeFile(tmp, onnx);
      await rename(tmp, join(dir, file));
      const digest = sha256(onnx);
      entries.push({ ...spec, ...io, file, sourceSpec: src.spec, sourceSha256, sha256: digest, bytes: onnx.byteLength, license: src.license });
      report.built.push({ id: spec.id, sha256: digest, bytes: onnx.byteLength, ms: performance.now() - t0, cached: false });
    } catch (e) {
      report.failed.push({ id: spec.id, error: errorMessage(e) });
      log(`  failed: ${errorMessage(e)}`);
    }
  }
  const manifest: PackManifest & { recipe: string } = { version: 1, builtAt: new Date().toISOString(), recipe, models: entries };
  const tmp = join(dir, 'manifest.json.tmp');
  await writeFile(tmp, JSON.stringify(manifest, null, 2));
  await rename(tmp, join(dir, 'manifest.json'));
  await rm(tmp, { force: true });
  const precisions = opts.variants ?? ['int8', 'fp16'];
  if (precisions.length && !report.failed.length) {
    // Variants never block the pack: an absent one falls back to fp32 at load time (logged).
    report.variants = await buildVariants(dir, entries, { precisions, calibration: opts.calibration, force: opts.force, onProgress: log });
    for (const f of report.variants.failed) log(`  ${f.precision} ${f.id} failed: ${f.error}`);
    manifest.builtAt = new Date().toISOString();
    await writeFile(tmp, JSON.stringify(manifest, null, 2));
    await rename(tmp, join(dir, 'manifest.json'));
  }
  if (report.failed.length) {
    throw new FaceGateError('FG_MODEL_CONVERT', `model pack incomplete: ${report.failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`, { details: { report } });
  }
  return report;
}
