/**
 * Calibration from the console: the report (configured, or the last run's), a run on an uploaded
 * labelled set (multipart fields `image:<person>`), and applying a threshold (atomic, audited).
 * Uploaded images live in a private temp folder only for the run and are deleted after it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FaceGateError, errorMessage } from '../../../sdk/errors.ts';
import { runCalibration } from '../../../calibration/run-calibration.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { thresholdBody } from '../schemas.ts';
import { readImages } from '../uploads.ts';

const PERSON = /^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,127}$/;
const MAX_CALIBRATION_IMAGES = 2000;

export function calibrationRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  // The last run's report lives beside the gallery (it names no one by image, but holds person labels).
  const runDir = join(dirname(resolve(deps.cfg.gallery.db)), 'console-calibration');
  let lastRun: string | null = null;
  let running = false;

  app.get('/api/v1/calibration', { config: { scope: 'read' } }, async () => ({ ...deps.threshold(), report: (lastRun ?? deps.cfg.console.calibrationReport) !== undefined && (lastRun ?? deps.cfg.console.calibrationReport) !== null }));

  app.get('/api/v1/calibration/report', { config: { scope: 'read' } }, async (_req, reply) => {
    const dir = lastRun ?? deps.cfg.console.calibrationReport;
    if (!dir) throw new FaceGateError('FG_GALLERY_NOT_FOUND', 'no calibration report yet: run one, or set console.calibrationReport to a `facegate calibrate --report` folder');
    const html = await readFile(join(dir, 'index.html'), 'utf8').catch(() => { throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no report at ${join(dir, 'index.html')}`); });
    // The report is self-contained (inline SVG and style): it gets its own, still strict, CSP.
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'").type('text/html; charset=utf-8');
    return html;
  });

  app.post<{ Querystring: { targetFar?: number } }>('/api/v1/calibration/run', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { targetFar: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } } } },
    config: { scope: 'admin' },
  }, async (req) => {
    if (running) throw new FaceGateError('FG_GALLERY_BUSY', 'a calibration is already running');
    running = true;
    const upload = await mkdtemp(join(tmpdir(), 'facegate-calibration-'));
    try {
      const images = await readImages(req, deps.cfg.console.maxUploadPixels, MAX_CALIBRATION_IMAGES, false);
      const people = new Set<string>();
      for (const [i, img] of images.entries()) {
        const person = img.fieldname.startsWith('image:') ? img.fieldname.slice(6) : '';
        if (!PERSON.test(person)) throw new FaceGateError('FG_INPUT_INVALID', `${img.filename}: label each image with its person (multipart field "image:<person>")`);
        people.add(person);
        await mkdir(join(upload, person), { recursive: true, mode: 0o700 });
        await writeFile(join(upload, person, `${String(i).padStart(5, '0')}-${basename(img.filename).replace(/[^A-Za-z0-9._-]/g, '_')}`), img.data, { mode: 0o600 });
      }
      if (people.size < 2) throw new FaceGateError('FG_INPUT_INVALID', 'a labelled set needs at least two people');
      await rm(runDir, { recursive: true, force: true });
      const targetFar = req.query.targetFar ?? 0.01;
      const r = await runCalibration({
        labeledDir: upload, report: runDir, targetFar, progress: false,
        detector: deps.cfg.pipeline.detector, embedder: deps.cfg.pipeline.embedder, flip: deps.cfg.pipeline.flip,
        // The device's own pipeline (through its queue); runCalibration never releases a given analyzer.
      }, { analyzer: { modelId: deps.pipeline.modelId, analyze: (input, o) => deps.pipeline.analyze(input, o), release: async () => {} } });
      lastRun = runDir;
      deps.audit('console-calibration-run', { who: req.principal!.who, images: r.images, people: people.size, threshold: r.threshold ?? null, targetFar });
      return {
        images: r.images, people: people.size, model: r.model, threshold: r.threshold ?? null, targetFar: r.target_far ?? null,
        farAtThreshold: r.far_at_threshold ?? null, frrAtThreshold: r.frr_at_threshold ?? null, noFace: r.no_face, report: '/api/v1/calibration/report',
      };
    } finally {
      running = false;
      await rm(upload, { recursive: true, force: true });
    }
  });

  // Kept across restarts through the device's config file (docs/console.md, "Calibration").
  app.post<{ Body: { threshold: number; margin?: number } }>('/api/v1/calibration/threshold', { schema: { body: thresholdBody }, config: { scope: 'admin' } }, async (req) => {
    const who = req.principal!.who;
    const before = deps.threshold();
    const note = ` applied from the console by ${who.replace(/[^\x20-\x7e]/g, '?')} at ${new Date().toISOString()} (was ${before.threshold})`;
    let saved: { config: string | null; backup: string | null };
    try {
      saved = await deps.applyThreshold(req.body.threshold, req.body.margin, note);
    } catch (e) {
      deps.audit('console-threshold-failed', { who, threshold: req.body.threshold, error: errorMessage(e) });
      throw e;
    }
    const after = deps.threshold();
    deps.audit('console-threshold', { who, before: before.threshold, after: after.threshold, marginBefore: before.margin, marginAfter: after.margin, config: saved.config });
    return { before, after, persisted: saved.config !== null, config: saved.config, backup: saved.backup };
  });
}
