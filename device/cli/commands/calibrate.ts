/** `facegate calibrate`: parses flags, runs calibration/, prints text or one JSON object. */
import { FaceGateError } from '../../../sdk/errors.ts';
import { DETECTOR_KINDS, EMBEDDER_IDS, type EmbedderId } from '../../../sdk/registry.ts';
import type { DetectorName, EmbedderName } from '../../../calibration/analyzer.ts';
import { runCalibration, type CalibrationResult } from '../../../calibration/run-calibration.ts';
import { runGalleryCalibration } from '../../../calibration/run-gallery-calibration.ts';
import { runOpenSet, type OpenSetResult } from '../../../calibration/run-open-set.ts';
import { precisionFlag } from './precision-flag.ts';
import { num, oneOf } from '../flag-values.ts';
import { galleryKey } from './key-flag.ts';
import { deviceConfigWriter } from '../../config/write-config.ts';

export interface CalibrateFlags {
  json?: boolean;
  pairs?: string;
  images?: string;
  labeledCsv?: string;
  labeledDir?: string;
  db?: string;
  keyFile?: string;
  probesCsv?: string;
  detector?: string;
  embedder?: string;
  flip?: boolean;
  limit?: string;
  targetFar?: string;
  threshold?: string;
  fitFolds?: string;
  seed?: string;
  impostorPairs?: string;
  report?: string;
  writeConfig?: string;
  progress?: boolean;
  precision?: string;
  openSet?: boolean;
  fpir?: string;
  margin?: string;
  gallerySize?: string;
  shots?: string;
  samePerson?: string;
  fitTail?: boolean;
}


const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function printText(r: CalibrationResult): void {
  const out = process.stdout;
  out.write(`${r.detector} + ${r.embedder}${r.flip ? ' + flip' : ''} (${r.model}): ${r.pairs} pairs (${r.genuine_pairs} genuine / ${r.impostor_pairs} impostor), ${r.images} images\n`);
  out.write(`accuracy  ${pct(r.accuracy)} ± ${pct(r.accuracy_std)}  [${r.accuracy_protocol}]\n`);
  if (r.accuracy_10fold !== null) out.write(`10 blocks ${pct(r.accuracy_10fold)} ± ${pct(r.accuracy_10fold_std ?? 0)}\n`);
  out.write(`AUC ${r.auc.toFixed(5)}  EER ${pct(r.eer)} at ${r.threshold_eer.toFixed(4)}  d' ${r.d_prime.toFixed(2)}\n`);
  out.write(`TAR at FAR 1e-2 ${pct(r.tar_at_far['0.01'])}, at FAR 1e-3 ${pct(r.tar_at_far['0.001'])} (smallest FAR these pairs can show: ${r.far_floor.toExponential(2)})\n`);
  out.write(`no face: ${r.no_face.images} images (low-threshold ${r.no_face.fallback_low_threshold}, centre crop ${r.no_face.centre_crop}, failed ${r.no_face.failed})\n`);
  out.write(`median ms: decode ${r.ms.decode}  detect ${r.ms.detect}  embed ${r.ms.embed}  total ${r.ms.total}\n`);
  if (r.threshold_detail) out.write(`threshold ${r.threshold_detail.threshold}: FRR ${pct(r.threshold_detail.frr_at_threshold)}; ${r.threshold_detail.statement}\n`);
  if (r.holdout) {
    const h = r.holdout;
    out.write(`held-out folds ${h.test_folds.join(',')}: FAR ${h.test.far_at_threshold} (${h.test.false_accepts}/${h.test.impostor_pairs}), FRR ${h.test.frr_at_threshold}; `
      + `inside the fit CI ${h.inside_far_ci ? 'yes' : 'NO'}, inside the prediction interval ${h.far_prediction_interval.lower}-${h.far_prediction_interval.upper} ${h.inside_prediction_interval ? 'yes' : 'NO'}\n`);
  }
  if (r.config) out.write(`wrote ${r.config.path} (match.threshold was ${r.config.previousThreshold}; backup ${r.config.backup})\n`);
  if (r.report) out.write(`report ${r.report}\n`);
}

