import { auditEventTypes, type AuditEventType } from '@portcullis/contract/admin';
import type { Note } from '@portcullis/contract/notes';
import type {
  AccountExport,
  ActivityEvent,
  DeleteAccountBody,
  SessionView,
} from '@portcullis/contract/security';
import { AppError } from '../../lib/app-error.js';
import type { Page } from '../../lib/cursor.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AuthService } from '../auth/auth-service.js';
import type { RequestContext, SessionService } from '../identity/session-service.js';
import { describeDevice } from '../identity/session-service.js';
import type { NotesService } from '../notes/notes-service.js';
import type { AccountDeletion } from '../users/account-deletion.js';
import type { UserRepository } from '../users/user-repository.js';
import { toUser } from '../users/user-view.js';

/**
 * What the owner sees of their own account's security: the trail's events about them, without
 * the housekeeping ones (`audit_pruned`), the admin's reads, CSRF refusals (which name no user),
 * or the deletion (there is no owner left to see it).
 */
export const activityEventTypes: readonly AuditEventType[] = auditEventTypes.filter(
  (type) => !['csrf_failed', 'audit_pruned', 'admin_read', 'account_deleted'].includes(type),
);

/** An export carries at most this many activity events and notes (the newest). */
const EXPORT_MAX_ROWS = 10_000;

/**
 * The signed-in user's security page: their sessions (and ending them), their activity, a copy of
 * their data, and deleting the account. Every operation is scoped to the caller's own id, so
 * another user's session id is simply not found.
 */
export class SecurityService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      sessions: SessionService;
      audit: AuditService;
      auth: AuthService;
      notes: NotesService;
      deletion: AccountDeletion;
    },
  ) {}

  listSessions(auth: AuthContext): Promise<SessionView[]> {
    return this.deps.sessions.list(auth.userId, auth.sessionId);
  }

  /** Ends one of the caller's sessions; within a second on every instance (the state bus). */
  async revokeSession(
    auth: AuthContext,
    sessionId: string,
    context: RequestContext,
  ): Promise<void> {
    if (!(await this.deps.sessions.revokeOwn(auth.userId, sessionId))) {
      throw new AppError('not_found');
    }
    await this.deps.audit.record(context, {
      type: 'session_revoked',
      outcome: 'success',
      actorId: auth.userId,
      actorEmail: auth.email,
      targetId: auth.userId,
      targetEmail: auth.email,
      detail: sessionId === auth.sessionId ? 'this session' : 'one other session',
    });
  }

  async revokeOtherSessions(auth: AuthContext, context: RequestContext): Promise<number> {
    const revoked = await this.deps.sessions.revokeAllForUser(auth.userId, auth.sessionId);
    await this.deps.audit.record(context, {
      type: 'session_revoked',
      outcome: 'success',
      actorId: auth.userId,
      actorEmail: auth.email,
      targetId: auth.userId,
      targetEmail: auth.email,
      detail: `${revoked} other session(s)`,
    });
    return revoked;
  }

  async activity(
    auth: AuthContext,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<ActivityEvent>> {
    const page = await this.deps.audit.list(limit, cursor, {
      involvingUserId: auth.userId,
      types: activityEventTypes,
    });
    return { items: page.items.map(toActivityEvent), nextCursor: page.nextCursor };
  }

  /** Everything held about the caller, as one document (GDPR art. 15 and 20). Audited. */
  async export(auth: AuthContext, context: RequestContext): Promise<AccountExport> {
    const { users, audit, notes } = this.deps;
    const user = await users.findById(auth.userId);
    if (user === undefined) throw new AppError('unauthenticated');
    const allNotes: Note[] = [];
    let cursor: string | undefined;
    do {
      const page = await notes.list(auth.userId, 100, cursor);
      allNotes.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && allNotes.length < EXPORT_MAX_ROWS);
    const activity: ActivityEvent[] = [];
    for await (const event of audit.each(
      { involvingUserId: auth.userId, types: activityEventTypes },
      EXPORT_MAX_ROWS,
    )) {
      activity.push(toActivityEvent(event));
    }
    await audit.record(context, {
      type: 'data_exported',
      outcome: 'success',
      actorId: auth.userId,
      actorEmail: auth.email,
      targetId: auth.userId,
      targetEmail: auth.email,
      detail: `${allNotes.length} note(s), ${activity.length} event(s)`,
    });
    return {
      exportedAt: new Date().toISOString(),
      profile: toUser(user),
      notes: allNotes,
      sessions: await this.listSessions(auth),
      activity,
    };
  }

  /** After the password again; the last active admin cannot delete itself. */
  async deleteAccount(
    auth: AuthContext,
    body: DeleteAccountBody,
    context: RequestContext,
  ): Promise<void> {
    await this.deps.auth.reauthenticate(auth, body.password, context, {
      type: 'account_deleted',
      field: 'password',
    });
    await this.deps.deletion.delete(
      auth.userId,
      { userId: auth.userId, email: auth.email, self: true },
      context,
    );
  }
}

function toActivityEvent(event: {
  id: string;
  at: string;
  type: AuditEventType;
  outcome: 'success' | 'failure';
  ip: string | null;
  userAgent: string | null;
  detail: string | null;
}): ActivityEvent {
  return {
    id: event.id,
    at: event.at,
    type: event.type,
    outcome: event.outcome,
    ip: event.ip,
    device: event.userAgent === null ? null : describeDevice(event.userAgent),
    userAgent: event.userAgent,
    detail: event.detail,
  };
}
