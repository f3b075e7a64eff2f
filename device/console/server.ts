/**
 * The console's HTTP(S) server: fastify with the REST API under /api/v1, its OpenAPI document,
 * and the static console (public/). Loopback by default; TLS when configured (required off
 * loopback, with an admin password). Security headers on every answer: a strict CSP (no inline
 * script, nothing from another origin), no framing, no sniffing, no referrer.
 */
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { FaceGateError } from '../../sdk/errors.ts';
import { VERSION } from '../../sdk/version.ts';
import { isLoopbackHost } from '../config/schema.ts';
import type { ConsoleDeps } from './console-deps.ts';
import { authHook } from './auth.ts';
import { SessionStore } from './sessions.ts';
import { httpError } from './http-errors.ts';
import { openApiDocument } from './openapi.ts';
import { loadStaticFiles } from './static-files.ts';
import { sessionRoutes } from './routes/session.ts';
import { analyzeRoutes } from './routes/analyze.ts';
import { peopleRoutes } from './routes/people.ts';
import { decisionRoutes } from './routes/decisions.ts';
import { deviceRoutes } from './routes/device.ts';
import { liveRoutes } from './routes/live.ts';
import { recentFacesRoutes } from './routes/recent-faces.ts';
import { calibrationRoutes } from './routes/calibration.ts';

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface ConsoleRoute { method: string; url: string }

export interface RunningConsole {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Every route the server answers (tests check each /api/v1 one is in the OpenAPI document). */
  readonly routes: readonly ConsoleRoute[];
  close(): Promise<void>;
}


export async function buildConsole(deps: ConsoleDeps): Promise<{ app: FastifyInstance; routes: ConsoleRoute[] }> {
  const c = deps.cfg.console;
  const tls = c.tls ? { cert: await readPem(c.tls.cert), key: await readPem(c.tls.key) } : undefined;
  // Unknown body fields are refused, not silently dropped (fastify's default drops them).
  const ajv = { customOptions: { removeAdditional: false as const, allowUnionTypes: true } };
  const app = (tls ? Fastify({ https: tls, logger: false, ajv }) : Fastify({ logger: false, ajv })) as unknown as FastifyInstance;
  const sessions = new SessionStore();
  const routes: ConsoleRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: c.maxUploadBytes, files: 20, fields: 20, fieldSize: 4096, parts: 40 } });
  await app.register(rateLimit, { global: false, errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: { code: 'FG_RATE_LIMITED', message: `too many attempts; try again in ${Math.ceil(ctx.ttl / 1000)} s` } }) });

  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'SAMEORIGIN').header('cross-origin-opener-policy', 'same-origin');
    if (tls) reply.header('strict-transport-security', 'max-age=31536000');
  });
  app.addHook('preHandler', authHook(deps.credentials, sessions));
  app.setErrorHandler((e, _req, reply) => {
    // The rate limiter answers with its own body (already in our shape).
    const rl = e as { statusCode?: number; error?: { code: string; message: string } };
    if (rl.statusCode === 429 && rl.error) return reply.code(429).send({ error: rl.error });
    const { status, body } = httpError(e);
    if (status === 500) deps.logs.logger.error('console request failed', { error: (e as Error).message });
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'FG_GALLERY_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  const doc = openApiDocument(VERSION);
  app.get('/api/v1/openapi.json', { config: { scope: 'public' } }, async () => doc);
  sessionRoutes(app, deps, sessions, !!tls);
  analyzeRoutes(app, deps);
  peopleRoutes(app, deps);
  decisionRoutes(app, deps);
  deviceRoutes(app, deps);
  liveRoutes(app, deps);
  recentFacesRoutes(app, deps);
  calibrationRoutes(app, deps);

  const files = await loadStaticFiles();
  app.get('/', { config: { scope: 'public' } }, async (_req, reply) => reply.redirect('/console/'));
  app.get<{ Params: { file?: string } }>('/console/:file?', { config: { scope: 'public' } }, async (req, reply) => {
    const f = files.get(req.params.file || 'index.html');
    if (!f) throw new FaceGateError('FG_GALLERY_NOT_FOUND', `no console file ${req.params.file}`);
    return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
  });
  return { app, routes };
}

async function readPem(path: string): Promise<Buffer> {
  return readFile(path).catch((e: Error) => { throw new FaceGateError('FG_CONFIG_INVALID', `console.tls: cannot read ${path}: ${e.message}`); });
}

export async function startConsole(deps: ConsoleDeps): Promise<RunningConsole> {
  const c = deps.cfg.console;
  if (!isLoopbackHost(c.host)) {
    if (!c.tls) throw new FaceGateError('FG_CONFIG_INVALID', `console.host ${c.host} is not loopback: set console.tls.cert and console.tls.key`);
    if (!deps.credentials.hasAdmin) throw new FaceGateError('FG_CONFIG_INVALID', `console.host ${c.host} is not loopback: set an admin password first (facegate console passwd --config <file>)`);
  }
  const { app, routes } = await buildConsole(deps);
  await app.listen({ host: c.host, port: c.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : c.port;
  const host = c.host.includes(':') && !c.host.startsWith('[') ? `[${c.host}]` : c.host;
  return {
    app, routes, url: `${c.tls ? 'https' : 'http'}://${host}:${port}/console/`,
    close: async () => {
      deps.hub.close();
      await app.close();
    },
  };
}
