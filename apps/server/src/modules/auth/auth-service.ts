import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ChangePasswordBody } from '@portcullis/contract/profile';
import type { LoginBody, RegisterBody, User } from '@portcullis/contract/auth';
import type { AccessTokenService } from '../../lib/access-token.js';
import { AppError } from '../../lib/app-error.js';
import type { CounterStore } from '../../lib/counter-store.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import type { PasswordPolicy } from '../../lib/password-policy.js';
import { newBearerSecret, newId, sha256 } from '../../lib/random.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { UserRepository } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';
import type { LoginThrottle, Refusal } from './login-throttle.js';
import type { RefreshTokenRecord, SessionRepository } from './session-repository.js';
import type { SessionStateService } from './session-state.js';

/** Two tabs refreshing with the same token at once is normal; after this long it is theft. */
export const REFRESH_REUSE_GRACE_MS = 5_000;

const REGISTRATIONS_PER_CLIENT_PER_HOUR = 20;

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

export class AuthService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessions: SessionRepository;
      sessionState: SessionStateService;
      hasher: PasswordHasher;
      policy: PasswordPolicy;
      throttle: LoginThrottle;
      fastCounters: CounterStore;
      audit: AuditService;
      accessTokens: AccessTokenService;
      refreshTtlMs: number;
      sessionMaxAgeMs: number;
    },
  ) {}

  async register(body: RegisterBody, context: RequestContext): Promise<User> {
    const { users, hasher, policy, audit, fastCounters } = this.deps;
    const attempts = await fastCounters.increment(`register:${context.ip}`, 3_600_000);
    if (attempts.count > REGISTRATIONS_PER_CLIENT_PER_HOUR) {
      throw new AppError('rate_limited', {
        retryAfterSeconds: Math.max(1, Math.ceil((attempts.resetAtMs - Date.now()) / 1000)),
      });
    }
    const verdict = policy.check(body.password, { email: body.email, name: body.name });
    if (!verdict.ok) {
      throw new AppError(verdict.code, {
        fields: [{ path: 'password', message: verdict.message }],
      });
    }
    const now = Date.now();
    const row = {
      id: newId(),
      email: body.email,
      name: body.name,
      // Self-registration always yields `user`; only an admin or the operator CLI grants more.
      role: 'user' as const,
      password_hash: await hasher.hash(body.password),
      created_at: now,
      updated_at: now,
    };
    if (!(await users.insert(row))) throw new AppError('email_taken');
    await audit.record(context, {
      type: 'register',
      outcome: 'success',
      actorId: row.id,
      actorEmail: row.email,
    });
    return toUser(row);
  }

  async login(body: LoginBody, context: RequestContext): Promise<IssuedSession> {
    const { users, hasher, throttle, audit } = this.deps;
    const admission = await throttle.admit(body.email, context.ip);
    if (!admission.admitted) {
      throw await this.refuseAttempt(admission.refusal, context, {
        type: 'login_failed',
        actorEmail: body.email,
      });
    }

    const user = await users.findByEmail(body.email);
    // An unknown email still pays for one Argon2 verify, so timing does not reveal which exist.
    const verdict =
      user === undefined
        ? (await hasher.verifyAgainstDummy(body.password), { valid: false, needsRehash: false })
        : await hasher.verify(user.password_hash, body.password);

    if (user === undefined || !verdict.valid) {
      // The attempt stays counted: admit() counted it before the check.
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: user?.id ?? null,
        actorEmail: body.email,
      });
      throw new AppError('invalid_credentials');
    }

    await throttle.recordSuccess(admission.attempt);
    if (verdict.needsRehash) {
      await users.updatePasswordHash(user.id, await hasher.hash(body.password));
    }
    const issued = await this.startSession(user.id, context);
    await audit.record(context, {
      type: 'login_succeeded',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
    return { ...issued, user: toUser(user) };
  }

  /**
   * A password check the throttle refused (sign-in or the current password of a change): audited,
   * with login_locked when this attempt started the lock; the caller throws the 429 it returns.
   */
  private async refuseAttempt(
    refusal: Refusal,
    context: RequestContext,
    event: { type: 'login_failed' | 'password_changed'; actorEmail: string; actorId?: string },
  ): Promise<AppError> {
    const { audit } = this.deps;
    await audit.record(context, {
      type: event.type,
      outcome: 'failure',
      actorId: event.actorId ?? null,
      actorEmail: event.actorEmail,
      detail: `locked (${refusal.scope})`,
    });
    if (refusal.startedLock) {
      await audit.record(context, {
        type: 'login_locked',
        outcome: 'failure',
        actorId: event.actorId ?? null,
        actorEmail: event.actorEmail,
        detail: `${refusal.scope} locked for ${refusal.retryAfterSeconds}s`,
      });
    }
    return new AppError('too_many_attempts', { retryAfterSeconds: refusal.retryAfterSeconds });
  }

  /** A brand-new session id at every login, so no session fixation is possible. */
  private async startSession(
    userId: string,
    context: RequestContext,
  ): Promise<Omit<IssuedSession, 'user'> & { refreshToken: string }> {
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
      },
      { tokenHash: sha256(refreshToken), expiresAt: refreshExpiresAt },
    );
    return {
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
    const { sessions, sessionState, audit } = this.deps;
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
    await sessions.revoke(record.sessionId, now);
    await sessionState.invalidateSession(record.sessionId);
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

  /** Ends the session named by the access token or, failing that, by the refresh token. */
  async logout(
    accessToken: string | undefined,
    refreshToken: string | undefined,
    context: RequestContext,
  ): Promise<void> {
    const { sessions, sessionState, audit, accessTokens } = this.deps;
    let sessionId = accessToken === undefined ? undefined : accessTokens.verify(accessToken)?.sid;
    let userId: string | undefined;
    if (sessionId === undefined && refreshToken !== undefined && refreshToken.length <= 128) {
      const record = await sessions.findRefreshToken(sha256(refreshToken));
      sessionId = record?.sessionId;
      userId = record?.userId;
    }
    if (sessionId === undefined) return;
    await sessions.revoke(sessionId, Date.now());
    await sessionState.invalidateSession(sessionId);
    await audit.record(context, {
      type: 'logout',
      outcome: 'success',
      actorId: userId ?? accessTokens.verify(accessToken ?? '')?.sub ?? null,
    });
  }

  async changePassword(
    auth: AuthContext,
    body: ChangePasswordBody,
    context: RequestContext,
  ): Promise<void> {
    const { users, hasher, policy, sessions, sessionState, audit, throttle } = this.deps;
    const user = await users.findById(auth.userId);
    if (user === undefined) throw new AppError('unauthenticated');
    // A stolen session must not become an unthrottled oracle for the password: the check goes
    // through the sign-in throttle and spends the same counts (the account's and this client's).
    const admission = await throttle.admit(user.email, context.ip);
    if (!admission.admitted) {
      throw await this.refuseAttempt(admission.refusal, context, {
        type: 'password_changed',
        actorId: user.id,
        actorEmail: user.email,
      });
    }
    const current = await hasher.verify(user.password_hash, body.currentPassword);
    if (!current.valid) {
      await audit.record(context, {
        type: 'password_changed',
        outcome: 'failure',
        actorId: user.id,
        actorEmail: user.email,
      });
      throw new AppError('invalid_credentials', {
        fields: [{ path: 'currentPassword', message: 'The current password is incorrect.' }],
      });
    }
    await throttle.recordSuccess(admission.attempt);
    const verdict = policy.check(body.newPassword, { email: user.email, name: user.name });
    if (!verdict.ok) {
      throw new AppError(verdict.code, {
        fields: [{ path: 'newPassword', message: verdict.message }],
      });
    }
    await users.updatePasswordHash(user.id, await hasher.hash(body.newPassword));
    // Whoever else holds a session (perhaps the reason for the change) is signed out now.
    const revoked = await sessions.revokeAllForUser(user.id, Date.now(), auth.sessionId);
    await Promise.all(revoked.map((sessionId) => sessionState.invalidateSession(sessionId)));
    await audit.record(context, {
      type: 'password_changed',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: `${revoked.length} other session(s) revoked`,
    });
  }
}
