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
import type { LoginThrottle } from './login-throttle.js';
import type { SessionRepository } from './session-repository.js';
import type { SessionStateService } from './session-state.js';

/** Two tabs refreshing with the same token at once is normal; after this long it is theft. */
export const REFRESH_REUSE_GRACE_MS = 5_000;

const REGISTRATIONS_PER_CLIENT_PER_HOUR = 20;

export interface IssuedSession {
  user: User;
  accessToken: string;
  /** Absent in the reuse grace window: the browser keeps the successor it already received. */
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
    const lock = await throttle.lockState(body.email, context.ip);
    if (lock !== undefined) {
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorEmail: body.email,
        detail: `locked (${lock.scope})`,
      });
      throw new AppError('too_many_attempts', { retryAfterSeconds: lock.retryAfterSeconds });
    }

    const user = await users.findByEmail(body.email);
    // An unknown email still pays for one Argon2 verify, so timing does not reveal which exist.
    const verdict =
      user === undefined
        ? (await hasher.verifyAgainstDummy(body.password), { valid: false, needsRehash: false })
        : await hasher.verify(user.password_hash, body.password);

    if (user === undefined || !verdict.valid) {
      const triggered = await throttle.recordFailure(body.email, context.ip);
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: user?.id ?? null,
        actorEmail: body.email,
      });
      if (triggered !== undefined) {
        await audit.record(context, {
          type: 'login_locked',
          outcome: 'failure',
          actorId: user?.id ?? null,
          actorEmail: body.email,
          detail: `${triggered.scope} locked for ${triggered.retryAfterSeconds}s`,
        });
      }
      throw new AppError('invalid_credentials');
    }

    await throttle.recordSuccess(body.email, context.ip);
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

  async refresh(refreshToken: string | undefined, context: RequestContext): Promise<IssuedSession> {
    const { sessions, sessionState, users, audit, accessTokens } = this.deps;
    if (refreshToken === undefined || refreshToken.length > 128)
      throw new AppError('unauthenticated');
    const tokenHash = sha256(refreshToken);
    const record = await sessions.findRefreshToken(tokenHash);
    const now = Date.now();
    if (
      record === undefined ||
      record.sessionRevokedAt !== null ||
      record.sessionExpiresAt <= now ||
      record.expiresAt <= now
    ) {
      throw new AppError('unauthenticated');
    }

    let successor: string | undefined;
    let refreshExpiresAt = record.expiresAt;
    if (record.rotatedAt === null) {
      successor = newBearerSecret();
      refreshExpiresAt = Math.min(now + this.deps.refreshTtlMs, record.sessionExpiresAt);
      const rotated = await sessions.rotate(tokenHash, {
        tokenHash: sha256(successor),
        sessionId: record.sessionId,
        createdAt: now,
        expiresAt: refreshExpiresAt,
      });
      if (!rotated) successor = undefined;
    } else if (now - record.rotatedAt > REFRESH_REUSE_GRACE_MS) {
      // A rotated token came back: either the user or a thief holds a copy. Kill the whole family
      // (the session and every token descended from it), as OAuth 2.0 Security BCP §4.14 advises.
      await sessions.revoke(record.sessionId, now);
      await sessionState.invalidateSession(record.sessionId);
      await audit.record(context, {
        type: 'refresh_token_reuse',
        outcome: 'failure',
        actorId: record.userId,
        detail: `session ${record.sessionId} revoked`,
      });
      throw new AppError('unauthenticated');
    }

    const user = await users.findById(record.userId);
    if (user === undefined) throw new AppError('unauthenticated');
    return {
      user: toUser(user),
      accessToken: accessTokens.issue({ sub: record.userId, sid: record.sessionId }),
      ...(successor !== undefined ? { refreshToken: successor } : {}),
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
    const { users, hasher, policy, sessions, sessionState, audit } = this.deps;
    const user = await users.findById(auth.userId);
    if (user === undefined) throw new AppError('unauthenticated');
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
