import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { User } from '@portcullis/contract/auth';
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
      refreshTtlMs: number;
      sessionMaxAgeMs: number;
    },
  ) {}

  /** A brand-new session id at every sign-in, so no session fixation is possible. */
  async start(
    userId: string,
    authentication: Authentication,
    context: RequestContext,
  ): Promise<Omit<IssuedSession, 'user'> & { refreshToken: string; sessionId: string }> {
    const now = Date.now();
    const sessionId = newId();
    const expiresAt = now + this.deps.sessionMaxAgeMs;
    const refreshToken = newBearerSecret();
    const refreshExpiresAt = Math.min(now + this.deps.refreshTtlMs, expiresAt);
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
      },
      { tokenHash: sha256(refreshToken), expiresAt: refreshExpiresAt },
    );
    return {
      sessionId,
      accessToken: this.deps.accessTokens.issue({ sub: userId, sid: sessionId }),
      refreshToken,
      refreshExpiresAt,
    };
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
      record.expiresAt <= now
    ) {
      throw new AppError('unauthenticated');
    }
    const bindingHash = csrfBinding === undefined ? null : sha256(csrfBinding);

    if (record.rotatedAt === null) {
      const successor = newBearerSecret();
      const refreshExpiresAt = Math.min(now + this.deps.refreshTtlMs, record.sessionExpiresAt);
      const rotated = await sessions.rotate(tokenHash, {
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
