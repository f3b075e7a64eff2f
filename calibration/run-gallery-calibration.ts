/**
 * `facegate calibrate --db <gallery> [--probes-csv <csv> --images <dir>]`: thresholds from the
 * enrolled templates themselves (no extra data), and open-set 1:N rates for this gallery size.
 *  - 1:1: genuine = template pairs of one identity, impostor = pairs of different identities.
 *  - 1:N without probes: each template searched as a stranger against the OTHER identities
 *    (leave-one-identity-out, gallery size N-1) and, for people with 2+ templates, as a mated
 *    search against the rest of the gallery (leave-one-template-out).
 *  - 1:N with probes: probe images embedded by the pipeline and searched exactly.
 * The 1:N threshold is stricter than the 1:1 one: a stranger is compared with N people.
 */
import { FaceGateError } from '../sdk/errors.ts';
import { DEFAULT_DETECTOR, DEFAULT_DEVICE_EMBEDDER, isEmbedderId } from '../sdk/registry.ts';
import { createAnalyzer, type DetectorName, type EmbedderName } from './analyzer.ts';
import { EMBEDDER_IDS } from '../sdk/embed/onnx-embedder.ts';
import type { PrecisionSetting } from '../sdk/runtime/model-types.ts';
import { readGalleryTemplates, galleryScores, type GalleryTemplates } from './gallery-templates.ts';
import { loadProbesCsv, probeSearches } from './probes.ts';
import { checkImagesExist, embedImages, type NoFaceCounts, type StageMedians } from './embed-images.ts';
import { chooseThreshold, evaluateThreshold, REPORTED_FARS, type ThresholdReport, type IntervalJson } from './evaluation.ts';
import {
  rocCurve, auc, equalErrorRate, tarAtFar, dPrime, openSetScores, openSetCurve, openSetRatesAt, thresholdForFar,
  clopperPearson, pairsNeededForFar, ruleOfThree, type OpenSetScores, type RocCurve,
} from '../sdk/metrics/index.ts';
import { createProgress } from './progress.ts';
import { writeReport, preflightReportDir } from './report/html-report.ts';
import type { ConfigWriter, WriteConfigResult } from './config-writer.ts';
import type { SiteKey } from '../sdk/security/site-key.ts';

