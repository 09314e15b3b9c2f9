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

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
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
