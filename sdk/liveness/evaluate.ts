/**
 * Liveness evaluation on labelled images: score every image (largest detected face), then the
 * ISO/IEC 30107-3 figures. Scoring does I/O and inference; the report is pure.
 */
import { FaceGateError, errorMessage, isFaceGateError } from '../errors.ts';
import { loadFrame } from '../image/load-frame.ts';
import { largestFace } from '../detect/face-choice.ts';
import type { Detector, Frame } from '../types.ts';
import type { LivenessSample } from './labels.ts';
import { padAuc, padEqualError, padRates, thresholdForBpcer } from './pad-metrics.ts';
import type { LivenessScorer } from './types.ts';

export interface ScoredSample extends LivenessSample {
  /** Liveness score of the largest face; null when no face was found. */
  score: number | null;
  faces: number;
  /** Scoring time of the face (crop + inference), ms. */
  ms?: number;
}

export interface ScoreSamplesDeps {
  detector: Detector;
  scorer: LivenessScorer;
  /** Called after each image. */
  onProgress?: () => void;
}

/** Scores each sample's image (`path`: where to read it). A missing or corrupt image throws, naming its CSV line. */
export async function scoreLivenessSamples(samples: readonly (LivenessSample & { path: string })[], deps: ScoreSamplesDeps): Promise<ScoredSample[]> {
  const out: ScoredSample[] = [];
  for (const s of samples) {
    const { path, ...sample } = s;
    let frame: Frame;
    try {
      frame = await loadFrame(path);
    } catch (e) {
      if (isFaceGateError(e)) throw new FaceGateError(e.code, `line ${s.line} (${s.image}): ${errorMessage(e)}`, { cause: e, details: e.details });
      throw e;
    }
    const faces = await deps.detector.detect(frame);
    const i = largestFace(faces);
    if (i < 0) {
      out.push({ ...sample, score: null, faces: 0 });
    } else {
      const t0 = performance.now();
      const score = await deps.scorer.score(frame, faces[i]);
      out.push({ ...sample, score, faces: faces.length, ms: performance.now() - t0 });
    }
    deps.onProgress?.();
  }
  return out;
}

export interface LivenessReportOptions {
  model: string;
  /** Evaluate this threshold; otherwise the one where BPCER = targetBpcer is chosen. */
  threshold?: number;
  /** Default 0.05. */
  targetBpcer?: number;
  /** Choose the threshold on these subjects only and report the others (leave-subjects-out). */
  fitSubjects?: readonly string[];
  /** Include every image's score. */
  perImage?: boolean;
}

export interface GroupRate {
  apcer: number;
  accepted: number;
  attacks: number;
}

export interface SubjectFigures {
  subject: string;
  live: number;
  attacks: number;
  bpcer: number | null;
  apcer: number | null;
  meanLiveScore: number | null;
  meanAttackScore: number | null;
  minLiveScore: number | null;
  maxAttackScore: number | null;
}

export interface LivenessReport {
  model: string;
  images: number;
  threshold: number;
  /** How the threshold was set. */
  thresholdRule: string;
  /** Live presentations rejected / live presentations (images with a face). */
  bpcer: number | null;
  /** Attack presentations accepted / attack presentations (images with a face). */
  apcer: number | null;
  live: number;
  attacks: number;
  liveRejected: number;
  attacksAccepted: number;
  apcerByAttackType: Record<string, GroupRate>;
  apcerByAttackVariant: Record<string, GroupRate>;
  /** ISO/IEC 30107-3 APCER of the worst attack type. */
  apcerWorstAttackType: number | null;
  auc: number | null;
  eer: { eer: number; threshold: number } | null;
  subjects?: SubjectFigures[];
  /** The calibration subjects' own figures, with --fit-subjects. */
  fit?: { subjects: string[]; live: number; attacks: number; bpcer: number | null; apcer: number | null };
  /** Images where no face was found: excluded from the rates (an attack there opens nothing). */
  noFace: { image: string; label: string }[];
  msPerFace: { median: number; p95: number } | null;
  perImage?: { image: string; label: string; subject?: string; score: number | null }[];
}

const r4 = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);
const mean = (a: number[]): number | null => (a.length ? r4(a.reduce((x, y) => x + y, 0) / a.length) : null);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function groupRates(attacks: ScoredSample[], key: (s: ScoredSample) => string, threshold: number): Record<string, GroupRate> {
  const groups = new Map<string, number[]>();
  for (const s of attacks) groups.set(key(s), [...(groups.get(key(s)) ?? []), s.score!]);
  const out: Record<string, GroupRate> = {};
  for (const [k, v] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const r = padRates([], v, threshold);
    out[k] = { apcer: r4(r.apcer)!, accepted: r.attacksAccepted, attacks: r.attackCount };
  }
  return out;
}

