import { buildPack } from '../../../models/build.ts';
import { directoryCalibrationImages } from '../../../models/quantize/calibration-inputs.ts';
import type { VariantPrecision } from '../../../models/quantize/build-variants.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { ModelPack } from '../../../sdk/runtime/pack.ts';

export interface ModelsBuildFlags {
  json?: boolean;
  force?: boolean;
  /** Postinstall: when FACEGATE_MODELS_DIR names a pack that opens, use it and build nothing. */
  useExisting?: boolean;
  precision?: string;
  calibrationDir?: string;
  calibrationImages?: string;
}

/** `--precision int8,fp16` (default) | int8 | fp16 | fp32 (fp32 only: no variants). */
function variantList(v: string | undefined): VariantPrecision[] {
  if (v === undefined) return ['int8', 'fp16'];
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 1 && parts[0] === 'fp32') return [];
  const bad = parts.filter((p) => p !== 'int8' && p !== 'fp16');
  if (!parts.length || bad.length) throw new FaceGateError('FG_CLI_USAGE', `--precision takes int8, fp16, int8,fp16 or fp32; got "${v}"`);
  return [...new Set(parts)] as VariantPrecision[];
}

export default async function modelsBuild(opts: ModelsBuildFlags): Promise<number> {
  const shared = process.env.FACEGATE_MODELS_DIR;
  if (opts.useExisting && shared) {
    // A device image or a consumer project may ship one read-only pack for every install.
    const pack = await ModelPack.open(shared).catch(() => null);
    if (pack) {
      const note = { used: shared, models: pack.manifest.models.length, built: [] };
      process.stdout.write(opts.json ? `${JSON.stringify(note)}\n` : `models: using the pack at ${shared} (FACEGATE_MODELS_DIR); nothing built\n`);
      return 0;
    }
  }
  const variants = variantList(opts.precision);
  let count = 200;
  if (opts.calibrationImages !== undefined) {
    count = Number(opts.calibrationImages);
    if (!Number.isInteger(count) || count < 1) throw new FaceGateError('FG_CLI_USAGE', `--calibration-images must be a positive integer, got "${opts.calibrationImages}"`);
    if (!opts.calibrationDir) throw new FaceGateError('FG_CLI_USAGE', '--calibration-images needs --calibration-dir');
  }
  const calibration = opts.calibrationDir ? await directoryCalibrationImages(opts.calibrationDir, count) : undefined;
  const report = await buildPack({ force: opts.force, variants, calibration, onProgress: (m) => process.stderr.write(`models: ${m}\n`) });
  if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    for (const b of report.built) process.stdout.write(`${b.id.padEnd(20)} ${b.cached ? 'cached' : 'built '} ${(b.bytes / 1e6).toFixed(2)} MB  ${b.sha256.slice(0, 16)}\n`);
    for (const v of report.variants?.built ?? []) process.stdout.write(`${`${v.id}.${v.precision}`.padEnd(25)} ${v.cached ? 'cached' : 'built '} ${(v.bytes / 1e6).toFixed(2)} MB\n`);
    for (const f of report.variants?.failed ?? []) process.stdout.write(`${`${f.id}.${f.precision}`.padEnd(25)} FAILED ${f.error}\n`);
    if (report.variants?.calibration) {
      const c = report.variants.calibration;
      process.stdout.write(`int8 calibration: ${c.images} images (${c.source}), ${c.faces} face detections, ${(c.ms / 1000).toFixed(1)} s\n`);
    }
  }
  // A missing variant is not fatal (postinstall runs this): loads fall back to fp32 with a logged reason.
  for (const f of report.variants?.failed ?? []) process.stderr.write(`facegate: warning: no ${f.precision} build of ${f.id}: ${f.error}\n`);
  return 0;
}
