import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { User } from '@portcullis/contract/auth';
import type { Role } from '@portcullis/contract/roles';
import type { SessionView } from '@portcullis/contract/security';
import { describeUserAgent } from '@portcullis/contract/user-agent';
import type { AccessTokenService } from '../../lib/access-token.js';
import { AppError } from '../../lib/app-error.js';
import { newBearerSecret, newId, sha256 } from '../../lib/random.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { RefreshTokenRecord, SessionRepository } from '../auth/session-repository.js';
import type { SessionStateService } from '../auth/session-state.js';
import type { UserRepository } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';
import type { Authentication } from './pending-sign-in.js';

/** Two tabs refreshing with the same token at once is normal; after this long it is theft. */
export const REFRESH_REUSE_GRACE_MS = 5_000;

/**
 * Only hashes of refresh tokens are stored, yet a replay within the grace window must get the
 * successor already issued. So the successor is kept encrypted (AES-256-GCM) under a key derived
 * from the token it replaced: only whoever presents that token can open it, and the database holds
 * only the token's SHA-256, from which the key cannot be derived (HKDF is a different function).
 * A database dump alone therefore yields no usable token. See docs/decisions/001.
 */
function successorKey(predecessor: string): Buffer {
  return Buffer.from(hkdfSync('sha256', predecessor, '', 'portcullis refresh-token successor', 32));
}

