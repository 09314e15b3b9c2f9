import { AppError } from '../../lib/app-error.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { SessionStateService } from '../auth/session-state.js';
import type { UserRepository } from './user-repository.js';

/** The last message to a deleted account's address (the account module's mail). */
export interface DeletionNotices {
  accountDeleted(user: { id: string; email: string }): Promise<void>;
}

/**
 * Deleting an account, by its owner or by an admin: one code path for both. The user row goes and
 * with it (foreign-key cascades) credentials, notes, sessions, refresh tokens, one-time links and
 * known devices. The audit trail keeps what happened under the random id, without the person's
 * address, name, IPs or browsers. The last active admin cannot be deleted.
 */
export class AccountDeletion {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessionState: SessionStateService;
      audit: AuditService;
      notices: DeletionNotices;
    },
  ) {}

  async delete(
    userId: string,
    actor: { userId: string | null; email: string | null; self: boolean },
    context: AuditContext,
  ): Promise<void> {
    const { users, sessionState, audit, notices } = this.deps;
    const user = await users.findById(userId);
    if (user === undefined) throw new AppError('not_found');
    const outcome = await users.changeKeepingAnAdmin(userId, { deleted: true });
    if (outcome === 'not_found') throw new AppError('not_found');
    if (outcome === 'last_admin') {
      await audit.record(context, {
        type: 'account_deleted',
        outcome: 'failure',
        actorId: actor.userId,
        actorEmail: actor.self ? null : actor.email,
        targetId: userId,
        detail: 'refused: last active admin',
      });
      throw new AppError('last_admin');
    }
    // The cascade took the sessions; dropping the user's cached entry on every instance makes each
    // reload the session from the database on its next request, and find none.
    await sessionState.invalidateUser(userId);
    await audit.scrubPersonalData(userId, user.email);
    await audit.record(actor.self ? { ip: null, userAgent: null } : context, {
      type: 'account_deleted',
      outcome: 'success',
      actorId: actor.userId,
      actorEmail: actor.self ? null : actor.email,
      targetId: userId,
      detail: actor.self ? 'by its owner' : 'by an admin',
    });
    await notices.accountDeleted(user);
  }
}
