import type { ChangePasswordBody } from '@portcullis/contract/profile';
import type { LoginBody } from '@portcullis/contract/auth';
import { AppError } from '../../lib/app-error.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditService } from '../audit/audit-service.js';
import type { PasswordCredentials } from '../identity/password-credentials.js';
import type { SecondFactorBody, SecondFactorMethod } from '@portcullis/contract/second-factors';
import type { AuthMethod, PendingSignIns, SignInOutcome } from '../identity/pending-sign-in.js';
import type { SecondFactorService } from '../second-factors/second-factor-service.js';
import type { VerificationStore } from '../identity/verification-store.js';
import type { IssuedSession, RequestContext, SessionService } from '../identity/session-service.js';
import type { UserRepository, UserRow } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';
import type { LoginThrottle, Refusal } from './login-throttle.js';

/** What the account module is told about sign-ins and password changes, to notify the owner. */
export interface SecurityNotices {
  signedIn(
    user: { id: string; email: string },
    deviceId: string,
    context: RequestContext,
  ): Promise<void>;
  passwordChanged(user: { id: string; email: string }, context: RequestContext): Promise<void>;
  locked(email: string, retryAfterSeconds: number): Promise<void>;
  resetRequired(user: { id: string; email: string }, context: RequestContext): Promise<void>;
}

export type SignInResult =
  | (IssuedSession & { kind: 'session'; sessionId: string })
  /** The password was right and a second factor is owed: the token goes in an HttpOnly cookie. */
  | { kind: 'pending'; token: string; methods: SecondFactorMethod[]; expiresAt: number };

/**
 * Password sign-in and the password change. The password is one credential among others: it
 * proves the first factor, the pending sign-in decides whether anything else is owed, and the
 * session service starts the session. Nothing here knows how a session is stored.
 */
