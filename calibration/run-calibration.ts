/**
 * `facegate calibrate`: labelled faces in, figures and a defensible threshold out. Every input is
 * checked before any model runs, and files (report, config) are written only after every figure
 * has been computed, so a bad input leaves nothing behind.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep, basename, extname } from 'node:path';
import { FaceGateError } from '../sdk/errors.ts';
import { DEFAULT_DETECTOR, DEFAULT_DEVICE_EMBEDDER } from '../sdk/registry.ts';
import { createAnalyzer, type FaceAnalyzer, type DetectorName, type EmbedderName } from './analyzer.ts';
import type { PrecisionSetting } from '../sdk/runtime/model-types.ts';
import { loadPairsCsv, evenSubset, type Pair } from './pairs.ts';
import { loadLabeledCsv, loadLabeledDir, labeledPairs, impostorSampleSize, limitLabeled, type LabeledImage } from './labeled.ts';
import { checkImagesExist, embedImages, type NoFaceCounts, type StageMedians } from './embed-images.ts';
import {
  scorePairs, splitScores, summarizeVerification, chooseThreshold, evaluateThreshold, holdoutCheck,
  type VerificationSummary, type ThresholdReport, type HoldoutCheck,
} from './evaluation.ts';
import { pairsNeededForFar } from '../sdk/metrics/index.ts';
import { identitiesFromPairs } from './identity-groups.ts';
import { createProgress } from './progress.ts';
import { writeReport, preflightReportDir } from './report/html-report.ts';
import type { ConfigWriter, WriteConfigResult } from './config-writer.ts';

export interface CalibrateOptions {
  pairs?: string;
  images?: string;
  labeledCsv?: string;
  labeledDir?: string;
  detector?: DetectorName;
  embedder?: EmbedderName;
  flip?: boolean;
  /** Model build (fp32 default, int8, fp16, auto): calibrate with what the device runs. */
  precision?: PrecisionSetting;
  /** Pairs mode: evenly spaced subset of N pairs. Labelled mode: at most N images, whole identities in listing order. */
  limit?: number;
  targetFar?: number;
  threshold?: number;
  /** Choose the threshold on these CSV folds and measure it on the others (needs --target-far). */
  fitFolds?: number[];
  seed?: number;
  /** Labelled mode: impostor pairs to sample (default ~100 expected false accepts at the target FAR). */
  impostorPairs?: number;
  report?: string;
  writeConfig?: string;
  /** Writes `writeConfig` (the device supplies it); required with writeConfig. */
  configWriter?: ConfigWriter;
  /** Progress on stderr (default true). */
  progress?: boolean;
}

export interface CalibrationResult extends VerificationSummary {
  model: string;
  detector: DetectorName;
  embedder: EmbedderName;
  flip: boolean;
  /** Model build used, when one was asked for. */
  precision?: PrecisionSetting;
  distance: 'euclidean';
  images: number;
  no_face: NoFaceCounts;
  multi_face: number;
  ms: StageMedians;
  input: Record<string, unknown>;
  data_sha256: string;
  threshold?: number;
  target_far?: number;
  far_at_threshold?: number;
  frr_at_threshold?: number;
  threshold_detail?: ThresholdReport;
  holdout?: HoldoutCheck;
  report?: string;
  config?: WriteConfigResult;
  elapsed_s: number;
}

const DEFAULT_TARGET_FAR_FOR_SAMPLING = 1e-3;

function usage(msg: string): never {
  throw new FaceGateError('FG_CLI_USAGE', msg);
}

function checkOptions(o: CalibrateOptions): void {
  const sources = [o.pairs && '--pairs', o.labeledCsv && '--labeled-csv', o.labeledDir && '--labeled-dir'].filter(Boolean);
  if (sources.length !== 1) usage(sources.length ? `use one input, not ${sources.join(' and ')}` : 'an input is required: --pairs <csv> --images <dir>, --labeled-csv <csv> --images <dir>, or --labeled-dir <dir>');
  if ((o.pairs || o.labeledCsv) && !o.images) usage(`${o.pairs ? '--pairs' : '--labeled-csv'} needs --images <dir> (the folder the CSV paths are relative to)`);
  if (o.targetFar !== undefined && o.threshold !== undefined) usage('use --target-far or --threshold, not both');
  if (o.targetFar !== undefined && !(o.targetFar > 0 && o.targetFar < 1)) usage(`--target-far must be a number in (0, 1), got ${o.targetFar}`);
  if (o.threshold !== undefined && !(o.threshold > 0 && o.threshold <= 2)) usage(`--threshold must be a Euclidean distance in (0, 2], got ${o.threshold}`);
  if (o.fitFolds && o.targetFar === undefined) usage('--fit-folds needs --target-far');
  if (o.writeConfig && o.targetFar === undefined && o.threshold === undefined) usage('--write-config needs --target-far or --threshold');
  if (o.writeConfig && o.fitFolds) usage('--write-config with --fit-folds is ambiguous: calibrate on all data to write a config');
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 1)) usage(`--limit must be an integer > 1, got ${o.limit}`);
}

