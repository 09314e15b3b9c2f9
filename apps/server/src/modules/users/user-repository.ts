import type { Role } from '@portcullis/contract/roles';
import type { Db } from '../../db/database.js';
import type { UsersTable } from '../../db/schema.js';

export type UserRow = UsersTable;

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

  /**
   * Changes a role unless that would leave no admin. The check and the write are one statement,
   * so two admins demoting each other at once cannot both succeed.
   */
  async updateRoleKeepingAnAdmin(
    id: string,
    role: Role,
  ): Promise<'updated' | 'not_found' | 'last_admin'> {
    let query = this.db
      .updateTable('users')
      .set({ role, updated_at: Date.now() })
      .where('id', '=', id);
    if (role !== 'admin') {
      query = query.where((eb) =>
        eb.or([
          eb('role', '!=', 'admin'),
          eb(
            eb
              .selectFrom('users as others')
              .select((s) => s.fn.countAll<number>().as('n'))
              .where('others.role', '=', 'admin')
              .where('others.id', '!=', id),
            '>',
            0,
          ),
        ]),
      );
    }
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return 'updated';
    return (await this.findById(id)) === undefined ? 'not_found' : 'last_admin';
  }

  async list(limit: number, after?: { at: number; id: string }): Promise<UserRow[]> {
    let query = this.db.selectFrom('users').selectAll();
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
