import type {
  AcceptInviteBody,
  ChangeEmailBody,
  ForgotPasswordBody,
  ResetPasswordBody,
} from '@portcullis/contract/account';
import { accountLinkPaths } from '@portcullis/contract/account';
import type { RegisterBody, User } from '@portcullis/contract/auth';
import type { Role } from '@portcullis/contract/roles';
import { describeUserAgent } from '@portcullis/contract/user-agent';
import { AppError } from '../../lib/app-error.js';
import type { CounterStore } from '../../lib/counter-store.js';
import { newId, sha256 } from '../../lib/random.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { SecurityNotices } from '../auth/auth-service.js';
import type { PasswordCredentials } from '../identity/password-credentials.js';
import type { RequestContext, SessionService } from '../identity/session-service.js';
import type { VerificationPurpose, VerificationStore } from '../identity/verification-store.js';
import type { MailService } from '../mail/mail-service.js';
import type { MailMessage } from '../mail/mail-templates.js';
import type { UserRepository } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';
import type { KnownDeviceRepository } from './known-device-repository.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Lifetimes of the one-time links (issue: reset 30 minutes, undo of an email change 72 hours). */
export const linkLifetimes = {
  'verify-email': 24 * HOUR,
  'reset-password': 30 * MINUTE,
  'confirm-email-change': 24 * HOUR,
  'undo-email-change': 72 * HOUR,
  'not-me': 7 * 24 * HOUR,
  'accept-invite': 7 * 24 * HOUR,
} as const satisfies Record<VerificationPurpose, number>;

/** Where each purpose's link lands in the web app. */
const linkPaths = {
  'verify-email': accountLinkPaths.verifyEmail,
  'reset-password': accountLinkPaths.resetPassword,
  'confirm-email-change': accountLinkPaths.confirmEmailChange,
  'undo-email-change': accountLinkPaths.undoEmailChange,
  'not-me': accountLinkPaths.notMe,
  'accept-invite': accountLinkPaths.acceptInvite,
} as const satisfies Record<VerificationPurpose, string>;

/** Per address and per client, so a flood can neither mail a victim nor probe the service. */
const mailLimits = {
  perAddress: { max: 3, windowMs: 15 * MINUTE },
  perClient: { max: 20, windowMs: HOUR },
};

const REGISTRATIONS_PER_CLIENT_PER_HOUR = 20;

/** The web app's security page, linked from notices about factors. */
const SECURITY_PAGE_PATH = '/profile/security';

/**
 * Accounts people can recover (OWASP Forgot Password Cheat Sheet, ASVS 6.4): registration that
 * answers the same for every address, email verification, password reset, email change with an
 * undo, and security notices. Every link carries a one-time secret from the verification store;
 * every answer that could tell whether an address has an account is the same for both.
 */
export class AccountService implements SecurityNotices {
  constructor(
    private readonly deps: {
      users: UserRepository;
      passwords: PasswordCredentials;
      verifications: VerificationStore;
      sessions: SessionService;
      devices: KnownDeviceRepository;
      throttle: LoginThrottle;
      fastCounters: CounterStore;
      mail: MailService;
      audit: AuditService;
      publicOrigin: string;
    },
  ) {}

  /**
   * Self-registration. A new address gets a verification link; an address that already has an
   * account gets a notice instead (sign in or reset); both callers see the same 202, after the same
   * Argon2 work, so registration no longer tells anyone which addresses exist.
   */
  async register(body: RegisterBody, context: RequestContext): Promise<void> {
    const { users, passwords, audit } = this.deps;
    // Per client as every limit counts one (an IPv6 client by its prefix, ADR 014).
    const client = this.deps.throttle.clientKey(context.ip);
    await this.limit(`register:${client}`, REGISTRATIONS_PER_CLIENT_PER_HOUR, HOUR);
    const passwordHash = await passwords.hashUnderPolicy(
      body.password,
      { email: body.email, name: body.name },
      'password',
    );
    const created = await this.createUser({
      email: body.email,
      name: body.name,
      role: 'user',
      passwordHash,
      verified: false,
    });
    if (created === undefined) {
      const existing = await users.findByEmail(body.email);
      if (existing !== undefined && (await this.mailAllowed(existing.email, context))) {
        await this.send(existing.email, `already-registered:${existing.id}:${Date.now()}`, {
          kind: 'already-registered',
          data: {
            signInLink: this.link('/sign-in'),
            resetLink: this.link('/forgot-password'),
          },
        });
      }
      return;
    }
    await audit.record(context, {
      type: 'register',
      outcome: 'success',
      actorId: created.id,
      actorEmail: created.email,
    });
    await this.sendVerification(created.id, created.email);
  }

