/** People: the gallery's identities. Deletion uses the gallery's erasure (secure delete + index scrub). */
import type { FastifyInstance } from 'fastify';
import { FaceGateError } from '../../../sdk/errors.ts';
import { mostCentralFace } from '../../../sdk/pipeline/index.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import type { IdentityInfo } from '../../../sdk/gallery/index.ts';
import { personCreate, personPatch } from '../schemas.ts';
import { readImages } from '../uploads.ts';

interface PersonFields { name?: string | null; enabled?: boolean; validFrom?: string | null; validUntil?: string | null }

/** Metadata stays on the device side (it may hold site data the console has no use for). */
const view = ({ metadata: _m, ...p }: IdentityInfo) => p;

export function peopleRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const g = deps.gallery;
  const found = (id: string) => {
    const p = g.get(id);
    if (!p) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no person '${id}'`);
    return p;
  };

  app.get('/api/v1/people', { config: { scope: 'read' } }, async () => ({ version: g.version, people: g.list().map(view) }));

  app.get<{ Params: { id: string } }>('/api/v1/people/:id', { config: { scope: 'read' } }, async (req) => view(found(req.params.id)));

  app.post<{ Body: PersonFields & { id: string } }>('/api/v1/people', { schema: { body: personCreate }, config: { scope: 'enrol' } }, async (req, reply) => {
    const { id, ...fields } = req.body;
    if (g.get(id)) throw new FaceGateError('FG_GALLERY_DUPLICATE', `person '${id}' already exists`);
    // An identity with no template yet: created by update's upsert through applyChanges.
    g.applyChanges({ upserts: [{ identity: { id, ...fields }, templates: [] }] });
    deps.audit('console-person-create', { who: req.principal!.who, identity: deps.auditIdentity(id) });
    reply.code(201);
    return view(found(id));
  });

  app.patch<{ Params: { id: string }; Body: PersonFields }>('/api/v1/people/:id', { schema: { body: personPatch }, config: { scope: 'enrol' } }, async (req) => {
    found(req.params.id);
    const p = g.update(req.params.id, req.body);
    deps.audit('console-person-update', { who: req.principal!.who, identity: deps.auditIdentity(req.params.id), fields: Object.keys(req.body) });
    return view(p);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/people/:id', { config: { scope: 'admin' } }, async (req) => {
    const r = g.remove(req.params.id);
    deps.audit('console-person-delete', { who: req.principal!.who, identity: deps.auditIdentity(req.params.id), templates: r.removedTemplates });
    return { id: req.params.id, removedTemplates: r.removedTemplates };
  });

  /** Adds one template per uploaded photo (its most central face); photos without a face are reported, not enrolled. */
  app.post<{ Params: { id: string } }>('/api/v1/people/:id/photos', { config: { scope: 'enrol' } }, async (req, reply) => {
    const id = req.params.id;
    const images = await readImages(req, deps.cfg.console.maxUploadPixels);
    const embeddings: Float32Array[] = [];
    const problems: { image: string; problem: string }[] = [];
    for (const img of images) {
      const r = await deps.pipeline.analyze(img.data);
      const face = r.faces[mostCentralFace(r.faces, r.width, r.height)];
      if (!face) problems.push({ image: img.filename, problem: 'no face found' });
      else if (face.quality.interEyePx < deps.cfg.decision.minInterEyePx) problems.push({ image: img.filename, problem: `face too small (eyes ${face.quality.interEyePx.toFixed(0)} px apart, need ${deps.cfg.decision.minInterEyePx})` });
      else embeddings.push(face.embedding);
    }
    if (embeddings.length === 0) throw new FaceGateError('FG_IMAGE_INVALID', `no usable face: ${problems.map((p) => `${p.image}: ${p.problem}`).join('; ')}`);
    const name = images[0].fields.name?.trim() || undefined;
    const r = g.enroll(id, embeddings, { source: 'console-upload', ...(name ? { name } : {}) });
    deps.audit('console-person-photos', { who: req.principal!.who, identity: deps.auditIdentity(id), created: r.created, templates: r.templateIds.length });
    reply.code(r.created ? 201 : 200);
    return { person: view(found(id)), added: r.templateIds.length, duplicates: r.duplicates, problems };
  });
}
