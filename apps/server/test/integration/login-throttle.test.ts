import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import type { BuildOptions } from '../../src/app.js';
import { MemoryCounterStore, type CounterStore } from '../../src/lib/counter-store.js';
import { RedisCounterStore } from '../../src/lib/redis-counter-store.js';
import { createRedisStores, type RedisStores } from '../../src/lib/redis-stores.js';
import { LoginThrottle } from '../../src/modules/auth/login-throttle.js';
import { LocalInvalidationBus } from '../../src/modules/auth/session-state.js';
import {
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestResponse,
  type TestUser,
} from '../support/test-app.js';
import { sharedBackendUrls } from '../support/shared-backends.js';

/**
 * Password guessing is throttled by counting each attempt when it arrives, before the password is
 * checked (docs/decisions/005): a burst sent all at once gets no more checks than the limit, in
 * every scope, on SQLite with in-process counters and (project 'server-postgres') on PostgreSQL
 * with Redis. TRUST_PROXY lets each test speak from addresses of its own via X-Forwarded-For.
 */

const { redisUrl } = sharedBackendUrls();
const { databaseUrl } = sharedBackendUrls();
/**
 * The bursts here are about the throttle's counts, not the hash queue's fair share per client
 * (connection-limits.test.ts proves that), so one client may queue a whole burst.
 */
const proxied = { TRUST_PROXY: '127.0.0.1', HASH_QUEUE_PER_CLIENT_MAX: '100' };
/** Bursts of up to 60 requests, each checked one costing an Argon2 hash: generous on a busy machine. */
const SLOW_MS = 60_000;

let nextNetwork = 0;
/** Addresses no other test uses, so the per-client scope of one test never touches another's. */
function addresses(count: number): string[] {
  nextNetwork += 1;
  const net = `10.${(nextNetwork >> 8) & 255}.${nextNetwork & 255}`;
  return Array.from({ length: count }, (_, i) => `${net}.${i + 1}`);
}

function from(ip: string) {
  return { headers: { 'x-forwarded-for': ip } };
}

async function freshClient(testApp: TestApp): Promise<TestClient> {
  const client = new TestClient(testApp);
  await client.csrf();
  return client;
}

function signIn(client: TestClient, email: string, password: string, ip: string) {
  return client.post<{ user: User }>('/api/login', { email, password }, from(ip));
}

function changePassword(client: TestClient, currentPassword: string, ip: string) {
  return client.post<undefined>(
    '/api/profile/password',
    { currentPassword, newPassword: strongPassword() },
    from(ip),
  );
}

/** How many responses had each status and code, e.g. `{'401 invalid_credentials': 5}`. */
function tally(responses: TestResponse<unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of responses) {
    const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code ?? '';
    const label = `${res.status} ${code}`.trim();
    counts[label] = (counts[label] ?? 0) + 1;
    // Every refusal is the catalogue's envelope, whatever its place in the burst.
    if (res.status >= 400) expectErrorEnvelope(res, res.status, code);
  }
  return counts;
}

function retryAfter(res: TestResponse<unknown>): number {
  const header = res.headers.get('retry-after') ?? '';
  expect(header).toMatch(/^\d+$/);
  return Number(header);
}

/** Ends the account-wide window and lock in the database, as 15 minutes passing would. */
async function letAccountLockExpire(testApp: TestApp, email: string): Promise<void> {
  const [attemptKey = '', lockKey = ''] = LoginThrottle.accountKeys(email);
  await testApp
    .db()
    .updateTable('counters')
    .set({ reset_at: Date.now() - 1 })
    .where('key', 'in', [attemptKey, lockKey])
    .execute();
}