  /**
   * The operator's `cli user create`: the same policy and hashing, with the role given, and the
   * address taken as verified (the operator vouches for it). Audited like a registration.
   */
  async createByOperator(body: RegisterBody, role: Role, context: RequestContext): Promise<User> {
    const passwordHash = await this.deps.passwords.hashUnderPolicy(
      body.password,
      { email: body.email, name: body.name },
      'password',
    );
    const user = await this.createUser({
      email: body.email,
      name: body.name,
      role,
      passwordHash,
      verified: true,
    });
    if (user === undefined) throw new AppError('email_taken');
    await this.deps.audit.record(context, {
      type: 'register',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: `created by the operator as ${role}`,
    });
    return user;
  }

  /**
   * An account an admin creates: with a password, the address must still be confirmed by mail;
   * without one it is an invitation, and the invitee chooses the password through a mailed link
   * (which proves the address too). Undefined when the address is taken.
   */
  async createByAdmin(
    input: { email: string; name: string; role: Role; password?: string | undefined },
    invitedBy: string,
  ): Promise<User | undefined> {
    const passwordHash =
      input.password === undefined
        ? undefined
        : await this.deps.passwords.hashUnderPolicy(
            input.password,
            { email: input.email, name: input.name },
            'password',
          );
    const user = await this.createUser({ ...input, passwordHash, verified: false });
    if (user === undefined) return undefined;
    if (passwordHash !== undefined) {
      await this.sendVerification(user.id, user.email);
      return user;
    }
    await this.mailLink('accept-invite', { userId: user.id, to: user.email }, (link) => ({
      kind: 'invitation',
      data: { link, invitedBy, expiresInDays: linkLifetimes['accept-invite'] / (24 * HOUR) },
    }));
    return user;
  }

  /** The invitee's first password, from the mailed link; following it verified the address. */
  async acceptInvite(body: AcceptInviteBody, context: RequestContext): Promise<void> {
    const { users, passwords, verifications, audit } = this.deps;
    const invitee = await users.findById(await verifications.peek('accept-invite', body.token));
    if (invitee === undefined) throw new AppError('invalid_token');
    const hash = await passwords.hashUnderPolicy(
      body.newPassword,
      { email: invitee.email, name: invitee.name },
      'newPassword',
    );
    const secret = await verifications.consume('accept-invite', body.token);
    if (secret.userId !== invitee.id) throw new AppError('invalid_token');
    await passwords.setHash(invitee.id, hash);
    await users.markEmailVerified(invitee.id, Date.now());
    await this.deps.sessions.forgetUser(invitee.id);
    await audit.record(context, {
      type: 'invitation_accepted',
      outcome: 'success',
      actorId: invitee.id,
      actorEmail: invitee.email,
    });
  }

  /** Admin's "resend verification": false when the address is verified already. */
  async resendVerificationFor(userId: string): Promise<boolean> {
    const user = await this.deps.users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    if (user.email_verified_at !== null) return false;
    await this.sendVerification(user.id, user.email);
    return true;
  }

  /**
   * The one way a user row comes to exist (self-registration, the operator's CLI, an admin), with
   * its password as a credential when there is one. Undefined when the address is taken.
   */
  async createUser(input: {
    email: string;
    name: string;
    role: Role;
    passwordHash: string | undefined;
    verified: boolean;
  }): Promise<User | undefined> {
    const now = Date.now();
    const row = {
      id: newId(),
      email: input.email,
      name: input.name,
      role: input.role,
      email_verified_at: input.verified ? now : null,
      created_at: now,
      updated_at: now,
      disabled_at: null,
      must_reset_password: 0,
      last_sign_in_at: null,
    };
    if (!(await this.deps.users.insert(row))) return undefined;
    if (input.passwordHash !== undefined)
      await this.deps.passwords.setHash(row.id, input.passwordHash);
    return toUser(row);
  }

  /** Resend from "check your inbox": by the signed-in unverified user, or anonymously by address. */
  async resendVerification(
    who: { auth: AuthContext } | { email: string },
    context: RequestContext,
  ): Promise<void> {
    const user =
      'auth' in who
        ? await this.deps.users.findById(who.auth.userId)
        : await this.deps.users.findByEmail(who.email);
    const email = user?.email ?? ('email' in who ? who.email : undefined);
    if (email === undefined) return;
    // Counted for unknown addresses too: the limit itself must not reveal which exist.
    if (!(await this.mailAllowed(email, context, true))) return;
    if (user === undefined || user.email_verified_at !== null) return;
    await this.sendVerification(user.id, user.email);
  }