interface LoadedInput {
  pairs: Pair[];
  identities: Map<string, string>;
  info: Record<string, unknown>;
  listSha256: string;
}

async function loadInput(o: CalibrateOptions): Promise<LoadedInput> {
  if (o.pairs) {
    const list = await loadPairsCsv(o.pairs, o.images!);
    const pairs = o.limit ? evenSubset(list.pairs, o.limit) : list.pairs;
    const listSha256 = createHash('sha256').update(await readFile(o.pairs)).digest('hex');
    return { pairs, identities: identitiesFromPairs(pairs), info: { kind: 'pairs', csv: o.pairs, images: o.images, has_folds: list.hasFolds, pairs_in_csv: list.pairs.length }, listSha256 };
  }
  let items: LabeledImage[] = o.labeledCsv ? await loadLabeledCsv(o.labeledCsv, o.images!) : await loadLabeledDir(o.labeledDir!);
  const total = items.length;
  if (o.limit) items = limitLabeled(items, o.limit);
  const seed = o.seed ?? 1;
  const impostorPairs = o.impostorPairs ?? impostorSampleSize(o.targetFar ?? DEFAULT_TARGET_FAR_FOR_SAMPLING);
  const lp = labeledPairs(items, { seed, impostorPairs });
  const listSha256 = createHash('sha256').update(items.map((i) => `${i.identity}\t${i.path}`).join('\n')).digest('hex');
  return {
    pairs: lp.pairs,
    identities: new Map(items.map((i) => [i.path, i.identity])),
    info: {
      kind: o.labeledCsv ? 'labeled-csv' : 'labeled-dir',
      source: o.labeledCsv ?? o.labeledDir,
      images_listed: total,
      identities: lp.identities,
      genuine_pairs: lp.genuinePairs,
      impostor_pairs_possible: lp.impostorPairsPossible,
      impostor_pairs_sampled: lp.impostorPairsSampled,
      seed,
    },
    listSha256,
  };
}

/**
 * A readable identity label: the person's folder under --images (LFW layout Name/Name_0001.jpg),
 * else the image name of the group's first image. Labelled inputs already carry names.
 */
function displayName(id: string, imagesDir: string | undefined): string {
  if (!imagesDir || !isAbsolute(id)) return id;
  const rel = relative(resolve(imagesDir), id);
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[parts.length - 2] : basename(rel, extname(rel));
}

/** Checks that need only the pair list: run before any image is embedded. */
function precheck(o: CalibrateOptions, pairs: readonly Pair[]): void {
  const impostors = (keep: (p: Pair) => boolean) => pairs.filter((p) => !p.same && keep(p)).length;
  if (impostors(() => true) === 0) throw new FaceGateError('FG_CALIBRATION', 'no impostor pairs: the data hold one person only (or every pair is same = 1); a threshold needs pairs of different people');
  if (!pairs.some((p) => p.same)) throw new FaceGateError('FG_CALIBRATION', 'no genuine pairs (same = 1): a threshold needs pairs of the same person');
  if (o.targetFar !== undefined) {
    const fit = o.fitFolds ? new Set(o.fitFolds) : null;
    const n = impostors((p) => !fit || fit.has(p.fold));
    const need = pairsNeededForFar(o.targetFar);
    if (n < need) {
      throw new FaceGateError('FG_CALIBRATION',
        `target FAR ${o.targetFar} needs at least ${need} impostor pairs${fit ? ` in folds ${[...fit].join(',')}` : ''} (rule of three: n pairs cannot show a FAR below 3/n); the data have ${n}. Add impostor pairs (e.g. --labeled-csv/--labeled-dir with --impostor-pairs) or raise --target-far to at least ${(3 / Math.max(1, n)).toPrecision(2)}`);
    }
  }
}

