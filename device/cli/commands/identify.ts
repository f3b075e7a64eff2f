/**
 * `facegate identify --db <dir> --probes-csv <csv> --images <dir>`: 1:N decisions per probe
 * image and, when the CSV has true_identity, open-set figures (rank-1, FAR, DIR at FPIR).
 */
import { identifyImages } from '../../../sdk/gallery/image-jobs.ts';
import { openSetSummary } from '../../../sdk/match/open-set.ts';
import { defaultThreshold } from '../../../sdk/match/default-thresholds.ts';
import { effectiveOperatingPoint, DEFAULT_FPIR } from '../../../sdk/match/operating-point.ts';
import { impostorTail } from '../../../sdk/match/impostor-tails.ts';
import { createProgress } from '../../../calibration/progress.ts';
import { openWithPipeline, readProbesCsv, type PipelineFlags } from '../gallery-cli.ts';
import { num, usage } from '../flag-values.ts';
import { galleryKey, type KeyFlags } from './key-flag.ts';

export interface IdentifyFlags extends PipelineFlags, KeyFlags {
  db?: string;
  probesCsv?: string;
  images?: string;
  threshold?: string;
  fpir?: string;
  margin?: string;
  k?: string;
  fallback?: boolean;
  progress?: boolean;
  json?: boolean;
}

const FPIRS = [0.01, 0.001, 0.1];

export default async function identify(f: IdentifyFlags): Promise<number> {
  if (!f.db) throw usage('--db <dir> is required');
  if (!f.probesCsv || !f.images) throw usage('--probes-csv <csv> and --images <dir> are required');
  const margin = num('--margin', f.margin, { min: 0 }) ?? 0;
  const k = num('--k', f.k, { integer: true, min: 2 }) ?? 5;
  const thresholdFlag = num('--threshold', f.threshold);
  const fpir = num('--fpir', f.fpir);
  if (fpir !== undefined && !(fpir > 0 && fpir < 1)) throw usage(`--fpir must be in (0, 1), got ${f.fpir}`);
  if (fpir !== undefined && thresholdFlag !== undefined) throw usage('use --fpir or --threshold, not both');
  if (thresholdFlag !== undefined && thresholdFlag <= 0) throw usage(`--threshold must be > 0, got ${f.threshold}`);
  const probes = await readProbesCsv(f.probesCsv, f.images);
  const { gallery, pipeline } = await openWithPipeline(f.db, f, false, galleryKey(f));
  try {
    // No flag: the threshold for the target FPIR at this gallery's size, from the model's stored
    // impostor tail; a model without one keeps its fixed default.
    const tail = impostorTail(gallery.modelId, Boolean(f.flip));
    const op = tail || thresholdFlag !== undefined ? effectiveOperatingPoint({ fpir: fpir ?? DEFAULT_FPIR, threshold: thresholdFlag }, tail, gallery.stats().templates, gallery.modelId) : null;
    if (op?.warning && !f.json) process.stderr.write(`warning: ${op.warning.replace('match.threshold', '--threshold').replace('match.fpir', '--fpir')}\n`);
    const threshold = op ? Number(op.threshold.toFixed(6)) : defaultThreshold(gallery.modelId);
    const operatingPoint = op ? { source: op.source, target_fpir: op.targetFpir, implied_fpir: op.impliedFpir, templates: op.templates } : { source: 'model-default' };
    const progress = createProgress(probes.length, 'identify', { enabled: f.progress !== false && probes.length > 1 });
    const { results, outcomes } = await identifyImages(gallery, pipeline, probes, { threshold, margin, k, fallback: f.fallback ?? true, onImage: () => progress.tick() });
    progress.done();
    const summary = outcomes.length > 0 ? { ...openSetSummary(outcomes, FPIRS, margin), threshold, margin } : undefined;
    const counts = { grant: 0, deny: 0, unknown: 0 };
    for (const r of results) counts[r.decision]++;
    const out = { db: f.db, model: gallery.modelId, threshold, operating_point: operatingPoint, margin, probes: results.length, decisions: counts, results, ...(summary ? { summary } : {}) };
    if (f.json) process.stdout.write(JSON.stringify(out) + '\n');
    else {
      for (const r of results) process.stdout.write(`${r.image}\t${r.decision}\t${r.identity ?? ''}\t${r.distance === null ? '' : r.distance.toFixed(4)}\n`);
      process.stdout.write(`grant ${counts.grant}, deny ${counts.deny}, unknown ${counts.unknown} at threshold ${threshold}, margin ${margin}\n`);
      if (summary) {
        const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(2)}%`);
        process.stdout.write(`rank-1 ${pct(summary.rank1)} (${summary.known} known), false accepts ${pct(summary.false_accept_rate)} (${summary.unknown} unknown), `
          + `DIR at FPIR 1% ${pct(summary.dir_at_fpir['0.01'])} (threshold ${summary.threshold_at_fpir['0.01']?.toFixed(4) ?? 'n/a'})\n`);
      }
    }
    return 0;
  } finally {
    await pipeline.release();
    await gallery.close();
  }
}
