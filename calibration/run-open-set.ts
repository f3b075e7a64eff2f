/**
 * `facegate calibrate --open-set --labeled-csv <csv> --images <dir>`: the open-set 1:N protocol
 * (open-set-protocol.ts) on a site's labelled photos, at the operating point the device would use
 * (target FPIR and the model's impostor tail, or a given threshold), with figures for single
 * probes, pseudo-tracks and modelled larger galleries. Embeddings are cached: a rerun reads disk.
 */
import { FaceGateError } from '../sdk/errors.ts';
import { DEFAULT_FPIR, fitImpostorTail, impostorRateAt, type ImpostorTail } from '../sdk/match/operating-point.ts';
import { impostorTail, tailKey } from '../sdk/match/impostor-tails.ts';
import { FUSIONS } from '../sdk/embed/fusion.ts';
import type { EmbedderId } from '../sdk/embed/onnx-embedder.ts';
import { DEFAULT_DEVICE_EMBEDDER } from '../sdk/registry.ts';
import type { TrainEmbedder } from './train/embedding-cache.ts';
import { loadLabeledCsv } from './labeled.ts';
import { loadLabelFixes, applyLabelFixes, countLabelFixes, NO_LABEL_FIXES } from './label-fixes.ts';
import { labeledRows, type RowsModel } from './open-set-rows.ts';
import { buildOpenSetProtocol, impostorDistances } from './open-set-protocol.ts';
import { evaluateOpenSet, type OpenSetEvaluation } from './open-set-evaluation.ts';
import type { DetectorName } from './analyzer.ts';
import { resolvePrecision } from '../sdk/runtime/pack.ts';
import type { Precision, PrecisionSetting } from '../sdk/runtime/model-types.ts';

export interface OpenSetOptions {
  labeledCsv: string;
  images: string;
  detector?: DetectorName;
  embedder?: EmbedderId;
  flip?: boolean;
  fpir?: number;
  threshold?: number;
  margin?: number;
  votes?: number;
  gallerySize?: number;
  shots?: 1 | 2;
  seed?: number;
  /** CSV identity,same_as: label errors fixed before the protocol (label-fixes.ts: names that are one person, photos filed under the wrong person). */
  samePerson?: string;
  /** Embedder build: fp32 (default), int8, fp16, or auto (as the device: int8 on CPU). */
  precision?: PrecisionSetting;
  /** Fit the impostor tail on these photos instead of using the model's stored one. */
  fitTail?: boolean;
  cacheDir?: string;
  progress?: boolean;
}

export interface OpenSetResult extends OpenSetEvaluation {
  mode: 'open-set';
  model: string;
  detector: DetectorName;
  flip: boolean;
  /** Embedder build the rows were embedded with (the detector keeps fp32 where it has no such build). */
  precision: Precision;
  images: number;
  no_face: number;
  protocol: ReturnType<typeof buildOpenSetProtocol>['counts'] & { gallery_size: number; shots: number; seed: number; merged_names: number; moved_photos: number };
  tail: { source: 'stored' | 'fitted'; key: string; pairs: number; split: [number, number]; gpd: { xi: number; sigma: number }; this_data_rate_at_threshold?: number };
  elapsed_s: number;
}

function rowsModel(embedder: EmbedderId, flip: boolean, precision: Precision): RowsModel {
  const f = FUSIONS[embedder];
  return f ? { parts: f.parts as readonly TrainEmbedder[], weightA: f.weightA, flip, precision } : { parts: [embedder as TrainEmbedder], flip, precision };
}

export async function runOpenSet(o: OpenSetOptions): Promise<OpenSetResult> {
  const started = performance.now();
  if (o.threshold !== undefined && o.fpir !== undefined) throw new FaceGateError('FG_CLI_USAGE', 'use --fpir or --threshold, not both');
  if (o.fpir !== undefined && !(o.fpir > 0 && o.fpir < 1)) throw new FaceGateError('FG_CLI_USAGE', `--fpir must be in (0, 1), got ${o.fpir}`);
  if (o.threshold !== undefined && !(o.threshold > 0 && o.threshold <= 2)) throw new FaceGateError('FG_CLI_USAGE', `--threshold must be a distance in (0, 2], got ${o.threshold}`);
  const detector = o.detector ?? 'mtcnn';
  const embedder = o.embedder ?? DEFAULT_DEVICE_EMBEDDER;
  const flip = o.flip ?? false;
  const precision = resolvePrecision(o.precision ?? 'fp32');
  const labeled = await loadLabeledCsv(o.labeledCsv, o.images);
  const fixes = o.samePerson ? await loadLabelFixes(o.samePerson, o.images) : NO_LABEL_FIXES;
  const fixed = countLabelFixes(labeled, fixes);
  const items = applyLabelFixes(labeled, fixes);
  const key = tailKey(embedder, flip);
  const stored = impostorTail(embedder, flip);
  if (!o.fitTail && !stored && o.threshold === undefined) {
    throw new FaceGateError('FG_CALIBRATION', `no stored impostor tail for ${key}: pass --fit-tail (fit it on these photos) or --threshold`);
  }
  const say = (msg: string) => { if (o.progress !== false) process.stderr.write(`${msg}\n`); };
  let last = 0;
  const rows = await labeledRows(items, o.images, detector, rowsModel(embedder, flip, precision), {
    cacheDir: o.cacheDir,
    onProgress: (d, t) => { if (performance.now() - last > 5000 || d === t) { last = performance.now(); say(`embedding ${d}/${t}`); } },
  });
  let tail: ImpostorTail;
  let source: 'stored' | 'fitted';
  if (o.fitTail || !stored) {
    say('impostor distances (all different-person pairs)...');
    tail = fitImpostorTail(impostorDistances(rows), key, 1e-3, `fitted on ${o.labeledCsv}`);
    source = 'fitted';
  } else {
    tail = stored;
    source = 'stored';
  }
  const gallerySize = o.gallerySize ?? 1200;
  const shots = o.shots ?? 2;
  const seed = o.seed ?? 1;
  const p = buildOpenSetProtocol(rows, { gallerySize, shots, seed });
  say(`searching: gallery ${p.templates.length} identities, ${p.mated.length} mated, ${p.strangers.length} stranger probes, ${p.matedTracks.length + p.strangerTracks.length} tracks`);
  const e = evaluateOpenSet(rows, p, tail, {
    fpir: o.fpir ?? DEFAULT_FPIR, threshold: o.threshold, margin: o.margin ?? 0, votes: o.votes ?? 3, modelSizes: [1000, 10000, 50000],
  }, (d, t) => { if (performance.now() - last > 5000) { last = performance.now(); say(`searched ${d}/${t}`); } });
  return {
    mode: 'open-set',
    model: embedder,
    detector,
    flip,
    precision,
    images: items.length,
    no_face: rows.ok.filter((x) => !x).length,
    protocol: { ...p.counts, gallery_size: gallerySize, shots, seed, merged_names: fixed.names, moved_photos: fixed.photos },
    tail: { source, key, pairs: tail.pairs, split: tail.table[0], gpd: tail.gpd, ...(source === 'stored' ? {} : { this_data_rate_at_threshold: impostorRateAt(tail, e.threshold) }) },
    ...e,
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
}