describe('one shared app (TRUST_PROXY)', () => {
  let testApp: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp(proxied);
    admin = await createUser(testApp, { role: 'admin' });
  }, SLOW_MS);

  afterAll(async () => {
    await testApp.close();
  }, SLOW_MS);

  it(
    '40 wrong passwords at once from one client, then the right one: 5 × 401 invalid_credentials, 35 × 429 too_many_attempts, the right one 429, one login_locked; the owner elsewhere still signs in',
    async () => {
      const owner = await createUser(testApp, { label: 'burst' });
      const [attackerIp = '', ownerIp = ''] = addresses(2);
      const attacker = await freshClient(testApp);

      const burst = await Promise.all(
        Array.from({ length: 40 }, () =>
          signIn(attacker, owner.email, strongPassword(), attackerIp),
        ),
      );
      expect(tally(burst)).toEqual({ '401 invalid_credentials': 5, '429 too_many_attempts': 35 });
      for (const res of burst.filter((r) => r.status === 429)) {
        expect(retryAfter(res)).toBeGreaterThanOrEqual(1);
        expect(retryAfter(res)).toBeLessThanOrEqual(60);
      }

      const right = await signIn(attacker, owner.email, owner.password, attackerIp);
      expectErrorEnvelope(right, 429, 'too_many_attempts');
      expect(right.setCookies.size).toBe(0);

      // One client's burst spent that client's allowance, not the account-wide one.
      const owners = await freshClient(testApp);
      expect((await signIn(owners, owner.email, owner.password, ownerIp)).status).toBe(200);

      const events = await listAudit(admin.client);
      const locks = events.filter((e) => e.type === 'login_locked' && e.actorEmail === owner.email);
      expect(locks.map((e) => [e.ip, e.detail])).toEqual([
        [attackerIp, 'account-client locked for 60s'],
      ]);
      const checked = events.filter(
        (e) => e.type === 'login_failed' && e.actorEmail === owner.email && e.detail === null,
      );
      expect(checked).toHaveLength(5);
    },
    SLOW_MS,
  );

  it(
    'account-wide: 30 wrong passwords at once from 30 addresses → 20 × 401, 10 × 429; the right one from a new address → 429 for 15 min',
    async () => {
      const owner = await createUser(testApp, { label: 'spread' });
      const ips = addresses(31);
      const attacker = await freshClient(testApp);
      const burst = await Promise.all(
        ips.slice(0, 30).map((ip) => signIn(attacker, owner.email, strongPassword(), ip)),
      );
      expect(tally(burst)).toEqual({ '401 invalid_credentials': 20, '429 too_many_attempts': 10 });

      const owners = await freshClient(testApp);
      const right = await signIn(owners, owner.email, owner.password, ips[30] ?? '');
      expectErrorEnvelope(right, 429, 'too_many_attempts');
      expect(retryAfter(right)).toBeGreaterThan(890);
      expect(retryAfter(right)).toBeLessThanOrEqual(900);

      const events = await listAudit(admin.client);
      const locks = events.filter((e) => e.type === 'login_locked' && e.actorEmail === owner.email);
      expect(locks.map((e) => e.detail)).toEqual(['account locked for 900s']);
    },
    SLOW_MS,
  );

  it(
    'per client: 60 accounts at once from one address → 50 × 401, 10 × 429; then a real account is refused from there but not from elsewhere',
    async () => {
      const member = await createUser(testApp, { label: 'stuffed' });
      const [attackerIp = '', memberIp = ''] = addresses(2);
      const attacker = await freshClient(testApp);
      const burst = await Promise.all(
        Array.from({ length: 60 }, () =>
          signIn(attacker, uniqueEmail('stuffing'), strongPassword(), attackerIp),
        ),
      );
      expect(tally(burst)).toEqual({ '401 invalid_credentials': 50, '429 too_many_attempts': 10 });

      const there = await signIn(attacker, member.email, member.password, attackerIp);
      expectErrorEnvelope(there, 429, 'too_many_attempts');
      expect(retryAfter(there)).toBeGreaterThan(890);
      const elsewhere = await freshClient(testApp);
      expect((await signIn(elsewhere, member.email, member.password, memberIp)).status).toBe(200);
    },
    SLOW_MS,
  );

  it(
    'a right password gives its attempt back: 4 wrong, the right one, then 5 more wrong are all checked',
    async () => {
      const owner = await createUser(testApp, { label: 'typo' });
      const [ip = ''] = addresses(1);
      const client = await freshClient(testApp);
      for (let i = 0; i < 4; i += 1) {
        expectErrorEnvelope(
          await signIn(client, owner.email, strongPassword(), ip),
          401,
          'invalid_credentials',
        );
      }
      expect((await signIn(client, owner.email, owner.password, ip)).status).toBe(200);
      const again = await freshClient(testApp);
      const next = [];
      for (let i = 0; i < 6; i += 1)
        next.push(await signIn(again, owner.email, strongPassword(), ip));
      expect(tally(next)).toEqual({ '401 invalid_credentials': 5, '429 too_many_attempts': 1 });
    },
    SLOW_MS,
  );

  it(
    'change password: 30 wrong current passwords at once, then the right one → 5 × 401, 25 × 429 too_many_attempts, the right one 429, and the password is unchanged',
    async () => {
      const member = await createUser(testApp, { label: 'oracle' });
      const [ip = '', ownerIp = ''] = addresses(2);
      const burst = await Promise.all(
        Array.from({ length: 30 }, () => changePassword(member.client, strongPassword(), ip)),
      );
      expect(tally(burst)).toEqual({ '401 invalid_credentials': 5, '429 too_many_attempts': 25 });

      const right = await changePassword(member.client, member.password, ip);
      expectErrorEnvelope(right, 429, 'too_many_attempts');
      expect(retryAfter(right)).toBeGreaterThanOrEqual(1);

      const elsewhere = await freshClient(testApp);
      expect((await signIn(elsewhere, member.email, member.password, ownerIp)).status).toBe(200);
      const events = await listAudit(admin.client);
      const locks = events.filter((e) => e.type === 'login_locked' && e.actorId === member.user.id);
      expect(locks.map((e) => e.detail)).toEqual(['account-client locked for 60s']);
    },
    SLOW_MS,
  );

  it(
    'change password and sign-in share the counts: 3 wrong sign-ins and 2 wrong current passwords from one address, then the right password either way → 429',
    async () => {
      const member = await createUser(testApp, { label: 'shared' });
      const [ip = ''] = addresses(1);
      const attacker = await freshClient(testApp);
      for (let i = 0; i < 3; i += 1) {
        expectErrorEnvelope(
          await signIn(attacker, member.email, strongPassword(), ip),
          401,
          'invalid_credentials',
        );
      }
      for (let i = 0; i < 2; i += 1) {
        expectErrorEnvelope(
          await changePassword(member.client, strongPassword(), ip),
          401,
          'invalid_credentials',
        );
      }
      expectErrorEnvelope(
        await changePassword(member.client, member.password, ip),
        429,
        'too_many_attempts',
      );
      expectErrorEnvelope(
        await signIn(attacker, member.email, member.password, ip),
        429,
        'too_many_attempts',
      );
    },
    SLOW_MS,
  );

  it(
    'the account-wide lock lasts 15 minutes at most, however often it is earned (3 locks: 900 s each)',
    async () => {
      const owner = await createUser(testApp, { label: 'capped' });
      const attacker = await freshClient(testApp);
      const owners = await freshClient(testApp);
      const seen: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        const ips = addresses(22);
        const burst = await Promise.all(
          ips.slice(0, 21).map((ip) => signIn(attacker, owner.email, strongPassword(), ip)),
        );
        expect(tally(burst)).toEqual({ '401 invalid_credentials': 20, '429 too_many_attempts': 1 });
        const started = burst.find((res) => res.status === 429);
        if (started === undefined) throw new Error('no lock');
        seen.push(retryAfter(started));
        expectErrorEnvelope(
          await signIn(owners, owner.email, owner.password, ips[21] ?? ''),
          429,
          'too_many_attempts',
        );
        await letAccountLockExpire(testApp, owner.email);
      }
      expect(seen).toEqual([900, 900, 900]);
      // Once the lock has run out, the owner is back in.
      const ownersAgain = await freshClient(testApp);
      const [ip = ''] = addresses(1);
      expect((await signIn(ownersAgain, owner.email, owner.password, ip)).status).toBe(200);
    },
    SLOW_MS,
  );
});

