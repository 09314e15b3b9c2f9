import type { Db } from '../../db/database.js';

/**
 * The devices (long-lived device cookies, stored as hashes) each account has signed in from, so a
 * sign-in from a new one can be reported to the owner. Not an IP list: addresses change daily.
 */
export class KnownDeviceRepository {
  constructor(private readonly db: Db) {}

  /** `first`: the account's first device ever; `known`: seen before; `new`: worth a notice. */
  async remember(
    userId: string,
    deviceHash: string,
    now: number,
  ): Promise<'first' | 'known' | 'new'> {
    const updated = await this.db
      .updateTable('known_devices')
      .set({ last_seen_at: now })
      .where('user_id', '=', userId)
      .where('device_hash', '=', deviceHash)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return 'known';
    const any = await this.db
      .selectFrom('known_devices')
      .select('device_hash')
      .where('user_id', '=', userId)
      .limit(1)
      .executeTakeFirst();
    await this.db
      .insertInto('known_devices')
      .values({ user_id: userId, device_hash: deviceHash, first_seen_at: now, last_seen_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'device_hash']).doUpdateSet({ last_seen_at: now }))
      .execute();
    return any === undefined ? 'first' : 'new';
  }
}
