import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/app-error.js';
import { createRedisStores, type RedisStores } from '../../src/lib/redis-stores.js';
import { RedisCounterStore } from '../../src/lib/redis-counter-store.js';
import type { Invalidation } from '../../src/modules/auth/session-state.js';
import { sharedBackendUrls } from '../support/shared-backends.js';

// Set by the 'server-postgres' project's global setup when Redis answers on this machine.
const { redisUrl } = sharedBackendUrls();
const prefix = `pc-test:${randomBytes(4).toString('hex')}:`;
const opened: RedisStores[] = [];
const clients: Redis[] = [];

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all(opened.map((stores) => stores.invalidationBus.close()));
});

async function stores(url: string): Promise<RedisStores> {
  const created = await createRedisStores(url, { keyPrefix: prefix, connectWaitMs: 300 });
  opened.push(created);
  return created;
}

describe('Redis unreachable', () => {
  const deadUrl = 'redis://127.0.0.1:1';

  it('refuses throttled actions with 503 dependency_unavailable and Retry-After, quickly', async () => {
    const { counters } = await stores(deadUrl);
    const started = Date.now();
    const failure = await counters.increment('login:fail:x', 60_000).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('dependency_unavailable');
    expect((failure as AppError).status).toBe(503);
    expect((failure as AppError).options.retryAfterSeconds).toBe(5);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps the general rate limit counting in this process', async () => {
    const { rateLimitCounters, readinessChecks } = await stores(deadUrl);
    expect((await rateLimitCounters.increment('rl:1.2.3.4', 60_000)).count).toBe(1);
    expect((await rateLimitCounters.increment('rl:1.2.3.4', 60_000)).count).toBe(2);
    await expect(readinessChecks[0]?.()).rejects.toThrow();
  });
});

describe.skipIf(redisUrl === undefined)('Redis shared stores', () => {
  const url = redisUrl ?? '';

  it('loses no increment when two instances count the same key concurrently', async () => {
    const [first, second] = [new Redis(url), new Redis(url)];
    clients.push(first, second);
    const a = new RedisCounterStore(first, prefix);
    const b = new RedisCounterStore(second, prefix);
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? a : b).increment('race', 60_000)),
    );
    const counts = results.map((state) => state.count).sort((x, y) => x - y);
    expect(counts).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect((await a.peek('race'))?.count).toBe(400);
    const resetAt = results[0]?.resetAtMs ?? 0;
    expect(resetAt - Date.now()).toBeGreaterThan(50_000);
  });

  it('starts a new window when the old one expires, and reset clears it', async () => {
    const { counters } = await stores(url);
    await counters.increment('window', 150);
    expect((await counters.increment('window', 150)).count).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await counters.peek('window')).toBeUndefined();
    expect((await counters.increment('window', 150)).count).toBe(1);
    await counters.reset('window');
    expect(await counters.peek('window')).toBeUndefined();
  });

  it('delivers an invalidation published on one instance to another within 1 s', async () => {
    const one = await stores(url);
    const two = await stores(url);
    const received = new Promise<Invalidation>((resolve) => {
      two.invalidationBus.subscribe((event) => {
        if (event.kind === 'session' && event.sessionId === `${prefix}s1`) resolve(event);
      });
    });
    const started = Date.now();
    await one.invalidationBus.publish({ kind: 'session', sessionId: `${prefix}s1` });
    await expect(received).resolves.toEqual({ kind: 'session', sessionId: `${prefix}s1` });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ignores malformed messages on the channel', async () => {
    const { invalidationBus } = await stores(url);
    const events: Invalidation[] = [];
    invalidationBus.subscribe((event) => events.push(event));
    const raw = new Redis(url);
    clients.push(raw);
    await raw.publish('portcullis:invalidate', '{"kind":"all"}');
    await raw.publish('portcullis:invalidate', 'not json');
    await raw.publish('portcullis:invalidate', JSON.stringify({ kind: 'user', userId: 'u1' }));
    await expect.poll(() => events.length).toBe(1);
    expect(events).toEqual([{ kind: 'user', userId: 'u1' }]);
  });
});
