/** Live streams (SSE events, MJPEG video) and guided capture. */
import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../console-deps.ts';
import { captureStart } from '../schemas.ts';

export function liveRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/api/v1/live/events', { config: { scope: 'read' } }, async (req, reply) => {
    reply.hijack();
    deps.hub.addEvents(reply.raw);
    deps.hub.send('capture', deps.capture.state());
  });
  app.get<{ Querystring: { overlay?: string } }>('/api/v1/live/video', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { overlay: { type: 'string', enum: ['0', '1'] } } } }, config: { scope: 'read' },
  }, async (req, reply) => {
    reply.hijack();
    deps.hub.addVideo(reply.raw, req.query.overlay === '1');
  });

  app.get('/api/v1/capture', { config: { scope: 'read' } }, async () => deps.capture.state());
  app.post<{ Body: { id: string; name?: string | null; frames?: number } }>('/api/v1/capture', { schema: { body: captureStart }, config: { scope: 'enrol' } }, async (req, reply) => {
    const s = deps.capture.start(req.body.id, req.body.name ?? null, req.body.frames ?? 5);
    deps.audit('console-capture-start', { who: req.principal!.who, identity: deps.auditIdentity(req.body.id), frames: s.target });
    reply.code(201);
    return s;
  });
  app.delete('/api/v1/capture', { config: { scope: 'enrol' } }, async (req) => {
    deps.audit('console-capture-cancel', { who: req.principal!.who });
    return deps.capture.cancel();
  });
}
