import type { Role } from '@portcullis/contract/roles';
import { BoundedCache } from '../../lib/bounded-cache.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { SessionPrincipal, SessionRepository } from './session-repository.js';

/**
 * Announces that cached session state went stale; the Redis bus fans it out to every instance.
 * `all` is local only: the bus raises it when it may have missed events (a pub/sub reconnect).
 */
export type Invalidation =
  { kind: 'session'; sessionId: string } | { kind: 'user'; userId: string } | { kind: 'all' };

export interface InvalidationBus {
  publish(event: Invalidation): Promise<void>;
  subscribe(handler: (event: Invalidation) => void): void;
  close(): Promise<void>;
}

/** One process: publishing is delivering. */
export class LocalInvalidationBus implements InvalidationBus {
  private readonly handlers: ((event: Invalidation) => void)[] = [];
  publish(event: Invalidation): Promise<void> {
    for (const handler of this.handlers) handler(event);
    return Promise.resolve();
  }
  subscribe(handler: (event: Invalidation) => void): void {
    this.handlers.push(handler);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface CachedSession {
  userId: string;
  expiresAt: number;
  revoked: boolean;
  authTime: number;
}

interface CachedUser {
  role: Role;
  email: string;
  name: string;
  createdAt: number;
  emailVerified: boolean;
  /** Disabling revokes every session too; this also catches a sign-in racing the disable. */
  disabled: boolean;
  hasSecondFactor: boolean;
}

/**
 * The per-request session check. The access token names a session; this answers "is it live, and
 * what is the user's role now" from two bounded caches in front of the database. Revocation and
 * role changes invalidate the cache entries (locally, and on other instances through the bus), so
 * they act on the next request while an ordinary request costs two Map lookups.
 */
export class SessionStateService {
  private readonly sessions: BoundedCache<CachedSession>;
  private readonly users: BoundedCache<CachedUser>;
  /** Loads in flight, so a burst of requests on a cold session costs one query, not hundreds. */
  private readonly loading = new Map<string, Promise<SessionPrincipal | undefined>>();

  constructor(
    private readonly repository: SessionRepository,
    private readonly bus: InvalidationBus,
    options: { maxEntries?: number; ttlMs?: number } = {},
  ) {
    const maxEntries = options.maxEntries ?? 200_000;
    const ttlMs = options.ttlMs ?? 60_000;
    this.sessions = new BoundedCache(maxEntries, ttlMs);
    this.users = new BoundedCache(maxEntries, ttlMs);
    bus.subscribe((event) => {
      this.forget(event);
    });
  }

  /**
   * Drops what `event` made stale from this instance's caches only, without publishing: for
   * changes announced elsewhere (the bus, or the invalidation log the operator's CLI writes).
   */
  forget(event: Invalidation): void {
    if (event.kind === 'session') this.sessions.delete(event.sessionId);
    else if (event.kind === 'user') this.users.delete(event.userId);
    else {
      this.sessions.clear();
      this.users.clear();
    }
  }

  async resolve(sessionId: string, userId: string, now = Date.now()): Promise<AuthContext | null> {
    let session = this.sessions.get(sessionId, now);
    let user = this.users.get(userId, now);
    if (session === undefined || user === undefined) {
      const principal = await this.load(sessionId);
      if (principal === undefined) return null;
      session = {
        userId: principal.userId,
        expiresAt: principal.expiresAt,
        revoked: principal.revokedAt !== null,
        authTime: principal.authTime ?? 0,
      };
      user = {
        role: principal.role,
        email: principal.email,
        name: principal.name,
        createdAt: principal.createdAt,
        emailVerified: principal.emailVerifiedAt !== null,
        disabled: principal.disabledAt !== null,
        hasSecondFactor: principal.hasSecondFactor,
      };
      this.sessions.set(sessionId, session);
      this.users.set(principal.userId, user);
    }
    if (session.revoked || session.expiresAt <= now || session.userId !== userId || user.disabled)
      return null;
    return {
      userId,
      sessionId,
      role: user.role,
      email: user.email,
      name: user.name,
      createdAt: user.createdAt,
      emailVerified: user.emailVerified,
      authTime: session.authTime,
      hasSecondFactor: user.hasSecondFactor,
    };
  }

  private load(sessionId: string): Promise<SessionPrincipal | undefined> {
    const pending = this.loading.get(sessionId);
    if (pending !== undefined) return pending;
    const promise = this.repository.findPrincipal(sessionId).finally(() => {
      this.loading.delete(sessionId);
    });
    this.loading.set(sessionId, promise);
    return promise;
  }

  invalidateSession(sessionId: string): Promise<void> {
    this.sessions.delete(sessionId);
    return this.bus.publish({ kind: 'session', sessionId });
  }

  invalidateUser(userId: string): Promise<void> {
    this.users.delete(userId);
    return this.bus.publish({ kind: 'user', userId });
  }

  get cachedSessions(): number {
    return this.sessions.size;
  }
}
