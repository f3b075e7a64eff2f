/** detect: every face's box, score and landmarks; identify: a decision per face (one image, no voting, no liveness). */
import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../console-deps.ts';
import { readImages } from '../uploads.ts';
import { toSourcePixels } from '../../../sdk/image/load-frame.ts';

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export function analyzeRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  app.post('/api/v1/detect', { config: { scope: 'read' } }, async (req) => {
    const [img] = await readImages(req, deps.cfg.console.maxUploadPixels, 1);
    const r = await deps.pipeline.detect(img.data);
    const size = r.frame.source ?? r.frame; // boxes in the uploaded image's pixels, as identify gives them
    return {
      width: size.width, height: size.height,
      faces: r.faces.map((f) => toSourcePixels(f, r.frame)).map((f) => ({ box: { x: round(f.box.x), y: round(f.box.y), w: round(f.box.w), h: round(f.box.h) }, score: round(f.score, 4), landmarks: f.landmarks5.map(([x, y]) => [round(x), round(y)]) })),
    };
  });

  app.post('/api/v1/identify', { config: { scope: 'read' } }, async (req) => {
    const [img] = await readImages(req, deps.cfg.console.maxUploadPixels, 1);
    const r = await deps.pipeline.analyze(img.data);
    const { threshold } = deps.threshold();
    return {
      width: r.width, height: r.height, threshold, model: deps.pipeline.modelId,
      faces: r.faces.map((f) => {
        const m = deps.match(f.embedding);
        const identity = m.decision === 'unknown' ? null : m.identity ?? null;
        return {
          box: { x: round(f.box.x), y: round(f.box.y), w: round(f.box.w), h: round(f.box.h) }, score: round(f.score, 4), landmarks: f.landmarks5.map(([x, y]) => [round(x), round(y)]),
          decision: m.decision, identity, name: identity ? deps.gallery.get(identity)?.name ?? null : null,
          distance: Number.isFinite(m.d1) ? round(m.d1, 4) : null, secondDistance: m.d2 !== undefined && Number.isFinite(m.d2) ? round(m.d2, 4) : null,
          reason: m.reason ?? null, quality: { interEyePx: round(f.quality.interEyePx), blur: round(f.quality.blur) },
        };
      }),
    };
  });
}
