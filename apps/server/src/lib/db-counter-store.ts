import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { CounterState, CounterStore } from './counter-store.js';

/**
 * Counters in the database: one atomic upsert per increment, so concurrent failures on several
 * instances never lose a count. Used for the per-account lockout, which operators must be able
 * to see and clear from the CLI.
 */
export class DbCounterStore implements CounterStore {
  constructor(private readonly db: Db) {}

  async increment(key: string, windowMs: number): Promise<CounterState> {
    const now = Date.now();
    const row = await this.db
      .insertInto('counters')
      .values({ key, count: 1, reset_at: now + windowMs })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql<number>`case when counters.reset_at <= ${now} then 1 else counters.count + 1 end`,
          reset_at: sql<number>`case when counters.reset_at <= ${now} then ${now + windowMs} else counters.reset_at end`,
        }),
      )
      .returning(['count', 'reset_at'])
      .executeTakeFirstOrThrow();
    return { count: row.count, resetAtMs: row.reset_at };
  }

  async decrement(key: string, counted: CounterState): Promise<void> {
    // reset_at names the window: a row restarted since `counted` has another one and is left as is.
    await this.db
      .updateTable('counters')
      .set({ count: sql<number>`count - 1` })
      .where('key', '=', key)
      .where('reset_at', '=', counted.resetAtMs)
      .where('count', '>', 0)
      .execute();
  }

  async peek(key: string): Promise<CounterState | undefined> {
    const row = await this.db
      .selectFrom('counters')
      .select(['count', 'reset_at'])
      .where('key', '=', key)
      .where('reset_at', '>', Date.now())
      .executeTakeFirst();
    return row === undefined ? undefined : { count: row.count, resetAtMs: row.reset_at };
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('counters').where('key', '=', key).execute();
  }

  /** Housekeeping: an expired row counts as absent anyway; without this one stays per key forever. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('counters')
      .where('reset_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
