import type { Db } from '../../db/database.js';
import type { Role } from '@portcullis/contract/roles';

export interface SessionRecord {
  id: string;
  userId: string;
  expiresAt: number;
  revokedAt: number | null;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  sessionId: string;
  expiresAt: number;
  rotatedAt: number | null;
  /** SHA-256 of the CSRF binding of the browser this token was rotated to (null from sign-in). */
  csrfBindingHash: string | null;
  /** Set once rotated: the successor, sealed under this token (see AuthService.refresh). */
  successorSealed: string | null;
  userId: string;
  sessionExpiresAt: number;
  sessionRevokedAt: number | null;
  /** "Remember me" was ticked at sign-in. */
  persistent: boolean;
  role: Role;
  userDisabledAt: number | null;
}

/** A live session as its owner sees it listed. */
export interface LiveSessionRow {
  id: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number;
  idleExpiresAt: number | null;
  ip: string | null;
  userAgent: string | null;
  amr: string | null;
  persistent: number;
}

export interface SessionPrincipal {
  userId: string;
  expiresAt: number;
  revokedAt: number | null;
  role: Role;
  email: string;
  name: string;
  createdAt: number;
  emailVerifiedAt: number | null;
  disabledAt: number | null;
  authTime: number | null;
  hasSecondFactor: boolean;
}

export class SessionRepository {
  constructor(private readonly db: Db) {}