export default async function calibrate(f: CalibrateFlags): Promise<number> {
  if (f.probesCsv && !f.db) throw new FaceGateError('FG_CLI_USAGE', '--probes-csv needs --db <gallery>');
  if (f.db) return calibrateGallery(f);
  if (f.openSet) return calibrateOpenSet(f);
  const openOnly = [f.fpir && '--fpir', f.margin && '--margin', f.gallerySize && '--gallery-size', f.shots && '--shots', f.samePerson && '--same-person', f.fitTail && '--fit-tail'].filter(Boolean);
  if (openOnly.length) throw new FaceGateError('FG_CLI_USAGE', `${openOnly.join(', ')} need${openOnly.length > 1 ? '' : 's'} --open-set`);
  const fitFolds = f.fitFolds === undefined ? undefined : f.fitFolds.split(',').map((s) => num('--fit-folds', s.trim(), { integer: true })!);
  const result = await runCalibration({
    pairs: f.pairs,
    images: f.images,
    labeledCsv: f.labeledCsv,
    labeledDir: f.labeledDir,
    detector: oneOf<DetectorName>('--detector', f.detector, DETECTOR_KINDS),
    embedder: oneOf<EmbedderName>('--embedder', f.embedder, EMBEDDER_IDS),
    flip: Boolean(f.flip),
    precision: precisionFlag(f.precision),
    limit: num('--limit', f.limit, { integer: true }),
    targetFar: num('--target-far', f.targetFar),
    threshold: num('--threshold', f.threshold),
    fitFolds,
    seed: num('--seed', f.seed, { integer: true }),
    impostorPairs: num('--impostor-pairs', f.impostorPairs, { integer: true }),
    report: f.report,
    writeConfig: f.writeConfig,
    configWriter: deviceConfigWriter,
    progress: f.progress !== false,
  });
  if (f.json) process.stdout.write(JSON.stringify(result) + '\n');
  else printText(result);
  return 0;
}

