import type { Db } from '../../db/database.js';
import type { CredentialKind, CredentialsTable, SecretForm } from '../../db/schema.js';
import { newId } from '../../lib/random.js';

export type CredentialRow = CredentialsTable;

/**
 * A user's ways in, one row per credential: a password today; TOTP secrets, passkeys and external
 * accounts are further kinds in the same table, so a user may exist with no password at all.
 */
export class CredentialRepository {
  constructor(private readonly db: Db) {}

  findOne(userId: string, kind: CredentialKind): Promise<CredentialRow | undefined> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  }

  listForUser(userId: string): Promise<CredentialRow[]> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  /**
   * One credential of a single-valued kind (a password): replaced in place, created if absent.
   * The secret and the form it was made from are written together, so they cannot disagree.
   */
  async setSingle(
    userId: string,
    kind: CredentialKind,
    value: { secret: string; form: SecretForm },
    now: number,
  ): Promise<void> {
    const { secret, form } = value;
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('credentials')
        .set({ secret, secret_form: form, updated_at: now })
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
      await trx
        .insertInto('credentials')
        .values({
          id: newId(),
          user_id: userId,
          kind,
          secret,
          secret_form: form,
          label: null,
          created_at: now,
          updated_at: now,
          last_used_at: null,
        })
        .execute();
    });
  }

  async markUsed(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('credentials')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute();
  }
}
