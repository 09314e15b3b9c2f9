import { PostgresAdapter, sql } from 'kysely';
import type { LastSignInFilter, UserStatus } from '@portcullis/contract/admin';
import type { Role } from '@portcullis/contract/roles';
import type { Db } from '../../db/database.js';
import type { UsersTable } from '../../db/schema.js';

export type UserRow = UsersTable;

/**
 * What the admin's user list narrows by. `status` here is what the table knows: `locked` lives
 * in the sign-in throttle, so the service narrows `active` and `locked` further.
 */
export interface UserFilter {
  q?: string;
  role?: Role;
  status?: UserStatus;
  lastSignIn?: LastSignInFilter;
  now?: number;
}

export class UserRepository {
  constructor(private readonly db: Db) {}

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByEmail(email: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  /** Returns false when the email is taken (unique constraint), so callers need no race-prone pre-check. */
  async insert(row: UserRow): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async updateName(id: string, name: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ name, updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
  }

  async markEmailVerified(id: string, at: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ email_verified_at: at, updated_at: at })
      .where('id', '=', id)
      .where('email_verified_at', 'is', null)
      .execute();
  }

  /**
   * Moves the account to a new address, verified (following the link proved it). Returns false
   * when another account holds that address by now (the unique constraint decides, no race).
   */
  async changeEmail(id: string, email: string, at: number): Promise<boolean> {
    try {
      const result = await this.db
        .updateTable('users')
        .set({ email, email_verified_at: at, updated_at: at })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async setMustResetPassword(id: string, value: boolean): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ must_reset_password: value ? 1 : 0, updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
  }

  async recordSignIn(id: string, at: number): Promise<void> {
    await this.db.updateTable('users').set({ last_sign_in_at: at }).where('id', '=', id).execute();
  }

  async setDisabled(id: string, at: number | null): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ disabled_at: at, updated_at: Date.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Applies a change to one account unless it would leave no active admin (an admin who is not
   * disabled): demoting, disabling or deleting the last one is refused. The check and the write
   * run in one transaction that first locks every active admin row (`FOR UPDATE` on PostgreSQL;
   * SQLite runs one write transaction at a time), so two admins acting at the same instant, each
   * on the other, are serialised: the second sees the first's change and is refused.
   */
  async changeKeepingAnAdmin(
    id: string,
    change: { role: Role } | { disabled: true } | { deleted: true },
  ): Promise<'updated' | 'not_found' | 'last_admin'> {
    return this.db.transaction().execute(async (trx) => {
      let admins = trx
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admin')
        .where('disabled_at', 'is', null);
      if (trx.getExecutor().adapter instanceof PostgresAdapter) admins = admins.forUpdate();
      const activeAdmins = (await admins.execute()).map((row) => row.id);
      const target = await trx
        .selectFrom('users')
        .select(['id', 'role'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (target === undefined) return 'not_found';
      const losesAdmin =
        activeAdmins.includes(id) && (!('role' in change) || change.role !== 'admin');
      if (losesAdmin && activeAdmins.length <= 1) return 'last_admin';
      const now = Date.now();
      if ('deleted' in change) {
        await trx.deleteFrom('users').where('id', '=', id).execute();
      } else if ('disabled' in change) {
        await trx
          .updateTable('users')
          .set({ disabled_at: now, updated_at: now })
          .where('id', '=', id)
          .execute();
      } else {
        await trx
          .updateTable('users')
          .set({ role: change.role, updated_at: now })
          .where('id', '=', id)
          .execute();
      }
      return 'updated';
    });
  }

  /** Changes a role unless that would leave no active admin (see changeKeepingAnAdmin). */
  updateRoleKeepingAnAdmin(
    id: string,
    role: Role,
  ): Promise<'updated' | 'not_found' | 'last_admin'> {
    return this.changeKeepingAnAdmin(id, { role });
  }

  async list(
    limit: number,
    after?: { at: number; id: string },
    filter: UserFilter = {},
  ): Promise<UserRow[]> {
    let query = this.db.selectFrom('users').selectAll();
    if (filter.q !== undefined && filter.q !== '') {
      const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql`lower(email)`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(name)`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    }
    if (filter.role !== undefined) query = query.where('role', '=', filter.role);
    if (filter.status === 'disabled') query = query.where('disabled_at', 'is not', null);
    else if (filter.status !== undefined) query = query.where('disabled_at', 'is', null);
    if (filter.status === 'unverified') query = query.where('email_verified_at', 'is', null);
    if (filter.status === 'active') query = query.where('email_verified_at', 'is not', null);
    if (filter.lastSignIn !== undefined) {
      const now = filter.now ?? Date.now();
      const day = 86_400_000;
      if (filter.lastSignIn === 'never') query = query.where('last_sign_in_at', 'is', null);
      else if (filter.lastSignIn === 'within-7d')
        query = query.where('last_sign_in_at', '>=', now - 7 * day);
      else if (filter.lastSignIn === 'within-30d')
        query = query.where('last_sign_in_at', '>=', now - 30 * day);
      else query = query.where('last_sign_in_at', '<', now - 30 * day);
    }
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.at),
          eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)]),
        ]),
      );
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }
}

function isUniqueViolation(error: unknown): boolean {
  const { code } = error as { code?: unknown };
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
