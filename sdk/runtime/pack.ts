import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FaceGateError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { packBuildHint } from './pack-dir.ts';
import { PRECISIONS, type GraphOptLevel, type PackEntry, type PackManifest, type Precision, type PrecisionSetting } from './model-types.ts';
import { checkThreads, openSession, type ExecutionProvider, type OpenedSession, type SessionOptions } from './session.ts';

export interface LoadedModel extends OpenedSession {
  entry: PackEntry;
  /** Precision of the file that was loaded. */
  precision: Precision;
  /** Why the requested precision was not used (absent variant, GPU provider unavailable). */
  precisionFallback?: string;
}

export interface LoadOptions extends Omit<SessionOptions, 'expectedSha256' | 'optLevel'> {
  /** Which build of the model to load (default: the pack's default, else 'fp32'). */
  precision?: PrecisionSetting;
}

export interface PackDefaults {
  /** Precision for every load() that does not name one. */
  precision?: PrecisionSetting;
  /** ORT intra-op threads for every load() that does not name them (the session default is 1). */
  intraOpThreads?: number;
  logger?: Logger;
}

const GPU_PROVIDERS: readonly ExecutionProvider[] = ['tensorrt', 'cuda', 'webgpu', 'dml', 'coreml'];

/** 'auto' -> fp16 when a GPU execution provider is asked for, int8 otherwise (the device default). */
export function resolvePrecision(setting: PrecisionSetting, providers: readonly ExecutionProvider[] = ['cpu']): Precision {
  if (setting === 'auto') return providers.some((p) => GPU_PROVIDERS.includes(p)) ? 'fp16' : 'int8';
  if (!PRECISIONS.includes(setting)) {
    throw new FaceGateError('FG_CONFIG_INVALID', `precision must be one of ${[...PRECISIONS, 'auto'].join(', ')}, got "${String(setting)}"`);
  }
  return setting;
}

interface FileChoice {
  precision: Precision;
  file: string;
  sha256: string;
  optLevel: GraphOptLevel;
  reason?: string;
}

/** The file for `wanted`, or the fp32 file with the reason when the manifest has no such variant. */
export function chooseFile(entry: PackEntry, wanted: Precision): FileChoice {
  const fp32: FileChoice = { precision: 'fp32', file: entry.file, sha256: entry.sha256, optLevel: entry.optLevel };
  if (wanted === 'fp32') return fp32;
  const v = entry.variants?.[wanted];
  if (!v) {
    const built = Object.keys(entry.variants ?? {});
    return { ...fp32, reason: `the pack has no ${wanted} build of ${entry.id}${built.length ? ` (it has ${built.join(', ')})` : ''}; using fp32` };
  }
  return { precision: wanted, file: v.file, sha256: v.sha256, optLevel: v.optLevel ?? entry.optLevel };
}

/** A built model pack on disk (models/pack by default): manifest + ONNX files. */
export class ModelPack {
  readonly dir: string;
  readonly manifest: PackManifest;
  readonly defaults: PackDefaults;
  private constructor(dir: string, manifest: PackManifest, defaults: PackDefaults) {
    this.dir = dir;
    this.manifest = manifest;
    this.defaults = defaults;
  }

  static async open(dir: string, defaults: PackDefaults = {}): Promise<ModelPack> {
    const path = join(dir, 'manifest.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new FaceGateError('FG_MODEL_MISSING', `model pack manifest not found: ${path}; ${packBuildHint(dir)}`, { cause: e });
    }
    let manifest: PackManifest;
    try {
      manifest = JSON.parse(text) as PackManifest;
    } catch (e) {
      throw new FaceGateError('FG_MODEL_LOAD', `model pack manifest is not valid JSON: ${path}`, { cause: e });
    }
    if (manifest.version !== 1 || !Array.isArray(manifest.models)) {
      throw new FaceGateError('FG_MODEL_LOAD', `model pack manifest has an unknown format: ${path}`);
    }
    if (defaults.precision !== undefined) resolvePrecision(defaults.precision); // fail early on a bad value
    if (defaults.intraOpThreads !== undefined) checkThreads(defaults.intraOpThreads);
    return new ModelPack(dir, manifest, defaults);
  }

  entry(id: string): PackEntry {
    const e = this.manifest.models.find((m) => m.id === id);
    if (!e) {
      const known = this.manifest.models.map((m) => m.id).join(', ');
      throw new FaceGateError('FG_MODEL_MISSING', `model "${id}" is not in the pack (known: ${known})`);
    }
    return e;
  }

  /**
   * Opens a model's session, verifying its sha256 against the manifest. `precision` picks the
   * fp32 file or a variant; an absent variant falls back to fp32 with a logged reason. With
   * 'auto', an fp16 model whose GPU provider is unavailable is swapped for the int8 one (fp16
   * on CPU is emulated and slow), and an int8 build marked `auto: false` (no faster on CPU) is
   * passed over for fp32.
   */
  async load(id: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    const entry = this.entry(id);
    const log = opts.logger ?? this.defaults.logger ?? silentLogger;
    const setting = opts.precision ?? this.defaults.precision ?? 'fp32';
    const { precision: _p, ...sessionOpts } = opts;
    const open = async (wanted: Precision, providers = opts.providers) => {
      const choice = chooseFile(entry, wanted);
      if (choice.reason) log.warn('model precision fallback', { model: id, requested: wanted, used: choice.precision, reason: choice.reason });
      const opened = await openSession(join(this.dir, choice.file), {
        ...sessionOpts, intraOpThreads: opts.intraOpThreads ?? this.defaults.intraOpThreads, providers, logger: log, optLevel: choice.optLevel, expectedSha256: choice.sha256,
      });
      return { ...opened, entry, precision: choice.precision, ...(choice.reason ? { precisionFallback: choice.reason } : {}) };
    };
    let wanted = resolvePrecision(setting, opts.providers);
    if (setting === 'auto' && wanted === 'int8' && entry.variants?.int8?.auto === false) {
      wanted = 'fp32'; // measured no faster on CPU: auto keeps fp32 (no warning, it is the plan)
    }
    const first = await open(wanted);
    if (setting === 'auto' && first.precision === 'fp16' && first.provider === 'cpu') {
      await first.session.release();
      const reason = `no GPU provider could be used (${first.fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ')}); fp16 on CPU is slow, using int8`;
      log.warn('model precision fallback', { model: id, requested: 'fp16', reason });
      const second = await open('int8', ['cpu']);
      return { ...second, fallbacks: first.fallbacks, precisionFallback: second.precisionFallback ? `${reason}; ${second.precisionFallback}` : reason };
    }
    return first;
  }
}