  /** A session and its first refresh token in one transaction: never one without the other. */
  async create(
    session: {
      id: string;
      userId: string;
      createdAt: number;
      expiresAt: number;
      ip: string | null;
      userAgent: string | null;
      amr: readonly string[];
      authTime: number;
      persistent: boolean;
      idleExpiresAt: number;
    },
    refresh: { tokenHash: string; expiresAt: number },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
          revoked_at: null,
          ip: session.ip,
          user_agent: session.userAgent?.slice(0, 512) ?? null,
          amr: JSON.stringify(session.amr),
          auth_time: session.authTime,
          persistent: session.persistent ? 1 : 0,
          last_used_at: session.createdAt,
          idle_expires_at: session.idleExpiresAt,
        })
        .execute();
      await trx
        .insertInto('refresh_tokens')
        .values({
          token_hash: refresh.tokenHash,
          session_id: session.id,
          created_at: session.createdAt,
          expires_at: refresh.expiresAt,
          rotated_at: null,
          // The sign-in response replaces the browser's CSRF binding, so there is none to record.
          csrf_binding_hash: null,
          successor_sealed: null,
        })
        .execute();
    });
  }

  /** The session-check query behind the cache: session state joined with the user's live role. */
  async findPrincipal(sessionId: string): Promise<SessionPrincipal | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select((eb) => [
        'sessions.user_id as userId',
        'sessions.expires_at as expiresAt',
        'sessions.revoked_at as revokedAt',
        'sessions.auth_time as authTime',
        'users.role as role',
        'users.email as email',
        'users.name as name',
        'users.created_at as createdAt',
        'users.email_verified_at as emailVerifiedAt',
        'users.disabled_at as disabledAt',
        eb
          .exists(
            eb
              .selectFrom('credentials')
              .select('credentials.id')
              .whereRef('credentials.user_id', '=', 'users.id')
              .where((inner) =>
                inner.or([
                  inner('credentials.kind', '=', 'passkey'),
                  inner.and([
                    inner('credentials.kind', '=', 'totp'),
                    inner('credentials.confirmed_at', 'is not', null),
                  ]),
                ]),
              ),
          )
          .as('hasSecondFactor'),
      ])
      .where('sessions.id', '=', sessionId)
      .executeTakeFirst();
    // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
    return row === undefined
      ? undefined
      : { ...row, hasSecondFactor: Boolean(row.hasSecondFactor) };
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'refresh_tokens.token_hash as tokenHash',
        'refresh_tokens.session_id as sessionId',
        'refresh_tokens.expires_at as expiresAt',
        'refresh_tokens.rotated_at as rotatedAt',
        'refresh_tokens.csrf_binding_hash as csrfBindingHash',
        'refresh_tokens.successor_sealed as successorSealed',
        'sessions.user_id as userId',
        'sessions.expires_at as sessionExpiresAt',
        'sessions.revoked_at as sessionRevokedAt',
        'sessions.persistent as persistent',
        'users.role as role',
        'users.disabled_at as userDisabledAt',
      ])
      .where('refresh_tokens.token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row === undefined ? undefined : { ...row, persistent: row.persistent === 1 };
  }

  /**
   * Marks the presented token rotated, keeps its successor sealed beside it, and stores the
   * successor with the binding of the browser it goes to, atomically. Returns false when another
   * request rotated it first (a race between tabs, or a thief); the caller then treats the
   * request as a replay.
   */
  async rotate(
    oldTokenHash: string,
    successor: {
      tokenHash: string;
      sessionId: string;
      createdAt: number;
      expiresAt: number;
      csrfBindingHash: string | null;
      /** The successor sealed under the presented token. */
      sealed: string;
      /** The session's new idle limit: using it moves the limit on. */
      idleExpiresAt: number;
    },
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable('refresh_tokens')
        .set({ rotated_at: successor.createdAt, successor_sealed: successor.sealed })
        .where('token_hash', '=', oldTokenHash)
        .where('rotated_at', 'is', null)
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto('refresh_tokens')
        .values({
          token_hash: successor.tokenHash,
          session_id: successor.sessionId,
          created_at: successor.createdAt,
          expires_at: successor.expiresAt,
          rotated_at: null,
          csrf_binding_hash: successor.csrfBindingHash,
          successor_sealed: null,
        })
        .execute();
      await trx
        .updateTable('sessions')
        .set({ last_used_at: successor.createdAt, idle_expires_at: successor.idleExpiresAt })
        .where('id', '=', successor.sessionId)
        .execute();
      return true;
    });
  }

  async revoke(sessionId: string, at: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async isPersistent(sessionId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('sessions')
      .select('persistent')
      .where('id', '=', sessionId)
      .executeTakeFirst();
    return row?.persistent === 1;
  }

  /** The user's sessions still in force (not revoked, not past either limit), latest used first. */
  private liveSessionsOf(userId: string, now: number) {
    return this.db
      .selectFrom('sessions')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where((eb) => eb.or([eb('idle_expires_at', 'is', null), eb('idle_expires_at', '>', now)]))
      .orderBy('last_used_at', 'desc')
      .orderBy('created_at', 'desc');
  }

  /** What the owner's list shows, of up to 500 live sessions. */
  listLive(userId: string, now: number): Promise<LiveSessionRow[]> {
    return this.liveSessionsOf(userId, now)
      .select([
        'id',
        'created_at as createdAt',
        'last_used_at as lastUsedAt',
        'expires_at as expiresAt',
        'idle_expires_at as idleExpiresAt',
        'ip',
        'user_agent as userAgent',
        'amr',
        'persistent',
      ])
      .limit(500)
      .execute();
  }

  /**
   * Revokes the user's live sessions beyond the `keep` most recently used; returns their ids. A
   * session just started was used last, so it is always kept.
   */
  async revokeLeastRecentlyUsed(userId: string, keep: number, at: number): Promise<string[]> {
    const ids = (
      await this.liveSessionsOf(userId, at).select('id').limit(100).offset(keep).execute()
    ).map((row) => row.id);
    if (ids.length > 0) {
      await this.db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('id', 'in', ids)
        .where('revoked_at', 'is', null)
        .execute();
    }
    return ids;
  }

  /** Revokes one session if it is the user's and live; false otherwise (someone else's: 404). */
  async revokeOwned(userId: string, sessionId: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: at })
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Revokes every live session of a user except one; returns the ids so caches can drop them. */
  async revokeAllForUser(userId: string, at: number, exceptSessionId?: string): Promise<string[]> {
    let query = this.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId);
    const ids = (await query.execute()).map((row) => row.id);
    if (ids.length > 0) {
      await this.db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('id', 'in', ids)
        .execute();
    }
    return ids;
  }

  /** Housekeeping: expired sessions and their tokens (cascade) go, so tables do not grow forever. */
  async deleteExpired(now: number): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    await this.db
      .deleteFrom('refresh_tokens')
      .where('expires_at', '<', now - 86_400_000)
      .execute();
  }
}