/** ISO/IEC 30107-3 figures for scored samples (pure). */
export function buildLivenessReport(scored: readonly ScoredSample[], opts: LivenessReportOptions): LivenessReport {
  const target = opts.targetBpcer ?? 0.05;
  const withFace = scored.filter((s) => s.score !== null);
  let fitSet: ScoredSample[] = [];
  let testSet = withFace;
  if (opts.fitSubjects) {
    const fit = new Set(opts.fitSubjects);
    const missing = scored.find((s) => s.subject === undefined);
    if (missing) throw new FaceGateError('FG_CSV_INVALID', `--fit-subjects needs a subject on every row; line ${missing.line} has none`);
    const known = new Set(scored.map((s) => s.subject!));
    const unknown = [...fit].filter((s) => !known.has(s));
    if (unknown.length) throw new FaceGateError('FG_INPUT_INVALID', `--fit-subjects names subjects not in the labels: ${unknown.join(', ')}`);
    fitSet = withFace.filter((s) => fit.has(s.subject!));
    testSet = withFace.filter((s) => !fit.has(s.subject!));
    if (!testSet.length) throw new FaceGateError('FG_INPUT_INVALID', '--fit-subjects leaves no other subject to report on');
  }
  const liveOf = (set: ScoredSample[]) => set.filter((s) => s.label === 'live').map((s) => s.score!);
  const attackOf = (set: ScoredSample[]) => set.filter((s) => s.label === 'attack').map((s) => s.score!);

  let threshold: number;
  let thresholdRule: string;
  if (opts.threshold !== undefined) {
    threshold = opts.threshold;
    thresholdRule = 'given';
  } else {
    const basis = opts.fitSubjects ? fitSet : withFace;
    const live = liveOf(basis);
    if (!live.length) {
      throw new FaceGateError('FG_INPUT_INVALID',
        `cannot choose a threshold: no live image with a face${opts.fitSubjects ? ' among the --fit-subjects' : ''}; pass --threshold`);
    }
    threshold = thresholdForBpcer(live, target);
    thresholdRule = `BPCER ${target * 100}% on ${opts.fitSubjects ? `fit subjects ${opts.fitSubjects.join(',')}` : 'this data'}`;
  }

  const live = liveOf(testSet);
  const attack = attackOf(testSet);
  const rates = padRates(live, attack, threshold);
  const attacks = testSet.filter((s) => s.label === 'attack');
  const byType = groupRates(attacks, (s) => s.attackType ?? 'unspecified', threshold);
  const typeRates = Object.values(byType).map((g) => g.apcer);
  const eer = live.length && attack.length ? padEqualError(live, attack) : null;

  const report: LivenessReport = {
    model: opts.model,
    images: scored.length,
    threshold,
    thresholdRule,
    bpcer: r4(rates.bpcer),
    apcer: r4(rates.apcer),
    live: rates.liveCount,
    attacks: rates.attackCount,
    liveRejected: rates.liveRejected,
    attacksAccepted: rates.attacksAccepted,
    apcerByAttackType: byType,
    apcerByAttackVariant: groupRates(attacks, (s) => s.attackVariant ?? 'unspecified', threshold),
    apcerWorstAttackType: typeRates.length ? Math.max(...typeRates) : null,
    auc: r4(padAuc(live, attack)),
    eer: eer ? { eer: r4(eer.eer)!, threshold: eer.threshold } : null,
    noFace: scored.filter((s) => s.score === null).map((s) => ({ image: s.image, label: s.label })),
    msPerFace: null,
  };

  if (scored.some((s) => s.subject !== undefined)) {
    const bySubject = new Map<string, ScoredSample[]>();
    for (const s of withFace) bySubject.set(s.subject ?? 'unspecified', [...(bySubject.get(s.subject ?? 'unspecified') ?? []), s]);
    report.subjects = [...bySubject].sort(([a], [b]) => a.localeCompare(b)).map(([subject, set]) => {
      const l = liveOf(set), a = attackOf(set);
      const r = padRates(l, a, threshold);
      return {
        subject, live: l.length, attacks: a.length, bpcer: r4(r.bpcer), apcer: r4(r.apcer),
        meanLiveScore: mean(l), meanAttackScore: mean(a),
        minLiveScore: l.length ? r4(Math.min(...l)) : null, maxAttackScore: a.length ? r4(Math.max(...a)) : null,
      };
    });
  }
  if (opts.fitSubjects) {
    const r = padRates(liveOf(fitSet), attackOf(fitSet), threshold);
    report.fit = { subjects: [...opts.fitSubjects], live: r.liveCount, attacks: r.attackCount, bpcer: r4(r.bpcer), apcer: r4(r.apcer) };
  }
  const ms = withFace.map((s) => s.ms).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (ms.length) report.msPerFace = { median: r4(quantile(ms, 0.5))!, p95: r4(quantile(ms, 0.95))! };
  if (opts.perImage) {
    report.perImage = scored.map((s) => ({ image: s.image, label: s.label, ...(s.subject !== undefined ? { subject: s.subject } : {}), score: s.score === null ? null : r4(s.score) }));
  }
  return report;
}
