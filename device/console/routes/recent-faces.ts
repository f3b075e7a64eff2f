/** Recent faces: settings (admin turns it on), list, crop image, assign to a person, delete. */
import type { FastifyInstance } from 'fastify';
import { FaceGateError } from '../../../sdk/errors.ts';
import { mostCentralFace } from '../../../sdk/pipeline/index.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { recentSettings, assignBody } from '../schemas.ts';

export function recentFacesRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const r = deps.recent;
  app.get('/api/v1/recent-faces/settings', { config: { scope: 'read' } }, async () => r.settings);
  app.put<{ Body: { enabled: boolean; keepMinutes?: number } }>('/api/v1/recent-faces/settings', { schema: { body: recentSettings }, config: { scope: 'admin' } }, async (req) => {
    const s = r.configure(req.body);
    deps.audit('console-recent-faces', { who: req.principal!.who, enabled: s.enabled, keepMinutes: s.keepMinutes });
    return s;
  });
  app.get('/api/v1/recent-faces', { config: { scope: 'enrol' } }, async () => ({ enabled: r.settings.enabled, faces: r.list() }));
  app.get<{ Params: { id: string } }>('/api/v1/recent-faces/:id/image', { config: { scope: 'enrol' } }, async (req, reply) =>
    reply.type('image/jpeg').header('cache-control', 'no-store').send(r.image(req.params.id)));
  app.delete<{ Params: { id: string } }>('/api/v1/recent-faces/:id', { config: { scope: 'enrol' } }, async (req) => {
    r.take(req.params.id);
    deps.audit('console-recent-face-delete', { who: req.principal!.who });
    return { id: req.params.id, deleted: true };
  });
  app.post<{ Params: { id: string }; Body: { person: string } }>('/api/v1/recent-faces/:id/assign', { schema: { body: assignBody }, config: { scope: 'enrol' } }, async (req) => {
    const person = req.body.person;
    if (!deps.gallery.get(person)) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no person '${person}'`);
    const jpeg = r.image(req.params.id);
    const a = await deps.pipeline.analyze(jpeg);
    const face = a.faces[mostCentralFace(a.faces, a.width, a.height)];
    if (!face) throw new FaceGateError('FG_IMAGE_INVALID', 'no face found in this crop any more; delete it');
    const e = deps.gallery.enroll(person, [face.embedding], { source: 'console-recent-face' });
    r.take(req.params.id);
    deps.audit('console-recent-face-assign', { who: req.principal!.who, identity: deps.auditIdentity(person), templates: e.templateIds.length });
    return { person, added: e.templateIds.length, duplicates: e.duplicates };
  });
}