  async verifyEmail(token: string, context: RequestContext): Promise<User> {
    const { users, verifications, sessions, audit } = this.deps;
    const secret = await verifications.consume('verify-email', token);
    const user = await users.findById(secret.userId);
    // The link verifies the address it was sent to, not one the account moved to since.
    if (user === undefined || user.email !== secret.data) throw new AppError('invalid_token');
    const now = Date.now();
    await users.markEmailVerified(user.id, now);
    await sessions.forgetUser(user.id);
    await audit.record(context, {
      type: 'email_verified',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
    return toUser({ ...user, email_verified_at: user.email_verified_at ?? now });
  }

  /** Same answer for every address; only an existing account is mailed, within the limits. */
  async requestPasswordReset(body: ForgotPasswordBody, context: RequestContext): Promise<void> {
    const { users, audit } = this.deps;
    const allowed = await this.mailAllowed(body.email, context, true);
    const user = await users.findByEmail(body.email);
    if (!allowed || user === undefined) return;
    await this.mailLink('reset-password', { userId: user.id, to: user.email }, (link) => ({
      kind: 'password-reset',
      data: { link, expiresInMinutes: linkLifetimes['reset-password'] / MINUTE },
    }));
    await audit.record(context, {
      type: 'password_reset_requested',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
  }

  /**
   * Sets a new password from a reset link: every session ends, the account lock is lifted (the
   * owner proved the mailbox, ADR 005), other reset links die, and the owner is told.
   */
  async resetPassword(body: ResetPasswordBody, context: RequestContext): Promise<void> {
    const { users, passwords, verifications, sessions, throttle, audit } = this.deps;
    // The policy is checked before the link is spent: a refused password keeps the link usable.
    const owner = await users.findById(await verifications.peek('reset-password', body.token));
    if (owner === undefined) throw new AppError('invalid_token');
    const hash = await passwords.hashUnderPolicy(
      body.newPassword,
      { email: owner.email, name: owner.name },
      'newPassword',
    );
    const secret = await verifications.consume('reset-password', body.token);
    const user = await users.findById(secret.userId);
    if (user === undefined) throw new AppError('invalid_token');
    await passwords.setHash(user.id, hash);
    await verifications.voidAll(user.id, ['reset-password']);
    // Following the link proved the mailbox: the address is verified too, and a reset an admin
    // required is done.
    await users.markEmailVerified(user.id, Date.now());
    await users.setMustResetPassword(user.id, false);
    const revoked = await sessions.revokeAllForUser(user.id);
    await throttle.unlockAccount(user.email);
    await audit.record(context, {
      type: 'password_reset',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: `${revoked} session(s) revoked`,
    });
    await this.passwordChanged(user, context);
  }

  /** After the current password: a confirmation link to the new address; nothing changes yet. */
  async requestEmailChange(
    auth: AuthContext,
    body: ChangeEmailBody,
    context: RequestContext,
  ): Promise<void> {
    const { users, passwords, throttle, audit } = this.deps;
    const admission = await throttle.admit(auth.email, context.ip);
    if (!admission.admitted) {
      throw new AppError('too_many_attempts', {
        retryAfterSeconds: admission.refusal.retryAfterSeconds,
      });
    }
    if (!(await passwords.verify(auth.userId, body.currentPassword))) {
      throw new AppError('invalid_credentials', {
        fields: [{ path: 'currentPassword', message: 'The current password is incorrect.' }],
      });
    }
    await throttle.recordSuccess(admission.attempt);
    if (body.newEmail === auth.email) {
      throw new AppError('validation_failed', {
        fields: [{ path: 'newEmail', message: 'This is already your address.' }],
      });
    }
    // A taken address gets no link and the same answer: the form must not probe for accounts.
    const taken = (await users.findByEmail(body.newEmail)) !== undefined;
    if (taken || !(await this.mailAllowed(body.newEmail, context))) return;
    await this.mailLink(
      'confirm-email-change',
      { userId: auth.userId, to: body.newEmail, data: body.newEmail },
      (link) => ({ kind: 'email-change-confirm', data: { link } }),
    );
    await audit.record(context, {
      type: 'email_change_requested',
      outcome: 'success',
      actorId: auth.userId,
      actorEmail: auth.email,
    });
  }

  /** The new address proved: the account moves, and the old address gets an undo link. */
  async confirmEmailChange(token: string, context: RequestContext): Promise<User> {
    const { users, verifications, sessions, audit } = this.deps;
    const secret = await verifications.consume('confirm-email-change', token);
    const user = await users.findById(secret.userId);
    const newEmail = secret.data;
    if (user === undefined || newEmail === null) throw new AppError('invalid_token');
    const now = Date.now();
    if (!(await users.changeEmail(user.id, newEmail, now))) throw new AppError('invalid_token');
    await sessions.forgetUser(user.id);
    await this.mailLink(
      'undo-email-change',
      { userId: user.id, to: user.email, data: user.email },
      (undoLink) => ({
        kind: 'email-change-notice',
        data: {
          newEmailMasked: maskEmail(newEmail),
          undoLink,
          undoHours: linkLifetimes['undo-email-change'] / HOUR,
        },
      }),
    );
    await audit.record(context, {
      type: 'email_changed',
      outcome: 'success',
      actorId: user.id,
      actorEmail: newEmail,
      detail: `from ${user.email}`,
    });
    return toUser({ ...user, email: newEmail, email_verified_at: now });
  }

  /** From the old address within 72 hours: the address comes back and every session ends. */
  async undoEmailChange(token: string, context: RequestContext): Promise<void> {
    const { users, verifications, sessions, audit } = this.deps;
    const secret = await verifications.consume('undo-email-change', token);
    const user = await users.findById(secret.userId);
    const previous = secret.data;
    if (user === undefined || previous === null) throw new AppError('invalid_token');
    if (!(await users.changeEmail(user.id, previous, Date.now()))) {
      throw new AppError('invalid_token');
    }
    // Whoever changed it may also hold a session or a pending link: all of it ends.
    await verifications.voidAll(user.id, ['confirm-email-change', 'reset-password']);
    const revoked = await sessions.revokeAllForUser(user.id);
    await audit.record(context, {
      type: 'email_change_undone',
      outcome: 'success',
      actorId: user.id,
      actorEmail: previous,
      detail: `from ${user.email}; ${revoked} session(s) revoked`,
    });
  }

  /** "This wasn't me" from a security notice: every session ends; the page then offers a reset. */
  async notMe(token: string, context: RequestContext): Promise<void> {
    const { users, verifications, sessions, audit } = this.deps;
    const secret = await verifications.consume('not-me', token);
    const user = await users.findById(secret.userId);
    if (user === undefined) throw new AppError('invalid_token');
    const revoked = await sessions.revokeAllForUser(user.id);
    await audit.record(context, {
      type: 'sessions_revoked_not_me',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: `${revoked} session(s) revoked`,
    });
  }

  // SecurityNotices: what the sign-in code reports, turned into mail to the owner.

  /** A sign-in from a device cookie this account has not seen: the owner is told. */
  async signedIn(
    user: { id: string; email: string },
    deviceId: string,
    context: RequestContext,
  ): Promise<void> {
    const now = Date.now();
    const outcome = await this.deps.devices.remember(user.id, sha256(deviceId), now);
    // The first device an account ever uses is where it was created: nothing to report.
    if (outcome !== 'new') return;
    await this.sendWithNotMeLink(user, 'new-device-sign-in', context, now);
    await this.deps.audit.record(context, {
      type: 'new_device_sign_in',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
  }

  async passwordChanged(
    user: { id: string; email: string },
    context: RequestContext,
  ): Promise<void> {
    await this.sendWithNotMeLink(user, 'password-changed', context, Date.now());
  }

  /**
   * A sign-in with the right password on an account whose reset an admin forced: the owner is
   * mailed a reset link (within the mail limits), and the sign-in is refused by the caller.
   */
  async resetRequired(user: { id: string; email: string }, context: RequestContext): Promise<void> {
    if (!(await this.mailAllowed(user.email, context))) return;
    await this.mailLink('reset-password', { userId: user.id, to: user.email }, (link) => ({
      kind: 'password-reset',
      data: { link, expiresInMinutes: linkLifetimes['reset-password'] / MINUTE },
    }));
  }

  /** Using a recovery code is rare and telling: the owner hears of it at once. */
  async recoveryCodeUsed(
    user: { id: string; email: string },
    remaining: number,
    context: AuditContext,
  ): Promise<void> {
    const now = Date.now();
    await this.send(user.email, `recovery-code-used:${user.id}:${now}`, {
      kind: 'recovery-code-used',
      data: {
        when: new Date(now),
        ip: context.ip ?? 'unknown',
        device: describeUserAgent(context.userAgent ?? '') ?? 'an unknown device',
        remaining,
        securityLink: this.link(SECURITY_PAGE_PATH),
      },
    });
  }

  async factorsReset(user: { id: string; email: string }): Promise<void> {
    const now = Date.now();
    await this.send(user.email, `factors-reset:${user.id}:${now}`, {
      kind: 'factors-reset',
      data: { when: new Date(now), securityLink: this.link(SECURITY_PAGE_PATH) },
    });
  }

  /** The last word to a deleted account's address. */
  async accountDeleted(user: { id: string; email: string }): Promise<void> {
    await this.send(user.email, `account-deleted:${user.id}`, {
      kind: 'account-deleted',
      data: { when: new Date() },
    });
  }

  async locked(email: string, retryAfterSeconds: number): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (user === undefined) return;
    const until = Date.now() + retryAfterSeconds * 1000;
    // One notice per lock: the key names the lock's end to the minute.
    await this.send(user.email, `account-locked:${user.id}:${Math.floor(until / MINUTE)}`, {
      kind: 'account-locked',
      data: { until: new Date(until), resetLink: this.link('/forgot-password') },
    });
  }

  private async sendWithNotMeLink(
    user: { id: string; email: string },
    kind: 'new-device-sign-in' | 'password-changed',
    context: RequestContext,
    now: number,
  ): Promise<void> {
    const facts = {
      when: new Date(now),
      ip: context.ip,
      device: describeUserAgent(context.userAgent ?? '') ?? 'an unknown device',
    };
    // Several notices may be open at once: each keeps its own "this wasn't me" link.
    await this.mailLink('not-me', { userId: user.id, to: user.email, replace: false }, (link) =>
      kind === 'new-device-sign-in'
        ? { kind, data: { ...facts, notMeLink: link } }
        : { kind, data: { ...facts, resetLink: link } },
    );
  }

  private async sendVerification(userId: string, email: string): Promise<void> {
    await this.mailLink('verify-email', { userId, to: email, data: email }, (link) => ({
      kind: 'verify-email',
      data: { link },
    }));
  }

  /**
   * Issues a one-time secret for `purpose` and mails its link: the token appears only in the
   * message, and the dedupe key (its hash) keeps the queue from ever sending it twice.
   */
  private async mailLink(
    purpose: VerificationPurpose,
    target: { userId: string; to: string; data?: string; replace?: boolean },
    message: (link: string) => MailMessage,
  ): Promise<void> {
    const issued = await this.deps.verifications.issue({
      purpose,
      userId: target.userId,
      ttlMs: linkLifetimes[purpose],
      ...(target.data === undefined ? {} : { data: target.data }),
      ...(target.replace === undefined ? {} : { replace: target.replace }),
    });
    const link = this.link(linkPaths[purpose], issued.token);
    await this.send(target.to, `${purpose}:${sha256(issued.token)}`, message(link));
  }

  private async send(to: string, dedupeKey: string, message: MailMessage): Promise<void> {
    await this.deps.mail.enqueue({ to, message, dedupeKey });
  }

  /** The token rides in the fragment: never sent to a server, so never in a log or a Referer. */
  private link(path: string, token?: string): string {
    const base = `${this.deps.publicOrigin}${path}`;
    return token === undefined ? base : `${base}#token=${token}`;
  }

  /**
   * Mail to one address is limited per address and per client. With `strict`, running out is a
   * 429 (resend and reset, whose pages show a countdown); otherwise the mail is silently skipped.
   */
  private async mailAllowed(
    email: string,
    context: RequestContext,
    strict = false,
  ): Promise<boolean> {
    const { perAddress, perClient } = mailLimits;
    const address = await this.deps.fastCounters.increment(`mail:to:${email}`, perAddress.windowMs);
    const client = await this.deps.fastCounters.increment(
      `mail:ip:${this.deps.throttle.clientKey(context.ip)}`,
      perClient.windowMs,
    );
    const over = [
      address.count > perAddress.max ? address : undefined,
      client.count > perClient.max ? client : undefined,
    ].filter((state) => state !== undefined);
    if (over.length === 0) return true;
    if (!strict) return false;
    const resetAt = Math.max(...over.map((state) => state.resetAtMs));
    throw new AppError('rate_limited', {
      retryAfterSeconds: Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)),
    });
  }

  private async limit(key: string, max: number, windowMs: number): Promise<void> {
    const state = await this.deps.fastCounters.increment(key, windowMs);
    if (state.count > max) {
      throw new AppError('rate_limited', {
        retryAfterSeconds: Math.max(1, Math.ceil((state.resetAtMs - Date.now()) / 1000)),
      });
    }
  }
}

/** "a***@example.com": enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
