import type { AdminUser } from '@portcullis/contract/admin';
import type { User } from '@portcullis/contract/auth';
import type { Role } from '@portcullis/contract/roles';
import { AppError } from '../../lib/app-error.js';
import type { CounterStore } from '../../lib/counter-store.js';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import type { SessionStateService } from '../auth/session-state.js';
import type { UserRepository } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';

export class AdminService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessionState: SessionStateService;
      audit: AuditService;
      durableCounters: CounterStore;
    },
  ) {}

  async listUsers(limit: number, cursor: string | undefined): Promise<Page<AdminUser>> {
    const rows = await this.deps.users.list(limit + 1, decodeCursor(cursor));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const items = await Promise.all(
      page.map(async (row) => {
        const [, lockKey] = LoginThrottle.accountKeys(row.email);
        const lock =
          lockKey === undefined ? undefined : await this.deps.durableCounters.peek(lockKey);
        return {
          ...toUser(row),
          lockedUntil: lock === undefined ? null : new Date(lock.resetAtMs).toISOString(),
        };
      }),
    );
    return {
      items,
      nextCursor:
        rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  /** The new role binds the user's live sessions on the next request, on every instance. */
  async changeRole(
    actor: AuthContext,
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
}
