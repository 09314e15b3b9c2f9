import type {
  AdminUser,
  CreateUserBody,
  UserListQuery,
  UserStatus,
} from '@portcullis/contract/admin';
import type { User } from '@portcullis/contract/auth';
import type { Role } from '@portcullis/contract/roles';
import { AppError } from '../../lib/app-error.js';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.js';
import type { AccountService } from '../account/account-service.js';
import type { AuditContext, AuditRecord, AuditService } from '../audit/audit-service.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { SessionService } from '../identity/session-service.js';
import type { SecondFactorService } from '../second-factors/second-factor-service.js';
import type { AccountDeletion } from '../users/account-deletion.js';
import type { UserRepository, UserRow } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';

/**
 * Who acts, for the audit trail: a signed-in admin (an `AuthContext` fits), or the operator at the
 * CLI, who is no account (both null; the audit context says where the change came from).
 */
export interface AdminActor {
  userId: string | null;
  email: string | null;
}

export const operatorActor: AdminActor = { userId: null, email: null };

/** A filtered list reads at most this many rows per request looking for matches. */
const MAX_SCANNED_PER_PAGE = 5_000;

/** What the admin API and the operator's CLI may do to accounts: both call this, so both audit. */
export class AdminService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessions: SessionService;
      audit: AuditService;
      throttle: LoginThrottle;
      account: AccountService;
      deletion: AccountDeletion;
      factors: SecondFactorService;
    },
  ) {}

  /**
   * Users newest first, narrowed by the query. The account lock lives in the sign-in throttle, not
   * the table, so the status is worked out per row and rows that do not match are skipped (up to a
   * bound per page; the cursor then continues the scan).
   */
  async listUsers(
    limit: number,
    cursor: string | undefined,
    filter: Omit<UserListQuery, 'limit' | 'cursor'> = {},
  ): Promise<Page<AdminUser>> {
    const items: AdminUser[] = [];
    let after = decodeCursor(cursor);
    let scanned = 0;
    for (;;) {
      const batch = Math.min(200, limit + 1);
      const rows = await this.deps.users.list(batch, after, {
        ...(filter.q === undefined ? {} : { q: filter.q }),
        ...(filter.role === undefined ? {} : { role: filter.role }),
        ...(filter.status === undefined ? {} : { status: filter.status }),
        ...(filter.lastSignIn === undefined ? {} : { lastSignIn: filter.lastSignIn }),
      });
      for (const row of rows) {
        const user = await this.toAdminUser(row);
        scanned += 1;
        after = { at: row.created_at, id: row.id };
        if (filter.status !== undefined && user.status !== filter.status) continue;
        if (items.length === limit) {
          // One match beyond the page: there is more, continuing after the last one shown.
          const last = items.at(-1);
          return { items, nextCursor: last === undefined ? null : this.cursorOf(last) };
        }
        items.push(user);
      }
      if (rows.length < batch) return { items, nextCursor: null };
      if (scanned >= MAX_SCANNED_PER_PAGE && after !== undefined) {
        return { items, nextCursor: encodeCursor(after.at, after.id) };
      }
    }
  }

  private cursorOf(user: AdminUser): string {
    return encodeCursor(Date.parse(user.createdAt), user.id);
  }

  async getUser(userId: string): Promise<AdminUser> {
    const row = await this.deps.users.findById(userId);
    if (row === undefined) throw new AppError('not_found');
    return this.toAdminUser(row);
  }

  private async toAdminUser(row: UserRow): Promise<AdminUser> {
    const lockedUntilMs = await this.deps.throttle.accountLock(row.email);
    const status: UserStatus =
      row.disabled_at !== null
        ? 'disabled'
        : lockedUntilMs !== undefined
          ? 'locked'
          : row.email_verified_at === null
            ? 'unverified'
            : 'active';
    return {
      ...toUser(row),
      lockedUntil: lockedUntilMs === undefined ? null : new Date(lockedUntilMs).toISOString(),
      status,
      disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at).toISOString(),
      lastSignInAt:
        row.last_sign_in_at === null ? null : new Date(row.last_sign_in_at).toISOString(),
      mustResetPassword: row.must_reset_password === 1,
    };
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.deps.users.findByEmail(email);
    return row === undefined ? undefined : toUser(row);
  }

  /** An account created by an admin: invited by mail without a password, or with one. */
  async createUser(
    actor: AdminActor,
    body: CreateUserBody,
    context: AuditContext,
  ): Promise<AdminUser> {
    const user = await this.deps.account.createByAdmin(body, actor.email ?? 'The operator');
    if (user === undefined) throw new AppError('email_taken');
    await this.audit(context, actor, user, {
      type: body.password === undefined ? 'user_invited' : 'user_created',
      outcome: 'success',
      detail: `as ${body.role}`,
    });
    return this.getUser(user.id);
  }

  /**
   * A privilege change: the user's sessions end (a new role deserves a new session, with a new
   * CSRF binding), so the next sign-in starts under the new role. Never the last active admin.
   */
  async changeRole(
    actor: AdminActor,
    userId: string,
    role: Role,
    context: AuditContext,
  ): Promise<User> {
    const { users, sessions } = this.deps;
    const before = await users.findById(userId);
    if (before === undefined) throw new AppError('not_found');
    const outcome = await users.updateRoleKeepingAnAdmin(userId, role);
    if (outcome === 'not_found') throw new AppError('not_found');
    if (outcome === 'last_admin') {
      await this.audit(context, actor, before, {
        type: 'role_changed',
        outcome: 'failure',
        detail: `refused ${before.role} -> ${role}: last active admin`,
      });
      throw new AppError('last_admin');
    }
    const revoked = before.role === role ? 0 : await sessions.revokeAllForUser(userId);
    await sessions.forgetUser(userId);
    await this.audit(context, actor, before, {
      type: 'role_changed',
      outcome: 'success',
      detail: `${before.role} -> ${role}; ${revoked} session(s) ended`,
    });
    return toUser({ ...before, role });
  }

  /** Disabled: every session ends at once on every instance, and sign-in is refused. */
  async disable(actor: AdminActor, userId: string, context: AuditContext): Promise<void> {
    const { users, sessions } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const outcome = await users.changeKeepingAnAdmin(userId, { disabled: true });
    if (outcome === 'not_found') throw new AppError('not_found');
    if (outcome === 'last_admin') {
      await this.audit(context, actor, user, {
        type: 'user_disabled',
        outcome: 'failure',
        detail: 'refused: last active admin',
      });
      throw new AppError('last_admin');
    }
    const revoked = await sessions.revokeAllForUser(userId);
    await this.audit(context, actor, user, {
      type: 'user_disabled',
      outcome: 'success',
      detail: `${revoked} session(s) ended`,
    });
  }

  async enable(actor: AdminActor, userId: string, context: AuditContext): Promise<void> {
    const { users, sessions } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    await users.setDisabled(userId, null);
    await sessions.forgetUser(userId);
    await this.audit(context, actor, user, { type: 'user_enabled', outcome: 'success' });
  }

  /**
   * The next sign-in with the right password is refused and mails a reset link instead; current
   * sessions end now, so that sign-in comes soon.
   */
  async forcePasswordReset(
    actor: AdminActor,
    userId: string,
    context: AuditContext,
  ): Promise<void> {
    const { users, sessions } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    await users.setMustResetPassword(userId, true);
    const revoked = await sessions.revokeAllForUser(userId);
    await this.audit(context, actor, user, {
      type: 'password_reset_forced',
      outcome: 'success',
      detail: `${revoked} session(s) ended`,
    });
  }

  async resendVerification(
    actor: AdminActor,
    userId: string,
    context: AuditContext,
  ): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const sent = await this.deps.account.resendVerificationFor(userId);
    await this.audit(context, actor, user, {
      type: 'verification_resent',
      outcome: sent ? 'success' : 'failure',
      ...(sent ? {} : { detail: 'already verified' }),
    });
  }

  /** Removes every second factor (a lost phone); the user is mailed. */
  async resetFactors(actor: AdminActor, userId: string, context: AuditContext): Promise<void> {
    const user = await this.deps.users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const removed = await this.deps.factors.resetAll(user);
    await this.audit(context, actor, user, {
      type: 'factors_reset',
      outcome: 'success',
      detail: `${removed} factor(s) and code(s) removed`,
    });
  }

  async deleteUser(actor: AdminActor, userId: string, context: AuditContext): Promise<void> {
    await this.deps.deletion.delete(userId, { ...actor, self: actor.userId === userId }, context);
  }

  /**
   * Lifts the account-wide sign-in lock (and forgets its failures and strikes), so the owner can
   * sign in again at once. Audited whether or not a lock was in force.
   */
  async unlock(actor: AdminActor, userId: string, context: AuditContext): Promise<void> {
    const { users, throttle } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const lockedUntilMs = await throttle.accountLock(user.email);
    await throttle.unlockAccount(user.email);
    await this.audit(context, actor, user, {
      type: 'user_unlocked',
      outcome: 'success',
      detail:
        lockedUntilMs === undefined
          ? 'was not locked'
          : `was locked until ${new Date(lockedUntilMs).toISOString()}`,
    });
  }

  /** Ends every session of the user; each instance refuses them from its next request. */
  async signOutEverywhere(
    actor: AdminActor,
    userId: string,
    context: AuditContext,
  ): Promise<number> {
    const { users, sessions } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const revoked = await sessions.revokeAllForUser(userId);
    await this.audit(context, actor, user, {
      type: 'session_revoked',
      outcome: 'success',
      detail: `${revoked} session(s) revoked`,
    });
    return revoked;
  }

  /** Admin reads are audited too (who looked at what): the query and the number of rows. */
  async recordRead(
    actor: AdminActor,
    what: string,
    query: Record<string, unknown>,
    rows: number,
    context: AuditContext,
  ): Promise<void> {
    const shown = Object.entries(query)
      .filter(([, value]) => value !== undefined && value !== '')
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    await this.deps.audit.record(context, {
      type: 'admin_read',
      outcome: 'success',
      actorId: actor.userId,
      actorEmail: actor.email,
      detail: `${what}${shown === '' ? '' : ` ${shown}`}: ${rows} row(s)`.slice(0, 500),
    });
  }

  /** Every admin action names its actor and its target by id and by email. */
  private audit(
    context: AuditContext,
    actor: AdminActor,
    target: { id: string; email: string },
    record: Omit<AuditRecord, 'actorId' | 'actorEmail' | 'targetId' | 'targetEmail'>,
  ): Promise<void> {
    return this.deps.audit.record(context, {
      ...record,
      actorId: actor.userId,
      actorEmail: actor.email,
      targetId: target.id,
      targetEmail: target.email,
    });
  }
}