async function calibrateGallery(f: CalibrateFlags): Promise<number> {
  const other = [f.pairs && '--pairs', f.labeledCsv && '--labeled-csv', f.labeledDir && '--labeled-dir', f.limit && '--limit', f.fitFolds && '--fit-folds'].filter(Boolean);
  if (other.length) throw new FaceGateError('FG_CLI_USAGE', `--db does not combine with ${other.join(', ')}`);
  const r = await runGalleryCalibration({
    db: f.db!,
    key: galleryKey(f),
    probesCsv: f.probesCsv,
    images: f.images,
    detector: oneOf<DetectorName>('--detector', f.detector, DETECTOR_KINDS),
    embedder: oneOf<EmbedderName>('--embedder', f.embedder, EMBEDDER_IDS),
    flip: f.flip,
    precision: precisionFlag(f.precision),
    targetFar: num('--target-far', f.targetFar),
    threshold: num('--threshold', f.threshold),
    report: f.report,
    writeConfig: f.writeConfig,
    configWriter: deviceConfigWriter,
    progress: f.progress !== false,
  });
  if (f.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  const out = process.stdout;
  out.write(`gallery ${r.gallery}: ${r.identities} identities, ${r.templates} templates (${r.model})\n`);
  if (r.one_to_one) out.write(`1:1 from template pairs: AUC ${r.one_to_one.auc}, EER ${pct(r.one_to_one.eer)} at ${r.one_to_one.threshold_eer}, d' ${r.one_to_one.d_prime}\n`);
  else out.write('1:1: no identity has two templates, so no genuine pairs\n');
  if (r.threshold_detail) out.write(`1:1 threshold ${r.threshold_detail.threshold}: FRR ${pct(r.threshold_detail.frr_at_threshold)}; ${r.threshold_detail.statement}\n`);
  out.write(`1:N (${r.open_set.source}, gallery size ${r.open_set.gallery_size}): ${r.open_set.statement}${r.open_set.fnir !== null ? `; FNIR ${pct(r.open_set.fnir)}` : ''}\n`);
  if (r.config) out.write(`wrote ${r.config.path} (match.threshold was ${r.config.previousThreshold}; backup ${r.config.backup})\n`);
  if (r.report) out.write(`report ${r.report}\n`);
  return 0;
}

async function calibrateOpenSet(f: CalibrateFlags): Promise<number> {
  if (!f.labeledCsv || !f.images) throw new FaceGateError('FG_CLI_USAGE', '--open-set needs --labeled-csv <csv> --images <dir>');
  const other = [f.pairs && '--pairs', f.labeledDir && '--labeled-dir', f.limit && '--limit', f.fitFolds && '--fit-folds', f.targetFar && '--target-far', f.report && '--report', f.writeConfig && '--write-config'].filter(Boolean);
  if (other.length) throw new FaceGateError('FG_CLI_USAGE', `--open-set does not combine with ${other.join(', ')}`);
  const shots = num('--shots', f.shots, { integer: true });
  if (shots !== undefined && shots !== 1 && shots !== 2) throw new FaceGateError('FG_CLI_USAGE', `--shots must be 1 or 2, got ${f.shots}`);
  const r: OpenSetResult = await runOpenSet({
    labeledCsv: f.labeledCsv,
    images: f.images,
    detector: oneOf<DetectorName>('--detector', f.detector, ['mtcnn', 'rfb']),
    embedder: oneOf<EmbedderId>('--embedder', f.embedder, EMBEDDER_IDS),
    flip: Boolean(f.flip),
    fpir: num('--fpir', f.fpir),
    threshold: num('--threshold', f.threshold),
    margin: num('--margin', f.margin),
    gallerySize: num('--gallery-size', f.gallerySize, { integer: true }),
    shots: shots as 1 | 2 | undefined,
    seed: num('--seed', f.seed, { integer: true }),
    samePerson: f.samePerson,
    precision: precisionFlag(f.precision),
    fitTail: f.fitTail,
    progress: f.progress !== false,
  });
  if (f.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  const out = process.stdout;
  const s = r.single;
  const rate = (x: { rate: number; count: number; of: number }) => `${pct(x.rate)} (${x.count}/${x.of})`;
  out.write(`${r.detector} + ${r.model}${r.flip ? ' + flip' : ''} (${r.precision}): gallery ${r.gallery.identities} identities / ${r.gallery.templates} templates (${r.protocol.shots} photo${r.protocol.shots > 1 ? 's' : ''} each)\n`);
  out.write(`threshold ${r.threshold} (${r.threshold_source === 'fpir' ? `target FPIR ${r.target_fpir}` : 'given'}; implied FPIR ${r.implied_fpir.toExponential(2)} from the ${r.tail.source} tail ${r.tail.key})\n`);
  out.write(`single probes: rank-1 ${pct(s.rank1)}; enrolled granted as themselves ${rate(s.granted_as_self)}, as someone else ${rate(s.misidentified)}; strangers granted ${rate(s.strangers_granted)}\n`);
  for (const [k, t] of Object.entries(r.tracks.rules)) out.write(`tracks (${k}): enrolled ${rate(t.granted_as_self)}, misidentified ${rate(t.misidentified)}, strangers ${rate(t.strangers_granted)}\n`);
  for (const m of r.modelled) out.write(`modelled ${m.gallery_size} people: threshold ${m.threshold}, FPIR ${m.fpir.toExponential(2)}, enrolled granted ${pct(m.dir)}, misidentified ${pct(m.misidentified)}\n`);
  return 0;
}
