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
}
