import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import {
  DbInvalidationLog,
  INVALIDATION_LOG_RETENTION_MS,
  InvalidationLogFollower,
  type LoggedInvalidation,
} from '../../src/lib/db-invalidation-log.js';
import type { Invalidation } from '../../src/modules/auth/session-state.js';

/**
 * The invalidation log carries the operator's changes to running instances (ADR 009): each event
 * must be applied once, none may be skipped because ids became visible out of order, and an
 * id must never be handed out twice, or a follower would skip the new row as already seen.
 */

let db: Db;
let log: DbInvalidationLog;

beforeEach(async () => {
  db = createDatabase({ kind: 'sqlite', file: ':memory:' });
  await migrateToLatest(db as never);
  log = new DbInvalidationLog(db);
});

afterEach(async () => {
  await db.destroy();
});

const user = (userId: string): Invalidation => ({ kind: 'user', userId });

describe('DbInvalidationLog', () => {
  it('reads back what was appended, in order, after a given id', async () => {
    await log.append(user('u1'));
    await log.append({ kind: 'session', sessionId: 's1' });
    await log.append({ kind: 'all' });
    const rows = await log.after(0);
    expect(rows.map((row) => row.event)).toEqual([
      user('u1'),
      { kind: 'session', sessionId: 's1' },
      { kind: 'all' },
    ]);
    expect(await log.after(rows[0]?.id ?? 0)).toHaveLength(2);
    expect(await log.latestId()).toBe(rows[2]?.id);
  });

  it('prunes rows past the retention when appending', async () => {
    const now = Date.now();
    await log.append(user('old'), now - INVALIDATION_LOG_RETENTION_MS - 1);
    await log.append(user('recent'), now - 1000);
    await log.append(user('new'), now);
    expect((await log.after(0)).map((row) => row.event)).toEqual([user('recent'), user('new')]);
  });

  it('never reuses an id, even once every row was pruned', async () => {
    await log.append(user('a'));
    await log.append(user('b'));
    const highest = await log.latestId();
    await db.deleteFrom('invalidations').execute();
    await log.append(user('c'));
    const [row] = await log.after(highest);
    expect(row?.event).toEqual(user('c'));
  });

  it('skips a row of an unknown kind without stopping there', async () => {
    await db
      .insertInto('invalidations')
      .values({ kind: 'user', subject: null, created_at: Date.now() })
      .execute();
    await log.append(user('u1'));
    const rows = await log.after(0);
    expect(rows.map((row) => row.event)).toEqual([undefined, user('u1')]);
  });
});

describe('InvalidationLogFollower on the database', () => {
  it('starts from the newest row and applies each later event once', async () => {
    await log.append(user('before-start'));
    const applied: Invalidation[] = [];
    const follower = new InvalidationLogFollower(log, (event) => applied.push(event));
    await follower.poll();
    expect(applied).toEqual([]);

    await log.append(user('u1'));
    await log.append({ kind: 'session', sessionId: 's1' });
    await follower.poll();
    await follower.poll();
    expect(applied).toEqual([user('u1'), { kind: 'session', sessionId: 's1' }]);
  });

  it('applies an event within a second on its own timer, and stops when closed', async () => {
    const applied: Invalidation[] = [];
    const follower = new InvalidationLogFollower(log, (event) => applied.push(event), {
      intervalMs: 50,
    });
    follower.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const appendedAt = Date.now();
    await log.append(user('u1'));
    while (applied.length === 0 && Date.now() - appendedAt < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(applied).toEqual([user('u1')]);
    expect(Date.now() - appendedAt).toBeLessThan(1000);

    await follower.close();
    await log.append(user('after-close'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(applied).toEqual([user('u1')]);
  });
});

/** A log whose visible rows the test sets, as a PostgreSQL sequence can commit them out of order. */
function scriptedLog(latest: number) {
  let visible: LoggedInvalidation[] = [];
  const reads: number[] = [];
  return {
    show(ids: number[]) {
      visible = ids.map((id) => ({ id, event: user(`u${id}`) }));
    },
    reads,
    latestId: () => Promise.resolve(latest),
    after: (id: number) => {
      reads.push(id);
      return Promise.resolve(visible.filter((row) => row.id > id));
    },
  };
}

describe('InvalidationLogFollower with ids visible out of order', () => {
  it('applies a row that commits after a higher id, and each row once', async () => {
    const scripted = scriptedLog(10);
    const applied: string[] = [];
    const follower = new InvalidationLogFollower(scripted, (event) => {
      if (event.kind === 'user') applied.push(event.userId);
    });
    const t0 = 1_000_000;
    await follower.poll(t0);

    scripted.show([11, 13]);
    await follower.poll(t0 + 250);
    expect(applied).toEqual(['u11', 'u13']);

    scripted.show([11, 12, 13]);
    await follower.poll(t0 + 500);
    expect(applied).toEqual(['u11', 'u13', 'u12']);

    // The hole is filled: the next read starts above 13.
    await follower.poll(t0 + 750);
    expect(scripted.reads.at(-1)).toBe(13);
  });

  it('gives up on a hole that never fills (a rolled-back insert) after a short wait', async () => {
    const scripted = scriptedLog(0);
    const applied: string[] = [];
    const follower = new InvalidationLogFollower(scripted, (event) => {
      if (event.kind === 'user') applied.push(event.userId);
    });
    const t0 = 1_000_000;
    await follower.poll(t0);
    scripted.show([2, 3]);
    await follower.poll(t0 + 250);
    await follower.poll(t0 + 1000);
    expect(scripted.reads.at(-1)).toBe(0);

    await follower.poll(t0 + 2500);
    scripted.show([2, 3, 4]);
    await follower.poll(t0 + 2750);
    expect(scripted.reads.at(-1)).toBe(3);
    expect(applied).toEqual(['u2', 'u3', 'u4']);
  });
});
