/**
 * Who is calling and what they may do. A browser session (cookie) acts as the admin and must send
 * its CSRF token on every write; an API token (Authorization: Bearer) acts with its scope and
 * needs no CSRF token (a browser never attaches it on its own).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FaceGateError } from '../../sdk/errors.ts';
import { scopeAllows, type Credentials, type Scope } from './credentials.ts';
import { csrfMatches, CSRF_HEADER, SESSION_COOKIE, type Session, type SessionStore } from './sessions.ts';

export interface Principal {
  kind: 'session' | 'token';
  /** For the audit log: `admin:<user>` or `token:<name>/<id>`. */
  who: string;
  scope: Scope;
  session?: Session;
}

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
  interface FastifyContextConfig { scope?: Scope | 'public' }
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function authHook(credentials: Credentials, sessions: SessionStore) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const need = req.routeOptions.config.scope;
    if (need === undefined || need === 'public') return;
    const auth = req.headers.authorization;
    let p: Principal | null = null;
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const t = m ? credentials.findToken(m[1]) : null;
      if (!t) throw new FaceGateError('FG_UNAUTHORIZED', 'invalid or revoked API token');
      p = { kind: 'token', who: `token:${t.name}/${t.id}`, scope: t.scope };
    } else {
      const s = sessions.get(req.cookies[SESSION_COOKIE]);
      if (!s) throw new FaceGateError('FG_UNAUTHORIZED', 'log in or send an API token (Authorization: Bearer ...)');
      if (WRITE.has(req.method) && !csrfMatches(s, req.headers[CSRF_HEADER])) {
        throw new FaceGateError('FG_FORBIDDEN', `missing or wrong CSRF token (header ${CSRF_HEADER})`);
      }
      p = { kind: 'session', who: `admin:${s.user}`, scope: 'admin', session: s };
    }
    if (!scopeAllows(p.scope, need)) throw new FaceGateError('FG_FORBIDDEN', `this needs the '${need}' scope; the caller has '${p.scope}'`);
    req.principal = p;
  };
}
