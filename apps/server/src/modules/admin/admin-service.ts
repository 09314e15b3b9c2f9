import type { AdminUser } from '@portcullis/contract/admin';
import type { User } from '@portcullis/contract/auth';
import type { Role } from '@portcullis/contract/roles';
import { AppError } from '../../lib/app-error.js';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { SessionStateService } from '../auth/session-state.js';
import type { UserRepository } from '../users/user-repository.js';
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

/** What the admin API and the operator's CLI may do to accounts: both call this, so both audit. */
export class AdminService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessions: SessionRepository;
      sessionState: SessionStateService;
      audit: AuditService;
      throttle: LoginThrottle;
    },
  ) {}

  async listUsers(limit: number, cursor: string | undefined): Promise<Page<AdminUser>> {
    const rows = await this.deps.users.list(limit + 1, decodeCursor(cursor));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const items = await Promise.all(
      page.map(async (row) => {
        const lockedUntilMs = await this.deps.throttle.accountLock(row.email);
        return {
          ...toUser(row),
          lockedUntil: lockedUntilMs === undefined ? null : new Date(lockedUntilMs).toISOString(),
        };
      }),
    );
    return {
      items,
      nextCursor:
        rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.deps.users.findByEmail(email);
    return row === undefined ? undefined : toUser(row);
  }

  /** The new role binds the user's live sessions on the next request, on every instance. */
  async changeRole(
    actor: AdminActor,
    userId: string,
    role: Role,
    context: AuditContext,
  ): Promise<User> {
    const { users, sessionState, audit } = this.deps;
    const before = await users.findById(userId);
    if (before === undefined) throw new AppError('not_found');
    const outcome = await users.updateRoleKeepingAnAdmin(userId, role);
    if (outcome === 'not_found') throw new AppError('not_found');
    if (outcome === 'last_admin') {
      await audit.record(context, {
        type: 'role_changed',
        outcome: 'failure',
        actorId: actor.userId,
        actorEmail: actor.email,
        targetId: userId,
        detail: `refused ${before.role} -> ${role}: last admin`,
      });
      throw new AppError('last_admin');
    }
    await sessionState.invalidateUser(userId);
    await audit.record(context, {
      type: 'role_changed',
      outcome: 'success',
      actorId: actor.userId,
      actorEmail: actor.email,
      targetId: userId,
      detail: `${before.role} -> ${role}`,
    });
    return toUser({ ...before, role });
  }

  /**
   * Lifts the account-wide sign-in lock (and forgets its failures and strikes), so the owner can
   * sign in again at once. Audited whether or not a lock was in force.
   */
  async unlock(actor: AdminActor, userId: string, context: AuditContext): Promise<void> {
    const { users, throttle, audit } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const lockedUntilMs = await throttle.accountLock(user.email);
    await throttle.unlockAccount(user.email);
    await audit.record(context, {
      type: 'user_unlocked',
      outcome: 'success',
      actorId: actor.userId,
      actorEmail: actor.email,
      targetId: userId,
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
    const { users, sessions, sessionState, audit } = this.deps;
    if ((await users.findById(userId)) === undefined) throw new AppError('not_found');
    const revoked = await sessions.revokeAllForUser(userId, Date.now());
    for (const sessionId of revoked) await sessionState.invalidateSession(sessionId);
    await audit.record(context, {
      type: 'session_revoked',
      outcome: 'success',
      actorId: actor.userId,
      actorEmail: actor.email,
      targetId: userId,
      detail: `${revoked.length} session(s) revoked`,
    });
    return revoked.length;
  }
}