/**
 * The app with counters the test can reach, so "the lock runs out" is deleting what expiry deletes
 * (the window and the lock) and keeping what it keeps (the strike count for the doubling).
 */
async function startWithReachableCounters(): Promise<{
  testApp: TestApp;
  counters: CounterStore;
  close(): Promise<void>;
}> {
  if (redisUrl !== undefined) {
    const keyPrefix = `pc-test:${randomBytes(6).toString('hex')}:`;
    const stores: RedisStores = await createRedisStores(redisUrl, { keyPrefix });
    const redis = new Redis(redisUrl);
    const testApp = await startTestApp(proxied, { stores });
    return {
      testApp,
      counters: new RedisCounterStore(redis, keyPrefix),
      async close() {
        await testApp.close();
        redis.disconnect();
      },
    };
  }
  const counters = new MemoryCounterStore();
  const stores: BuildOptions['stores'] = { counters, invalidationBus: new LocalInvalidationBus() };
  const testApp = await startTestApp(proxied, { stores });
  return {
    testApp,
    counters,
    async close() {
      await testApp.close();
      counters.close();
    },
  };
}

describe('lock doubling on the shared counters', () => {
  let started: Awaited<ReturnType<typeof startWithReachableCounters>>;

  beforeAll(async () => {
    started = await startWithReachableCounters();
  }, SLOW_MS);

  afterAll(async () => {
    await started.close();
  }, SLOW_MS);

  it(
    'each repeat doubles the account+client lock: Retry-After 60, then 120, then 240',
    async () => {
      const { testApp, counters } = started;
      const owner = await createUser(testApp, { label: 'doubling' });
      const [ip = ''] = addresses(1);
      const attacker = await freshClient(testApp);
      const seen: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        const attempts = [];
        for (let i = 0; i < 6; i += 1) {
          attempts.push(await signIn(attacker, owner.email, strongPassword(), ip));
        }
        expect(tally(attempts)).toEqual({
          '401 invalid_credentials': 5,
          '429 too_many_attempts': 1,
        });
        seen.push(retryAfter(attempts[5] as TestResponse<unknown>));
        for (const kind of ['attempt', 'lock'] as const) {
          await counters.reset(LoginThrottle.key(kind, 'account-client', owner.email, ip));
        }
      }
      expect(seen).toEqual([60, 120, 240]);
    },
    SLOW_MS,
  );
});

