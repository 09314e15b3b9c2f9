import type { Db } from '../../db/database.js';
import type { CredentialsTable, WebauthnChallengesTable } from '../../db/schema.js';

export type FactorRow = CredentialsTable;

/** The second-factor kinds of credential: a TOTP key, recovery codes, passkeys. */
export type FactorKind = 'totp' | 'recovery' | 'passkey';

/**
 * Second factors live in the credentials table beside the password (ADR 011), one row per TOTP
 * key, recovery code or passkey; WebAuthn challenges in a table of their own, each single use.
 */
export class FactorRepository {
  constructor(private readonly db: Db) {}

  list(userId: string, kind: FactorKind): Promise<FactorRow[]> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .orderBy('created_at')
      .execute();
  }

  /** Whether the user holds a factor that counts: a confirmed TOTP key or a passkey. */
  async hasSecondFactor(userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('credentials')
      .select('id')
      .where('user_id', '=', userId)
      .where((eb) =>
        eb.or([
          eb('kind', '=', 'passkey'),
          eb.and([eb('kind', '=', 'totp'), eb('confirmed_at', 'is not', null)]),
        ]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  findPasskey(credentialId: string): Promise<FactorRow | undefined> {
    return this.db
      .selectFrom('credentials')
      .selectAll()
      .where('kind', '=', 'passkey')
      .where('external_id', '=', credentialId)
      .executeTakeFirst();
  }

  async insert(row: FactorRow): Promise<void> {
    await this.db.insertInto('credentials').values(row).execute();
  }

  /** A pending TOTP enrolment replaces any earlier pending one; a confirmed key stays. */
  async replacePendingTotp(row: FactorRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('credentials')
        .where('user_id', '=', row.user_id)
        .where('kind', '=', 'totp')
        .where('confirmed_at', 'is', null)
        .execute();
      await trx.insertInto('credentials').values(row).execute();
    });
  }

  /**
   * Confirms a pending TOTP key, first removing any older confirmed one (one key per account),
   * and records the step its first code used.
   */
  async confirmTotp(id: string, userId: string, step: number, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('credentials')
        .where('user_id', '=', userId)
        .where('kind', '=', 'totp')
        .where('confirmed_at', 'is not', null)
        .execute();
      const result = await trx
        .updateTable('credentials')
        .set({ confirmed_at: now, counter: step, updated_at: now })
        .where('id', '=', id)
        .where('confirmed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /**
   * Moves the last accepted step forward, only if it is still behind: two requests with the same
   * code at the same instant cannot both pass (the second updates no row).
   */
  async acceptTotpStep(id: string, step: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set({ counter: step, last_used_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('counter', 'is', null), eb('counter', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async updateSecret(id: string, secret: string, now: number): Promise<void> {
    await this.db
      .updateTable('credentials')
      .set({ secret, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  /** Spends one recovery code: false when it was spent already (or by a racing request). */
  async spendRecoveryCode(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where('last_used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A new set of recovery codes voids the old one in the same transaction. */
  async replaceRecoveryCodes(userId: string, rows: FactorRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('credentials')
        .where('user_id', '=', userId)
        .where('kind', '=', 'recovery')
        .execute();
      await trx.insertInto('credentials').values(rows).execute();
    });
  }

  async updatePasskeyUse(
    id: string,
    use: { counter: number; data: string; now: number },
  ): Promise<void> {
    await this.db
      .updateTable('credentials')
      .set({ counter: use.counter, data: use.data, last_used_at: use.now })
      .where('id', '=', id)
      .execute();
  }

  async rename(userId: string, id: string, label: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set({ label, updated_at: now })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('kind', '=', 'passkey')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async remove(userId: string, kind: FactorKind, id?: string): Promise<number> {
    let query = this.db
      .deleteFrom('credentials')
      .where('user_id', '=', userId)
      .where('kind', '=', kind);
    if (id !== undefined) query = query.where('id', '=', id);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async saveChallenge(row: WebauthnChallengesTable): Promise<void> {
    await this.db.insertInto('webauthn_challenges').values(row).execute();
  }

  /** Takes the challenge a browser holds, once: a second use finds nothing. */
  async takeChallenge(
    tokenHash: string,
    now: number,
  ): Promise<WebauthnChallengesTable | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('webauthn_challenges')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const deleted = await trx
        .deleteFrom('webauthn_challenges')
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1 || row.expires_at <= now) return undefined;
      return row;
    });
  }

  async deleteExpiredChallenges(now: number): Promise<void> {
    await this.db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
  }
}