export async function runCalibration(o: CalibrateOptions, env: { analyzer?: FaceAnalyzer; now?: () => Date } = {}): Promise<CalibrationResult> {
  const started = performance.now();
  checkOptions(o);
  const input = await loadInput(o);
  precheck(o, input.pairs);
  const paths = [...new Set(input.pairs.flatMap((p) => [p.a, p.b]))];
  await checkImagesExist(paths);
  const detector = o.detector ?? DEFAULT_DETECTOR;
  // A threshold is chosen for a device: by default, the device's embedder.
  const embedder = o.embedder ?? DEFAULT_DEVICE_EMBEDDER;
  const flip = o.flip ?? false;
  if (o.writeConfig) await configWriter(o).preflight(o.writeConfig, { detector, embedder, flip });
  if (o.report) await preflightReportDir(o.report);

  const analyzer = env.analyzer ?? (await createAnalyzer({ detector, embedder, flip, precision: o.precision }));
  let embedded;
  try {
    embedded = await embedImages(paths, analyzer, createProgress(paths.length, 'embedding', { enabled: o.progress !== false }));
  } finally {
    if (!env.analyzer) await analyzer.release();
  }

  const scores = scorePairs(input.pairs, embedded.embeddings);
  const { summary, roc } = summarizeVerification(scores);
  const { genuine, impostor } = splitScores(scores);
  let thr: ThresholdReport | undefined;
  let holdout: HoldoutCheck | undefined;
  if (o.targetFar !== undefined && o.fitFolds) {
    const h = holdoutCheck(scores, o.fitFolds, o.targetFar);
    thr = h.fit;
    holdout = h.check;
  } else if (o.targetFar !== undefined) thr = chooseThreshold(genuine, impostor, o.targetFar);
  else if (o.threshold !== undefined) thr = evaluateThreshold(genuine, impostor, o.threshold);

  const dataSha256 = createHash('sha256').update(input.listSha256).update(embedded.imagesSha256).digest('hex');
  const result: CalibrationResult = {
    ...summary,
    model: analyzer.modelId,
    detector,
    embedder,
    flip,
    ...(o.precision ? { precision: o.precision } : {}),
    distance: 'euclidean',
    images: paths.length,
    no_face: embedded.noFace,
    multi_face: embedded.multiFace,
    ms: embedded.ms,
    input: input.info,
    data_sha256: dataSha256,
    ...(thr ? {
      threshold: thr.threshold,
      ...(thr.target_far !== undefined ? { target_far: thr.target_far } : {}),
      far_at_threshold: thr.far_at_threshold,
      frr_at_threshold: thr.frr_at_threshold,
      threshold_detail: thr,
    } : {}),
    ...(holdout ? { holdout } : {}),
    elapsed_s: 0,
  };

  // Outputs last: nothing is written unless every figure above was computed. The report comes
  // first; the config last.
  const now = (env.now ?? (() => new Date()))();
  result.elapsed_s = Math.round((performance.now() - started) / 100) / 10;
  if (o.report) {
    const vectors: Float32Array[] = [];
    const ids: string[] = [];
    for (const p of paths) {
      const e = embedded.embeddings.get(p);
      const id = input.identities.get(p);
      if (e && id !== undefined) { vectors.push(e); ids.push(displayName(id, o.images)); }
    }
    result.report = await writeReport(o.report, {
      title: `FaceGate calibration — ${detector} + ${embedder}${flip ? ' + flip' : ''}`,
      generatedAt: now.toISOString(),
      result: result as unknown as Record<string, unknown>,
      roc,
      genuine,
      impostor,
      thresholdEer: summary.threshold_eer,
      threshold: thr ? { value: thr.threshold, label: thr.source === 'target-far' ? `threshold @ FAR ${thr.target_far}` : 'given threshold' } : undefined,
      embedding: { vectors, identities: ids },
    });
  }
  // The config last: a site's threshold changes only when everything else succeeded.
  if (o.writeConfig && thr) {
    result.config = await configWriter(o).write(o.writeConfig, {
      threshold: thr.threshold,
      date: now.toISOString(),
      dataSha256,
      modelId: analyzer.modelId,
      detector,
      embedder,
      flip,
      summary: thr.target_far !== undefined
        ? `target FAR ${thr.target_far}, FAR ${thr.far_at_threshold} (95% CI ${thr.far_ci.lower}-${thr.far_ci.upper}), FRR ${thr.frr_at_threshold} on ${thr.impostor_pairs}/${thr.genuine_pairs} impostor/genuine pairs`
        : `given threshold, FAR ${thr.far_at_threshold}, FRR ${thr.frr_at_threshold} on ${thr.impostor_pairs}/${thr.genuine_pairs} impostor/genuine pairs`,
    });
  }
  return result;
}

function configWriter(o: { configWriter?: ConfigWriter }): ConfigWriter {
  if (!o.configWriter) throw new FaceGateError('FG_CLI_USAGE', 'writeConfig needs a configWriter (the device config writer)');
  return o.configWriter;
}
