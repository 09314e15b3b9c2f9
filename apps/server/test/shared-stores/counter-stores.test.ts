import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import { MemoryCounterStore, type CounterStore } from '../../src/lib/counter-store.js';
import { DbCounterStore } from '../../src/lib/db-counter-store.js';
import { RedisCounterStore } from '../../src/lib/redis-counter-store.js';
import { sharedBackendUrls } from '../support/shared-backends.js';

/**
 * One contract for every counter store the login throttle runs on: the in-process one, the
 * database (SQLite here; PostgreSQL and Redis too in the 'server-postgres' project). The throttle
 * is only race-free if increments never lose a count and a give-back never frees an attempt in a
 * window it was not taken in.
 */

const { databaseUrl } = sharedBackendUrls();
const { redisUrl } = sharedBackendUrls();
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function migrated(database: Parameters<typeof createDatabase>[0]): Promise<Db> {
  const db = createDatabase(database);
  await migrateToLatest(db as never);
  cleanups.push(() => db.destroy());
  return db;
}

const backends: { name: string; open: () => Promise<CounterStore> }[] = [
  {
    name: 'in-process',
    open: () => {
      const store = new MemoryCounterStore();
      cleanups.push(() => {
        store.close();
      });
      return Promise.resolve(store);
    },
  },
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-counters-'));
      cleanups.push(() => {
        rmSync(dir, { recursive: true, force: true });
      });
      return new DbCounterStore(await migrated({ kind: 'sqlite', file: path.join(dir, 'db') }));
    },
  },
];
if (databaseUrl !== undefined) {
  backends.push({
    name: 'PostgreSQL',
    open: async () => {
      const schema = `pc_${randomBytes(6).toString('hex')}`;
      cleanups.push(async () => {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      });
      return new DbCounterStore(await migrated({ kind: 'postgres', url: databaseUrl, schema }));
    },
  });
}
if (redisUrl !== undefined) {
  backends.push({
    name: 'Redis',
    open: () => {
      const redis = new Redis(redisUrl);
      cleanups.push(() => {
        redis.disconnect();
      });
      return Promise.resolve(
        new RedisCounterStore(redis, `pc-test:${randomBytes(4).toString('hex')}:`),
      );
    },
  });
}

describe.each(backends)('$name counter store', ({ open }) => {
  it('loses no count when 100 increments of one key run at once', async () => {
    const store = await open();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store.increment('burst', 60_000)),
    );
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect((await store.peek('burst'))?.count).toBe(100);
  });

  it('decrement gives back one count per call, in parallel too, and never goes below zero', async () => {
    const store = await open();
    let counted = await store.increment('give-back', 60_000);
    for (let i = 0; i < 4; i += 1) counted = await store.increment('give-back', 60_000);
    expect(counted.count).toBe(5);
    await Promise.all(Array.from({ length: 3 }, () => store.decrement('give-back', counted)));
    expect((await store.peek('give-back'))?.count).toBe(2);
    await Promise.all(Array.from({ length: 5 }, () => store.decrement('give-back', counted)));
    expect((await store.peek('give-back'))?.count).toBe(0);
    // The window is kept: the next increment continues it rather than starting a new one.
    expect(await store.increment('give-back', 60_000)).toMatchObject({
      count: 1,
      resetAtMs: expect.closeTo(counted.resetAtMs, -3) as number,
    });
  });

  it('decrement does nothing to a key that was reset, or restarted in a new window since', async () => {
    const store = await open();
    const old = await store.increment('rolled', 150);
    await store.decrement('missing', old);
    expect(await store.peek('missing')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store.increment('rolled', 60_000);
    await store.increment('rolled', 60_000);
    await store.decrement('rolled', old);
    expect((await store.peek('rolled'))?.count).toBe(2);
    await store.reset('rolled');
    await store.decrement('rolled', old);
    expect(await store.peek('rolled')).toBeUndefined();
  });
});