function sealSuccessor(predecessor: string, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', successorKey(predecessor), iv);
  const sealed = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return [iv, sealed, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
}

function openSuccessor(predecessor: string, sealed: string | null): string | undefined {
  const [iv, data, tag] = (sealed ?? '').split('.').map((part) => Buffer.from(part, 'base64url'));
  if (iv?.length !== 12 || data === undefined || tag?.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', successorKey(predecessor), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export interface IssuedSession {
  user: User;
  accessToken: string;
  /** Absent when the browser already holds a newer token than the one it could be sent again. */
  refreshToken?: string;
  refreshExpiresAt: number;
  /** "Remember me": the refresh cookie gets an expiry; otherwise it ends with the browser. */
  persistent: boolean;
}

/** How long sessions live, in milliseconds (ADR 013). */
export interface SessionLifetimes {
  remembered: { idleMs: number; maxAgeMs: number };
  browser: { idleMs: number; maxAgeMs: number };
  adminIdleMs: number;
}

export interface StartOptions {
  /** Ticked "remember me". */
  persistent: boolean;
  /** The user's role now: admins get the shorter idle limit. */
  role: Role;
}

export interface RequestContext extends AuditContext {
  ip: string;
}

/**
 * The one place sessions start, rotate, resolve and end (ADR 011). Every way in (password today;
 * second factors, passkeys and providers later) ends here with an `Authentication`, recorded on
 * the session as OIDC's `amr` and `auth_time`; every way out revokes in the database and drops
 * the cached state on every instance in one call.
 */
export class SessionService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessions: SessionRepository;
      sessionState: SessionStateService;
      audit: AuditService;
      accessTokens: AccessTokenService;
      lifetimes: SessionLifetimes;
      /** At most this many live sessions per account (ADR 013). */
      maxSessionsPerUser: number;
    },
  ) {}

  /** The idle limit for a session of this kind and role. */
  private idleMs(persistent: boolean, role: Role): number {
    const { lifetimes } = this.deps;
    const idle = persistent ? lifetimes.remembered.idleMs : lifetimes.browser.idleMs;
    return role === 'admin' ? Math.min(idle, lifetimes.adminIdleMs) : idle;
  }

  /** A brand-new session id at every sign-in, so no session fixation is possible. */
  async start(
    userId: string,
    authentication: Authentication,
    context: RequestContext,
    options: StartOptions,
  ): Promise<Omit<IssuedSession, 'user'> & { refreshToken: string; sessionId: string }> {
    const now = Date.now();
    const sessionId = newId();
    const { persistent, role } = options;
    const maxAgeMs = persistent
      ? this.deps.lifetimes.remembered.maxAgeMs
      : this.deps.lifetimes.browser.maxAgeMs;
    const expiresAt = now + maxAgeMs;
    const refreshToken = newBearerSecret();
    const refreshExpiresAt = Math.min(now + this.idleMs(persistent, role), expiresAt);
    await this.deps.sessions.create(
      {
        id: sessionId,
        userId,
        createdAt: now,
        expiresAt,
        ip: context.ip,
        userAgent: context.userAgent,
        amr: authentication.amr,
        authTime: authentication.authTime,
        persistent,
        idleExpiresAt: refreshExpiresAt,
      },
      { tokenHash: sha256(refreshToken), expiresAt: refreshExpiresAt },
    );
    await this.endSessionsOverLimit(userId, now, context);
    return {
      sessionId,
      accessToken: this.deps.accessTokens.issue({ sub: userId, sid: sessionId }),
      refreshToken,
      refreshExpiresAt,
      persistent,
    };
  }

  /**
   * An account holds at most `maxSessionsPerUser` live sessions (ASVS 5.0 7.1.2). The new sign-in
   * always succeeds; the least recently used sessions beyond the limit end, so what goes is a
   * device long forgotten, not the one in use, and a stolen password cannot fill the table.
   */
  private async endSessionsOverLimit(
    userId: string,
    now: number,
    context: RequestContext,
  ): Promise<void> {
    const { maxSessionsPerUser: limit } = this.deps;
    const ended = await this.deps.sessions.revokeLeastRecentlyUsed(userId, limit, now);
    if (ended.length === 0) return;
    await Promise.all(ended.map((id) => this.deps.sessionState.invalidateSession(id)));
    await this.deps.audit.record(context, {
      type: 'session_revoked',
      outcome: 'success',
      actorId: userId,
      targetId: userId,
      detail: `${String(ended.length)} least recently used session(s): limit of ${String(limit)}`,
    });
  }

  /**
   * Re-authentication (a password change) or a privilege change: a new session id and refresh
   * token replace the current ones, with the same "remember me", and the old session ends, so a
   * token captured before cannot outlive the change (OWASP session management cheat sheet).
   */
  async replace(
    current: { sessionId: string; userId: string; role: Role },
    authentication: Authentication,
    context: RequestContext,
  ): Promise<Omit<IssuedSession, 'user'> & { refreshToken: string; sessionId: string }> {
    const persistent = await this.deps.sessions.isPersistent(current.sessionId);
    const started = await this.start(current.userId, authentication, context, {
      persistent,
      role: current.role,
    });
    await this.revoke(current.sessionId);
    return started;
  }

  /**
   * Rotates the refresh token. A token already rotated is a replay: within the grace window, from
   * the browser its successor went to (the same CSRF binding cookie, i.e. another tab racing), it
   * gets that same successor again; from anywhere else, or later, it is reuse (docs/decisions/001).
   */
  async refresh(
    refreshToken: string | undefined,
    context: RequestContext,
    csrfBinding: string | undefined,
  ): Promise<IssuedSession> {
    const { sessions } = this.deps;
    if (refreshToken === undefined || refreshToken.length > 128)
      throw new AppError('unauthenticated');
    const tokenHash = sha256(refreshToken);
    let record = await sessions.findRefreshToken(tokenHash);
    const now = Date.now();
    if (
      record === undefined ||
      record.sessionRevokedAt !== null ||
      record.sessionExpiresAt <= now ||
      record.expiresAt <= now ||
      record.userDisabledAt !== null
    ) {
      throw new AppError('unauthenticated');
    }
    const bindingHash = csrfBinding === undefined ? null : sha256(csrfBinding);

    if (record.rotatedAt === null) {
      const successor = newBearerSecret();
      const refreshExpiresAt = Math.min(
        now + this.idleMs(record.persistent, record.role),
        record.sessionExpiresAt,
      );
      const rotated = await sessions.rotate(tokenHash, {
        idleExpiresAt: refreshExpiresAt,
        tokenHash: sha256(successor),
        sessionId: record.sessionId,
        createdAt: now,
        expiresAt: refreshExpiresAt,
        csrfBindingHash: bindingHash,
        sealed: sealSuccessor(refreshToken, successor),
      });
      if (rotated) return this.issueRefreshed(record, successor, refreshExpiresAt);
      // Another request rotated it a moment ago: this one is a replay like any other.
      record = await sessions.findRefreshToken(tokenHash);
      if (record === undefined || record.rotatedAt === null) throw new AppError('unauthenticated');
    }
    return this.answerReplay(refreshToken, record, bindingHash, context, now);
  }

  private async answerReplay(
    refreshToken: string,
    record: RefreshTokenRecord,
    bindingHash: string | null,
    context: RequestContext,
    now: number,
  ): Promise<IssuedSession> {
    const { sessions, audit } = this.deps;
    const withinGrace =
      record.rotatedAt !== null && now - record.rotatedAt <= REFRESH_REUSE_GRACE_MS;
    const successor = withinGrace ? openSuccessor(refreshToken, record.successorSealed) : undefined;
    const next =
      successor === undefined ? undefined : await sessions.findRefreshToken(sha256(successor));
    // Deny by default: the successor's browser must be on record and be the one asking.
    if (
      successor !== undefined &&
      next?.sessionId === record.sessionId &&
      bindingHash !== null &&
      next.csrfBindingHash === bindingHash
    ) {
      // If the successor was itself rotated already, the browser holds a newer token: keep it.
      const resent = next.rotatedAt === null ? successor : undefined;
      return this.issueRefreshed(record, resent, next.expiresAt);
    }
    // A rotated token came back where its successor did not go: either the user or a thief holds
    // a copy. Kill the whole family (the session and every token descended from it), as OAuth 2.0
    // Security BCP §4.14 advises; the grace window is only for the browser's own racing tabs.
    await this.revoke(record.sessionId);
    await audit.record(context, {
      type: 'refresh_token_reuse',
      outcome: 'failure',
      actorId: record.userId,
      detail: withinGrace
        ? `session ${record.sessionId} revoked: replayed within the grace window from another browser`
        : `session ${record.sessionId} revoked`,
    });
    throw new AppError('unauthenticated');
  }

  private async issueRefreshed(
    record: RefreshTokenRecord,
    refreshToken: string | undefined,
    refreshExpiresAt: number,
  ): Promise<IssuedSession> {
    const user = await this.deps.users.findById(record.userId);
    if (user === undefined) throw new AppError('unauthenticated');
    return {
      user: toUser(user),
      accessToken: this.deps.accessTokens.issue({ sub: record.userId, sid: record.sessionId }),
      ...(refreshToken !== undefined ? { refreshToken } : {}),
      refreshExpiresAt,
      persistent: record.persistent,
    };
  }

  async authenticate(accessToken: string | undefined): Promise<AuthContext | null> {
    if (accessToken === undefined) return null;
    const claims = this.deps.accessTokens.verify(accessToken);
    if (claims === undefined) return null;
    return this.deps.sessionState.resolve(claims.sid, claims.sub);
  }

  /** The session an access token names, even an expired-but-well-signed one is not accepted. */
  sessionOf(accessToken: string | undefined): { sessionId: string; userId: string } | undefined {
    if (accessToken === undefined) return undefined;
    const claims = this.deps.accessTokens.verify(accessToken);
    return claims === undefined ? undefined : { sessionId: claims.sid, userId: claims.sub };
  }

  /** The session a refresh token belongs to, for a sign-out after the access token expired. */
  async sessionOfRefreshToken(
    refreshToken: string | undefined,
  ): Promise<{ sessionId: string; userId: string } | undefined> {
    if (refreshToken === undefined || refreshToken.length > 128) return undefined;
    const record = await this.deps.sessions.findRefreshToken(sha256(refreshToken));
    return record === undefined
      ? undefined
      : { sessionId: record.sessionId, userId: record.userId };
  }

  /** Ends one session, here and on every instance (its cached state is dropped at once). */
  async revoke(sessionId: string): Promise<void> {
    await this.deps.sessions.revoke(sessionId, Date.now());
    await this.deps.sessionState.invalidateSession(sessionId);
  }

  /** The user's live sessions as the owner sees them; `currentSessionId` is marked. */
  async list(userId: string, currentSessionId: string | undefined): Promise<SessionView[]> {
    const rows = await this.deps.sessions.listLive(userId, Date.now());
    return rows.map((row) => {
      const lastUsedAt = row.lastUsedAt ?? row.createdAt;
      const ends = Math.min(row.expiresAt, row.idleExpiresAt ?? row.expiresAt);
      return {
        id: row.id,
        device: describeDevice(row.userAgent),
        userAgent: row.userAgent,
        ip: row.ip,
        createdAt: new Date(row.createdAt).toISOString(),
        lastUsedAt: new Date(lastUsedAt).toISOString(),
        expiresAt: new Date(ends).toISOString(),
        current: row.id === currentSessionId,
        remembered: row.persistent === 1,
        methods: parseAmr(row.amr),
      };
    });
  }

  /** Ends one of the user's own sessions; false when it is not theirs or not live (a 404). */
  async revokeOwn(userId: string, sessionId: string): Promise<boolean> {
    const revoked = await this.deps.sessions.revokeOwned(userId, sessionId, Date.now());
    if (revoked) await this.deps.sessionState.invalidateSession(sessionId);
    return revoked;
  }

  /** Ends every session of the user but `exceptSessionId`; returns how many ended. */
  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<number> {
    const revoked = await this.deps.sessions.revokeAllForUser(userId, Date.now(), exceptSessionId);
    await Promise.all(
      revoked.map((sessionId) => this.deps.sessionState.invalidateSession(sessionId)),
    );
    // Cached profile data (role, email) goes too, so a changed address shows at once.
    await this.deps.sessionState.invalidateUser(userId);
    return revoked.length;
  }

  /** Profile data changed (email, verification, role): drop it from every instance's cache. */
  async forgetUser(userId: string): Promise<void> {
    await this.deps.sessionState.invalidateUser(userId);
  }
}

/** "Chrome on Linux", or "Unknown device" for a client that names no known browser. */
export function describeDevice(userAgent: string | null): string {
  return (userAgent === null ? undefined : describeUserAgent(userAgent)) ?? 'Unknown device';
}

function parseAmr(amr: string | null): string[] {
  if (amr === null) return [];
  try {
    const parsed: unknown = JSON.parse(amr);
    return Array.isArray(parsed) ? parsed.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}