describe('the account-wide lock is kept in the database', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-restart-'));
  const overrides: Record<string, string> = { ...proxied, DATA_DIR: dataDir };
  if (databaseUrl !== undefined) {
    const url = new URL(databaseUrl);
    url.searchParams.set('schema', `pc_${randomBytes(6).toString('hex')}`);
    overrides.DATABASE_URL = url.href;
  }
  const stopped: TestApp[] = [];

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    for (const testApp of stopped) rmSync(testApp.dataDir, { recursive: true, force: true });
  }, SLOW_MS);

  it(
    'survives a restart: the new instance refuses the right password from a new address with 429',
    async () => {
      const first = await startTestApp(overrides);
      const owner = await createUser(first, { label: 'restart' });
      const ips = addresses(22);
      const attacker = await freshClient(first);
      const burst = await Promise.all(
        ips.slice(0, 21).map((ip) => signIn(attacker, owner.email, strongPassword(), ip)),
      );
      expect(tally(burst)).toEqual({ '401 invalid_credentials': 20, '429 too_many_attempts': 1 });
      // The process goes away, and with it every counter it kept in memory (or its Redis prefix).
      await first.app.close();
      stopped.push(first);

      const second = await startTestApp(overrides);
      try {
        const owners = await freshClient(second);
        const res = await signIn(owners, owner.email, owner.password, ips[21] ?? '');
        expectErrorEnvelope(res, 429, 'too_many_attempts');
        expect(retryAfter(res)).toBeGreaterThan(850);
        expect(retryAfter(res)).toBeLessThanOrEqual(900);
      } finally {
        await second.close();
      }
    },
    SLOW_MS,
  );
});

describe.skipIf(redisUrl === undefined || databaseUrl === undefined)(
  'two instances sharing PostgreSQL and Redis',
  () => {
    let one: TestApp;
    let two: TestApp;

    beforeAll(async () => {
      const url = new URL(databaseUrl ?? '');
      url.searchParams.set('schema', `pc_${randomBytes(6).toString('hex')}`);
      const keyPrefix = `pc-test:${randomBytes(6).toString('hex')}:`;
      const env = { ...proxied, DATABASE_URL: url.href };
      one = await startTestApp(env, {
        stores: await createRedisStores(redisUrl ?? '', { keyPrefix }),
      });
      two = await startTestApp(env, {
        stores: await createRedisStores(redisUrl ?? '', { keyPrefix }),
      });
    }, SLOW_MS);

    afterAll(async () => {
      await two.app.close();
      rmSync(two.dataDir, { recursive: true, force: true });
      await one.close();
    }, SLOW_MS);

    it(
      '40 wrong passwords at once from one client, split between the instances → 5 × 401, 35 × 429',
      async () => {
        const owner = await createUser(one, { label: 'instances' });
        const [ip = ''] = addresses(1);
        const [a, b] = [await freshClient(one), await freshClient(two)];
        const burst = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            signIn(i % 2 === 0 ? a : b, owner.email, strongPassword(), ip),
          ),
        );
        expect(tally(burst)).toEqual({ '401 invalid_credentials': 5, '429 too_many_attempts': 35 });
        expectErrorEnvelope(
          await signIn(b, owner.email, owner.password, ip),
          429,
          'too_many_attempts',
        );
      },
      SLOW_MS,
    );

    it(
      '30 wrong passwords at once from 30 addresses, split between the instances → 20 × 401, 10 × 429',
      async () => {
        const owner = await createUser(one, { label: 'instances-spread' });
        const ips = addresses(30);
        const [a, b] = [await freshClient(one), await freshClient(two)];
        const burst = await Promise.all(
          ips.map((ip, i) => signIn(i % 2 === 0 ? a : b, owner.email, strongPassword(), ip)),
        );
        expect(tally(burst)).toEqual({
          '401 invalid_credentials': 20,
          '429 too_many_attempts': 10,
        });
      },
      SLOW_MS,
    );
  },
);