export interface GalleryCalibrateOptions {
  db: string;
  /** Site key of an encrypted gallery. */
  key?: SiteKey | null;
  probesCsv?: string;
  images?: string;
  detector?: DetectorName;
  embedder?: EmbedderName;
  flip?: boolean;
  /** Model build (default fp32). */
  precision?: PrecisionSetting;
  targetFar?: number;
  threshold?: number;
  report?: string;
  writeConfig?: string;
  /** Writes `writeConfig` (the device supplies it); required with writeConfig. */
  configWriter?: ConfigWriter;
  progress?: boolean;
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

export interface OpenSetJson {
  source: 'leave-one-identity-out' | 'probes';
  gallery_size: number;
  mated_searches: number;
  non_mated_searches: number;
  threshold: number | null;
  threshold_source: 'target-fpir' | 'given' | null;
  fpir: number | null;
  fnir: number | null;
  fpir_ci: IntervalJson | null;
  /** Smallest FPIR these non-mated searches can show (rule of three). */
  fpir_limit: number;
  statement: string;
}

export interface GalleryCalibrationResult {
  mode: 'gallery';
  gallery: string;
  model: string;
  identities: number;
  templates: number;
  one_to_one: null | {
    genuine_pairs: number;
    impostor_pairs: number;
    auc: number;
    eer: number;
    threshold_eer: number;
    d_prime: number;
    tar_at_far: Record<string, number>;
  };
  threshold?: number;
  far_at_threshold?: number;
  frr_at_threshold?: number;
  threshold_detail?: ThresholdReport;
  /** Threshold written by --write-config: the 1:N one when known (the device searches a gallery). */
  threshold_1n?: number | null;
  fpir?: number | null;
  fnir?: number | null;
  open_set: OpenSetJson;
  probes?: { images: number; no_face: NoFaceCounts; ms: StageMedians; detector: string; embedder: string; flip: boolean };
  report?: string;
  config?: WriteConfigResult;
}

function openSetPart(scores: OpenSetScores, source: OpenSetJson['source'], galleryIdentities: number, o: GalleryCalibrateOptions): OpenSetJson {
  const gallerySize = source === 'probes' ? galleryIdentities : galleryIdentities - 1;
  const n = scores.nonMated.length;
  let threshold: number | null = null;
  let thresholdSource: OpenSetJson['threshold_source'] = null;
  let statement: string;
  if (o.threshold !== undefined) {
    threshold = o.threshold;
    thresholdSource = 'given';
    statement = `given threshold ${o.threshold}`;
  } else if (o.targetFar !== undefined) {
    if (n >= pairsNeededForFar(o.targetFar)) {
      threshold = thresholdForFar(scores.nonMated, o.targetFar).threshold;
      thresholdSource = 'target-fpir';
      statement = `1:N threshold for FPIR ${o.targetFar} against ${gallerySize} identities`;
    } else {
      statement = `FPIR ${o.targetFar} needs at least ${pairsNeededForFar(o.targetFar)} non-mated searches (rule of three); there are ${n}: no 1:N threshold chosen`;
    }
  } else statement = 'no threshold asked (--target-far or --threshold)';
  let fpir: number | null = null;
  let fnir: number | null = null;
  let ci: IntervalJson | null = null;
  if (threshold !== null) {
    const r = openSetRatesAt(scores, threshold);
    fpir = r6(r.fpir);
    fnir = scores.mated.length ? r6(r.fnir) : null;
    const x = Math.round(r.fpir * n);
    const c = clopperPearson(x, n);
    ci = { lower: r6(c.lower), upper: r6(c.upper), confidence: c.confidence, method: c.method };
    statement += `: ${x} of ${n} non-mated searches accepted (FPIR ${r.fpir.toExponential(2)}, 95% CI ${c.lower.toExponential(2)}..${c.upper.toExponential(2)})`;
  }
  return {
    source,
    gallery_size: gallerySize,
    mated_searches: scores.mated.length,
    non_mated_searches: n,
    threshold: threshold === null ? null : r6(threshold),
    threshold_source: thresholdSource,
    fpir,
    fnir,
    fpir_ci: ci,
    fpir_limit: r6(ruleOfThree(n)),
    statement,
  };
}

export async function runGalleryCalibration(o: GalleryCalibrateOptions): Promise<GalleryCalibrationResult> {
  if (o.targetFar !== undefined && o.threshold !== undefined) throw new FaceGateError('FG_CLI_USAGE', 'use --target-far or --threshold, not both');
  if (o.probesCsv && !o.images) throw new FaceGateError('FG_CLI_USAGE', '--probes-csv needs --images <dir>');
  if (o.writeConfig && o.targetFar === undefined && o.threshold === undefined) throw new FaceGateError('FG_CLI_USAGE', '--write-config needs --target-far or --threshold');
  const g: GalleryTemplates = readGalleryTemplates(o.db, o.key ?? null);
  if (g.identities.length < 2) throw new FaceGateError('FG_CALIBRATION', `gallery ${o.db} holds ${g.identities.length} identity: impostor distances need at least two enrolled people`);
  const probes = o.probesCsv ? await loadProbesCsv(o.probesCsv, o.images!) : null;
  const gs = galleryScores(g);
  // 1:1 from template pairs: refuse an undemonstrable target FAR before any embedding.
  if (o.targetFar !== undefined && gs.impostor.length < pairsNeededForFar(o.targetFar)) {
    throw new FaceGateError('FG_CALIBRATION', `target FAR ${o.targetFar} needs at least ${pairsNeededForFar(o.targetFar)} impostor pairs (rule of three); the gallery's ${g.identities.length} identities give ${gs.impostor.length}. Enrol more people or raise --target-far`);
  }
  const detector = o.detector ?? DEFAULT_DETECTOR;
  const embedder = o.embedder ?? (isEmbedderId(g.modelId) ? g.modelId : DEFAULT_DEVICE_EMBEDDER);
  const flip = o.flip ?? false;
  if (o.writeConfig) await configWriter(o).preflight(o.writeConfig, { detector, embedder, flip });
  if (o.report) await preflightReportDir(o.report);

  let scores: OpenSetScores = { mated: gs.mated, nonMated: gs.nonMated };
  let probeInfo: GalleryCalibrationResult['probes'];
  if (probes) {
    const paths = [...new Set(probes.map((p) => p.path))];
    await checkImagesExist(paths);
    const analyzer = await createAnalyzer({ detector, embedder, flip, precision: o.precision });
    let embedded;
    try {
      if (analyzer.modelId !== g.modelId) {
        throw new FaceGateError('FG_GALLERY_MODEL_MISMATCH', `gallery ${o.db} holds ${g.modelId} embeddings; the probes would be embedded with ${analyzer.modelId} (use --embedder to match)`);
      }
      embedded = await embedImages(paths, analyzer, createProgress(paths.length, 'embedding probes', { enabled: o.progress !== false }));
    } finally {
      await analyzer.release();
    }
    scores = openSetScores(probeSearches(g, probes, embedded.embeddings));
    probeInfo = { images: paths.length, no_face: embedded.noFace, ms: embedded.ms, detector, embedder, flip };
  }
  if (scores.nonMated.length === 0) throw new FaceGateError('FG_CALIBRATION', 'no non-mated searches: the probes are all enrolled people; FPIR needs probes of people not in the gallery');

  let oneToOne: GalleryCalibrationResult['one_to_one'] = null;
  let roc: RocCurve | undefined;
  let thresholdEer: number | undefined;
  if (gs.genuine.length > 0) {
    roc = rocCurve(gs.genuine, gs.impostor);
    const e = equalErrorRate(roc);
    thresholdEer = e.threshold;
    const tar: Record<string, number> = {};
    for (const f of REPORTED_FARS) tar[f] = r6(tarAtFar(roc, Number(f)).tar);
    oneToOne = { genuine_pairs: gs.genuine.length, impostor_pairs: gs.impostor.length, auc: r6(auc(roc)), eer: r6(e.eer), threshold_eer: r6(e.threshold), d_prime: r6(dPrime(gs.genuine, gs.impostor)), tar_at_far: tar };
  }
  let thr: ThresholdReport | undefined;
  if (gs.genuine.length > 0) {
    if (o.targetFar !== undefined) thr = chooseThreshold(gs.genuine, gs.impostor, o.targetFar);
    else if (o.threshold !== undefined) thr = evaluateThreshold(gs.genuine, gs.impostor, o.threshold);
  }
  const openSet = openSetPart(scores, probes ? 'probes' : 'leave-one-identity-out', g.identities.length, o);
  const result: GalleryCalibrationResult = {
    mode: 'gallery',
    gallery: o.db,
    model: g.modelId,
    identities: g.identities.length,
    templates: g.owner.length,
    one_to_one: oneToOne,
    ...(thr ? { threshold: thr.threshold, far_at_threshold: thr.far_at_threshold, frr_at_threshold: thr.frr_at_threshold, threshold_detail: thr } : {}),
    ...(o.targetFar !== undefined || o.threshold !== undefined ? { threshold_1n: openSet.threshold, fpir: openSet.fpir, fnir: openSet.fnir } : {}),
    open_set: openSet,
    ...(probeInfo ? { probes: probeInfo } : {}),
  };

  const now = new Date();
  const t = openSet.threshold ?? thr?.threshold;
  if (o.writeConfig && t === undefined) throw new FaceGateError('FG_CALIBRATION', `no threshold to write: ${openSet.statement}`);
  if (o.report) {
    const vectors: Float32Array[] = [];
    const ids: string[] = [];
    for (let t = 0; t < g.owner.length; t++) { vectors.push(g.vectors.subarray(t * g.dim, (t + 1) * g.dim)); ids.push(g.identities[g.owner[t]]); }
    result.report = await writeReport(o.report, {
      title: `FaceGate gallery calibration — ${g.modelId}, ${g.identities.length} identities`,
      generatedAt: now.toISOString(),
      result: result as unknown as Record<string, unknown>,
      roc,
      genuine: roc ? gs.genuine : undefined,
      impostor: roc ? gs.impostor : undefined,
      thresholdEer,
      threshold: openSet.threshold !== null ? { value: openSet.threshold, label: '1:N threshold' } : thr ? { value: thr.threshold, label: '1:1 threshold' } : undefined,
      openSet: scores.mated.length ? openSetCurve(scores) : undefined,
      embedding: { vectors, identities: ids },
    });
  }
  // The config last: a site's threshold changes only when everything else succeeded.
  if (o.writeConfig && t !== undefined) {
    result.config = await configWriter(o).write(o.writeConfig, {
      threshold: t, date: now.toISOString(), dataSha256: `gallery:${g.modelId}:${g.identities.length}x${g.owner.length}`, modelId: g.modelId,
      detector, embedder, flip, summary: openSet.threshold !== null ? openSet.statement : (thr?.statement ?? ''),
    });
  }
  return result;
}

function configWriter(o: { configWriter?: ConfigWriter }): ConfigWriter {
  if (!o.configWriter) throw new FaceGateError('FG_CLI_USAGE', 'writeConfig needs a configWriter (the device config writer)');
  return o.configWriter;
}