export class AuthService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      passwords: PasswordCredentials;
      signIns: PendingSignIns;
      sessions: SessionService;
      throttle: LoginThrottle;
      audit: AuditService;
      verifications: VerificationStore;
      notices: SecurityNotices;
      factors: SecondFactorService;
      /** Where a provider's own session is ended after ours (RP-initiated logout, ADR 016). */
      providerLogout?: {
        endSessionUrl(sessionId: string): Promise<string | undefined>;
        sessionStarted(sessionId: string, pendingToken: string | undefined): Promise<void>;
      };
    },
  ) {}

  async login(body: LoginBody, context: RequestContext, deviceId: string): Promise<SignInResult> {
    const { users, passwords, throttle, audit, signIns, notices } = this.deps;
    const admission = await throttle.admit(body.email, context.ip);
    if (!admission.admitted) {
      throw await this.refuseAttempt(admission.refusal, context, {
        type: 'login_failed',
        actorEmail: body.email,
      });
    }

    const user = await users.findByEmail(body.email);
    // An unknown email (or an account with no password) still pays for one Argon2 verify, so
    // timing does not reveal which exist.
    if (!(await passwords.verify(user?.id, body.password)) || user === undefined) {
      // The attempt stays counted: admit() counted it before the check.
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: user?.id ?? null,
        actorEmail: body.email,
      });
      const attemptsRemaining = throttle.remainingForClient(admission.attempt);
      throw new AppError(
        'invalid_credentials',
        attemptsRemaining === undefined ? {} : { attemptsRemaining },
      );
    }

    if (user.disabled_at !== null) {
      // The same answer as a wrong password: a disabled account is no way in, and says nothing.
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: user.id,
        actorEmail: user.email,
        detail: 'account disabled',
      });
      // The attempt stays counted, as a wrong password's does.
      const attemptsRemaining = throttle.remainingForClient(admission.attempt);
      throw new AppError(
        'invalid_credentials',
        attemptsRemaining === undefined ? {} : { attemptsRemaining },
      );
    }
    await throttle.recordSuccess(admission.attempt);
    if (user.must_reset_password === 1) {
      // Only after the right password, so this answer reveals nothing to a guesser.
      await notices.resetRequired(user, context);
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: user.id,
        actorEmail: user.email,
        detail: 'password reset required',
      });
      throw new AppError('password_reset_required');
    }
    const outcome = await signIns.begin(user.id, 'pwd', body.remember === true);
    if (outcome.kind === 'pending') {
      await audit.record(context, {
        type: 'login_succeeded',
        outcome: 'success',
        actorId: user.id,
        actorEmail: user.email,
        detail: 'password; second factor owed',
      });
      return {
        kind: 'pending',
        token: outcome.token,
        methods: await this.deps.factors.methodsFor(user.id),
        expiresAt: outcome.expiresAt,
      };
    }
    return this.finishSignIn(user, outcome, context, deviceId);
  }

  /**
   * A provider proved the user (ADR 016): the first factor is `fed`, plus whatever second factor a
   * provider the operator trusts asserted. From here it is the password's path: the pending
   * sign-in decides whether a Portcullis second factor is still owed, then one session start.
   */
  async signInWithProvider(
    input: { userId: string; providerAmr: readonly AuthMethod[]; persistent: boolean },
    context: RequestContext,
    deviceId: string,
  ): Promise<SignInResult> {
    const { users, signIns, audit } = this.deps;
    const user = await users.findById(input.userId);
    if (user === undefined || user.disabled_at !== null) {
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: input.userId,
        actorEmail: user?.email ?? null,
        detail: 'provider: account disabled',
      });
      throw new AppError('invalid_credentials');
    }
    const outcome = await signIns.begin(user.id, 'fed', input.persistent, input.providerAmr);
    if (outcome.kind === 'pending') {
      return {
        kind: 'pending',
        token: outcome.token,
        methods: await this.deps.factors.methodsFor(user.id),
        expiresAt: outcome.expiresAt,
      };
    }
    return this.finishSignIn(user, outcome, context, deviceId);
  }

  /** The user a pending sign-in belongs to (for a passkey's allow-list), if it is still live. */
  pendingUser(token: string): Promise<string | undefined> {
    return this.deps.signIns.userFor(token);
  }

  /** Every sign-in that is complete ends here: one session start, one audit, one notice. */
  private async finishSignIn(
    user: UserRow,
    outcome: Extract<SignInOutcome, { kind: 'complete' }>,
    context: RequestContext,
    deviceId: string,
    /** The pending sign-in this completes, if it had a second step. */
    pendingToken?: string,
  ): Promise<SignInResult> {
    const { users, sessions, audit, notices } = this.deps;
    const issued = await sessions.start(user.id, outcome.authentication, context, {
      persistent: outcome.persistent,
      role: user.role,
    });
    // A provider sign-in that owed a second factor: its provider session is tied to this one now.
    await this.deps.providerLogout?.sessionStarted(issued.sessionId, pendingToken);
    await users.recordSignIn(user.id, Date.now());
    await audit.record(context, {
      type: 'login_succeeded',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: outcome.authentication.amr.join('+'),
    });
    await notices.signedIn(user, deviceId, context);
    return { kind: 'session', ...issued, user: toUser(user) };
  }

  /**
   * The second step with a code (TOTP or a recovery code), for the pending sign-in the browser's
   * cookie holds. Wrong codes spend the same throttle counts as wrong passwords, so six digits
   * cannot be walked through; the pending state works once and for five minutes.
   */
  async completeWithCode(
    pendingToken: string | undefined,
    body: SecondFactorBody,
    context: RequestContext,
    deviceId: string,
  ): Promise<SignInResult> {
    const { users, signIns } = this.deps;
    const userId = pendingToken === undefined ? undefined : await signIns.userFor(pendingToken);
    const user = userId === undefined ? undefined : await users.findById(userId);
    if (pendingToken === undefined || user === undefined) throw new AppError('unauthenticated');
    await this.checkCode(user, body, context, 'login_failed');
    const outcome = await signIns.continue(pendingToken, 'otp');
    if (outcome.kind !== 'complete') throw new AppError('unauthenticated');
    return this.finishSignIn(user, outcome, context, deviceId, pendingToken);
  }

  /**
   * A passkey: alone (a discoverable credential; the passkey proves possession and, with user
   * verification, a second factor), or as the second step of a pending password sign-in.
   */
  async signInWithPasskey(
    input: {
      response: { id: string };
      challengeToken: string | undefined;
      pendingToken: string | undefined;
      remember: boolean;
    },
    context: RequestContext,
    deviceId: string,
  ): Promise<SignInResult> {
    const { users, signIns, factors, audit } = this.deps;
    const proven = await factors.verifyAssertion(
      input.response,
      input.challengeToken,
      'sign-in',
      context,
    );
    const user = await users.findById(proven.userId);
    if (user === undefined || user.disabled_at !== null) {
      await audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: proven.userId,
        detail: 'passkey: account disabled',
      });
      throw new AppError('invalid_second_factor');
    }
    if (user.must_reset_password === 1) {
      await this.deps.notices.resetRequired(user, context);
      throw new AppError('password_reset_required');
    }
    const pendingUser =
      input.pendingToken === undefined ? undefined : await signIns.userFor(input.pendingToken);
    const outcome =
      input.pendingToken !== undefined && pendingUser === user.id
        ? await signIns.continue(input.pendingToken, proven.method)
        : await signIns.begin(user.id, proven.method, input.remember);
    if (outcome.kind !== 'complete') throw new AppError('unauthenticated');
    return this.finishSignIn(
      user,
      outcome,
      context,
      deviceId,
      input.pendingToken !== undefined && pendingUser === user.id ? input.pendingToken : undefined,
    );
  }

  /**
   * Step-up: the user proves it again (password, code or passkey) for a sensitive action. The
   * session is replaced by a new one (new id, tokens and CSRF binding) whose `auth_time` is now.
   */
  async stepUp(
    auth: AuthContext,
    proof:
      | { method: 'password'; password: string }
      | { method: 'totp'; code: string }
      | { method: 'passkey'; response: { id: string }; challengeToken: string | undefined },
    context: RequestContext,
  ): Promise<IssuedSession> {
    const { users, factors, sessions, audit } = this.deps;
    let method: AuthMethod;
    if (proof.method === 'password') {
      await this.reauthenticate(auth, proof.password, context, {
        type: 'reauthenticated',
        field: 'password',
      });
      method = 'pwd';
    } else if (proof.method === 'totp') {
      const user = await users.findById(auth.userId);
      if (user === undefined) throw new AppError('unauthenticated');
      await this.checkCode(user, proof, context, 'reauthenticated');
      method = 'otp';
    } else {
      const proven = await factors.verifyAssertion(
        proof.response,
        proof.challengeToken,
        'reauthenticate',
        context,
      );
      if (proven.userId !== auth.userId) throw new AppError('invalid_second_factor');
      method = proven.method;
    }
    const user = await users.findById(auth.userId);
    if (user === undefined) throw new AppError('unauthenticated');
    const replaced = await sessions.replace(
      { sessionId: auth.sessionId, userId: user.id, role: user.role },
      { amr: [method], authTime: Date.now() },
      context,
    );
    await audit.record(context, {
      type: 'reauthenticated',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: method,
    });
    return { ...replaced, user: toUser(user) };
  }

  /**
   * A TOTP or recovery code for `user`, counted like a password (the same throttle scopes), so six
   * digits cannot be walked through. A wrong code is audited as `eventType` and refused with the
   * attempts this client has left.
   */
  private async checkCode(
    user: UserRow,
    body: SecondFactorBody,
    context: RequestContext,
    eventType: 'login_failed' | 'reauthenticated',
  ): Promise<void> {
    const { throttle, audit, factors } = this.deps;
    const admission = await throttle.admit(user.email, context.ip);
    if (!admission.admitted) {
      throw await this.refuseAttempt(admission.refusal, context, {
        type: eventType,
        actorId: user.id,
        actorEmail: user.email,
      });
    }
    if (!(await factors.verifyCode(user, body, context))) {
      await audit.record(context, {
        type: eventType,
        outcome: 'failure',
        actorId: user.id,
        actorEmail: user.email,
        detail: `wrong ${body.method === 'totp' ? 'authenticator code' : 'recovery code'}`,
      });
      const attemptsRemaining = throttle.remainingForClient(admission.attempt);
      throw new AppError(
        'invalid_second_factor',
        attemptsRemaining === undefined ? {} : { attemptsRemaining },
      );
    }
    await throttle.recordSuccess(admission.attempt);
  }

  /**
   * A password check the throttle refused (sign-in or the current password of a change): audited,
   * with login_locked when this attempt started the lock; the caller throws the 429 it returns.
   */
  private async refuseAttempt(
    refusal: Refusal,
    context: RequestContext,
    event: {
      type: 'login_failed' | 'password_changed' | 'account_deleted' | 'reauthenticated';
      actorEmail: string;
      actorId?: string;
    },
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
      await this.deps.notices.locked(event.actorEmail, refusal.retryAfterSeconds);
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

  refresh(
    refreshToken: string | undefined,
    context: RequestContext,
    csrfBinding: string | undefined,
  ): Promise<IssuedSession> {
    return this.deps.sessions.refresh(refreshToken, context, csrfBinding);
  }

  authenticate(accessToken: string | undefined): Promise<AuthContext | null> {
    return this.deps.sessions.authenticate(accessToken);
  }

  /**
   * Ends the session named by the access token or, failing that, by the refresh token. For a
   * session from a provider with RP-initiated logout, answers the provider's end-session URL.
   */
  async logout(
    accessToken: string | undefined,
    refreshToken: string | undefined,
    context: RequestContext,
  ): Promise<{ providerLogoutUrl?: string }> {
    const { sessions, audit, providerLogout } = this.deps;
    const session =
      sessions.sessionOf(accessToken) ?? (await sessions.sessionOfRefreshToken(refreshToken));
    if (session === undefined) return {};
    // Looked up first: the session's provider link is read while the session still exists.
    const providerLogoutUrl = await providerLogout?.endSessionUrl(session.sessionId);
    await sessions.revoke(session.sessionId);
    await audit.record(context, { type: 'logout', outcome: 'success', actorId: session.userId });
    return providerLogoutUrl === undefined ? {} : { providerLogoutUrl };
  }

  /**
   * The current password again, before a sensitive action (a password change, deleting the
   * account). A stolen session must not become an unthrottled oracle for the password: the check
   * goes through the sign-in throttle and spends the same counts (the account's and this client's).
   * A wrong password is audited as `event` and answered on `field`.
   */
  async reauthenticate(
    auth: AuthContext,
    password: string,
    context: RequestContext,
    event: { type: 'password_changed' | 'account_deleted' | 'reauthenticated'; field: string },
  ): Promise<UserRow> {
    const { users, passwords, audit, throttle } = this.deps;
    const user = await users.findById(auth.userId);
    if (user === undefined) throw new AppError('unauthenticated');
    const admission = await throttle.admit(user.email, context.ip);
    if (!admission.admitted) {
      throw await this.refuseAttempt(admission.refusal, context, {
        type: event.type,
        actorId: user.id,
        actorEmail: user.email,
      });
    }
    if (!(await passwords.verify(user.id, password))) {
      await audit.record(context, {
        type: event.type,
        outcome: 'failure',
        actorId: user.id,
        actorEmail: user.email,
        detail: 'wrong password',
      });
      throw new AppError('invalid_credentials', {
        fields: [{ path: event.field, message: 'The password is incorrect.' }],
      });
    }
    await throttle.recordSuccess(admission.attempt);
    return user;
  }

  /**
   * A new password, after the current one. The session the change was made in is replaced by a
   * new one (new id, refresh token and CSRF binding: the caller sets them), every other session
   * ends, and reset links mailed before the change die.
   */
  async changePassword(
    auth: AuthContext,
    body: ChangePasswordBody,
    context: RequestContext,
  ): Promise<IssuedSession> {
    const { passwords, sessions, audit, notices } = this.deps;
    const user = await this.reauthenticate(auth, body.currentPassword, context, {
      type: 'password_changed',
      field: 'currentPassword',
    });
    if (body.newPassword.normalize('NFKC') === body.currentPassword.normalize('NFKC')) {
      throw new AppError('validation_failed', {
        fields: [
          { path: 'newPassword', message: 'Choose a password different from the current one.' },
        ],
      });
    }
    await passwords.set(
      user.id,
      body.newPassword,
      { email: user.email, name: user.name },
      'newPassword',
    );
    // A reset link mailed before the change must not undo it.
    await this.deps.verifications.voidAll(user.id, ['reset-password']);
    // Whoever else holds a session (perhaps the reason for the change) is signed out now.
    const revoked = await sessions.revokeAllForUser(user.id, auth.sessionId);
    const replaced = await sessions.replace(
      { sessionId: auth.sessionId, userId: user.id, role: user.role },
      { amr: ['pwd'], authTime: Date.now() },
      context,
    );
    await audit.record(context, {
      type: 'password_changed',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: `${revoked} other session(s) revoked; this session renewed`,
    });
    await notices.passwordChanged(user, context);
    return { ...replaced, user: toUser(user) };
  }
}
