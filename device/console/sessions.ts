/**
 * Browser sessions: random ids in an HttpOnly, SameSite=Strict cookie, each with its own CSRF
 * token that every write must echo in a header (a cross-site form cannot read it). In memory:
 * a restart logs everyone out, which is the safe direction for a door terminal.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'fg_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Session { id: string; user: string; csrf: string; expires: number }

export class SessionStore {
  #sessions = new Map<string, Session>();
  constructor(private readonly ttlMs = 8 * 3600_000, private readonly max = 64) {}

  create(user: string, now = Date.now()): Session {
    this.#sweep(now);
    // Bounded: the oldest session goes first when a flood of logins fills the table.
    if (this.#sessions.size >= this.max) this.#sessions.delete(this.#sessions.keys().next().value!);
    const s: Session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(24).toString('base64url'), expires: now + this.ttlMs };
    this.#sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined, now = Date.now()): Session | null {
    if (!id) return null;
    const s = this.#sessions.get(id);
    if (!s) return null;
    if (s.expires <= now) {
      this.#sessions.delete(id);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(id);
  }
}

export function csrfMatches(session: Session, header: unknown): boolean {
  if (typeof header !== 'string' || header.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(header), Buffer.from(session.csrf));
}
