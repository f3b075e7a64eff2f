/** Login, logout, the session's CSRF token, and API token management (admin). */
import type { FastifyInstance } from 'fastify';
import { FaceGateError } from '../../../sdk/errors.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { SESSION_COOKIE, type SessionStore } from '../sessions.ts';
import { loginBody, tokenCreate } from '../schemas.ts';
import type { Scope } from '../credentials.ts';

export const LOGIN_RATE = { max: 5, timeWindow: '1 minute' };

export function sessionRoutes(app: FastifyInstance, deps: ConsoleDeps, sessions: SessionStore, secure: boolean): void {
  app.post<{ Body: { user?: string; password: string } }>('/api/v1/auth/login', {
    schema: { body: loginBody }, config: { scope: 'public', rateLimit: LOGIN_RATE },
  }, async (req, reply) => {
    const user = req.body.user ?? deps.credentials.adminUser ?? 'admin';
    if (!deps.credentials.hasAdmin) throw new FaceGateError('FG_UNAUTHORIZED', 'no admin password is set: run `facegate console passwd --config <file>`');
    if (!(await deps.credentials.verifyAdmin(user, req.body.password))) {
      deps.audit('console-login-failed', { user, ip: req.ip });
      throw new FaceGateError('FG_UNAUTHORIZED', 'wrong user or password');
    }
    const s = sessions.create(user);
    deps.audit('console-login', { who: `admin:${user}`, ip: req.ip });
    reply.setCookie(SESSION_COOKIE, s.id, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: 8 * 3600 });
    return { user, csrfToken: s.csrf };
  });

  app.post('/api/v1/auth/logout', { config: { scope: 'read' } }, async (req, reply) => {
    const s = req.principal?.session;
    if (s) {
      sessions.delete(s.id);
      deps.audit('console-logout', { who: req.principal!.who });
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/v1/auth/session', { config: { scope: 'read' } }, async (req) => {
    const p = req.principal!;
    return { who: p.who, scope: p.scope, csrfToken: p.session?.csrf ?? null };
  });

  app.get('/api/v1/tokens', { config: { scope: 'admin' } }, async () => ({ tokens: deps.credentials.tokens() }));

  app.post<{ Body: { name: string; scope: Scope } }>('/api/v1/tokens', { schema: { body: tokenCreate }, config: { scope: 'admin' } }, async (req, reply) => {
    const { token, record } = await deps.credentials.createToken(req.body.name, req.body.scope);
    deps.audit('console-token-create', { who: req.principal!.who, token: record.id, name: record.name, scope: record.scope });
    reply.code(201);
    return { token, id: record.id, name: record.name, scope: record.scope, created: record.created };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', { config: { scope: 'admin' } }, async (req) => {
    const t = await deps.credentials.revokeToken(req.params.id);
    deps.audit('console-token-revoke', { who: req.principal!.who, token: t.id, name: t.name });
    return { id: t.id, revoked: t.revoked };
  });
}
