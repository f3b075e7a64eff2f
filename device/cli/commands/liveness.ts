/**
 * `facegate liveness --labels <csv> --images <dir> [--threshold t] [--model m] --json`:
 * ISO/IEC 30107-3 figures (BPCER, APCER overall / per attack type / per variant, AUC, per subject)
 * of a liveness model on labelled live and attack images. Without --threshold, the threshold is
 * the one where BPCER = 5% (--target-bpcer) on this data, or on --fit-subjects only.
 */
import { stat } from 'node:fs/promises';
import { readCsvRows, type CsvRow } from '../../../calibration/csv-rows.ts';
import { resolveConfined } from '../../../calibration/image-path.ts';
import { createProgress } from '../../../calibration/progress.ts';
import { FaceGateError } from '../../../sdk/errors.ts';
import { buildLivenessReport, createLivenessScorer, LABEL_COLUMNS, LABEL_HEADER_DESCRIPTION, LIVENESS_MODEL_IDS, parseLivenessRows, scoreLivenessSamples, type LivenessModelId, type LivenessReport } from '../../../sdk/liveness/index.ts';
import { DEFAULT_DETECTOR } from '../../../sdk/registry.ts';
import { createDetector, DETECTOR_KINDS, openPack, type DetectorKind } from '../../../sdk/pipeline/create-detector.ts';

export interface LivenessFlags {
  labels?: string;
  images?: string;
  threshold?: string;
  model?: string;
  detector?: string;
  targetBpcer?: string;
  fitSubjects?: string;
  perImage?: boolean;
  progress?: boolean;
  json?: boolean;
}

const usage = (msg: string) => new FaceGateError('FG_CLI_USAGE', msg);

function numberFlag(name: string, v: string | undefined, lo: number, hi: number, loOpen = false): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x > hi || (loOpen ? x <= lo : x < lo)) {
    throw usage(`${name} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got "${v}"`);
  }
  return x;
}

export default async function liveness(f: LivenessFlags): Promise<number> {
  if (!f.labels || !f.images) throw usage('--labels <csv> and --images <dir> are required');
  const model = (f.model ?? 'fr-liveness') as LivenessModelId;
  if (!LIVENESS_MODEL_IDS.includes(model)) throw usage(`--model must be one of ${LIVENESS_MODEL_IDS.join(', ')}, got "${f.model}"`);
  const detector = (f.detector ?? DEFAULT_DETECTOR) as DetectorKind;
  if (!DETECTOR_KINDS.includes(detector)) throw usage(`--detector must be one of ${DETECTOR_KINDS.join(', ')}, got "${f.detector}"`);
  const threshold = numberFlag('--threshold', f.threshold, 0, 1);
  const targetBpcer = numberFlag('--target-bpcer', f.targetBpcer, 0, 0.99);
  const fitSubjects = f.fitSubjects?.split(',').map((s) => s.trim()).filter(Boolean);
  if (f.fitSubjects !== undefined && !fitSubjects?.length) throw usage('--fit-subjects needs a comma-separated list of subjects');
  const imagesDir = await stat(f.images).catch(() => null);
  if (!imagesDir?.isDirectory()) throw usage(`--images ${f.images}: not a directory`);

  // Check the whole CSV and every image path before loading any model.
  const rows: CsvRow[] = [];
  for await (const row of readCsvRows(f.labels, { ...LABEL_COLUMNS, describe: LABEL_HEADER_DESCRIPTION })) rows.push(row);
  const samples = parseLivenessRows(rows, f.labels).map((s) => ({ ...s, path: resolveConfined(f.images!, s.image, `${f.labels}: line ${s.line}`) }));
  for (const s of samples) {
    const st = await stat(s.path).catch(() => null);
    if (!st?.isFile()) throw new FaceGateError('FG_CSV_INVALID', `${f.labels}: line ${s.line}: image "${s.image}" not found in ${f.images}`);
  }

  const pack = await openPack();
  const { detector: det } = await createDetector({ detector }, pack);
  let report: LivenessReport;
  try {
    const scorer = await createLivenessScorer(pack, { model });
    try {
      const progress = createProgress(samples.length, 'liveness', { enabled: f.progress !== false && samples.length > 1 });
      const scored = await scoreLivenessSamples(samples, { detector: det, scorer, onProgress: () => progress.tick() });
      progress.done();
      report = buildLivenessReport(scored, { model, threshold, targetBpcer, fitSubjects, perImage: f.perImage });
    } finally {
      await scorer.release();
    }
  } finally {
    await det.release();
  }
  if (f.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`);
    process.stdout.write(`${report.model}: threshold ${report.threshold} (${report.thresholdRule})\n`);
    process.stdout.write(`BPCER ${pct(report.bpcer)} (${report.liveRejected}/${report.live} live rejected), APCER ${pct(report.apcer)} (${report.attacksAccepted}/${report.attacks} attacks accepted), AUC ${report.auc ?? 'n/a'}\n`);
    for (const [k, g] of Object.entries(report.apcerByAttackVariant)) process.stdout.write(`  APCER ${k}: ${pct(g.apcer)} (${g.accepted}/${g.attacks})\n`);
    for (const s of report.subjects ?? []) process.stdout.write(`  subject ${s.subject}: BPCER ${pct(s.bpcer)} (${s.live} live), APCER ${pct(s.apcer)} (${s.attacks} attacks)\n`);
    if (report.noFace.length) process.stdout.write(`no face: ${report.noFace.map((n) => n.image).join(', ')}\n`);
  }
  return 0;
}
