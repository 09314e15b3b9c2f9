import { Redis, type RedisOptions } from 'ioredis';
import type { InvalidationBus } from '../modules/auth/session-state.js';
import type { CounterStore } from './counter-store.js';
import { MemoryCounterStore } from './counter-store.js';
import { RedisCounterStore } from './redis-counter-store.js';
import { RedisInvalidationBus } from './redis-invalidation-bus.js';
import { parseRedisTarget } from './redis-target.js';
import { FailClosedCounterStore, FallbackCounterStore } from './resilient-counter-stores.js';

/**
 * A request must never wait on a dead Redis: no offline queue, one retry, short timeouts, so a
 * command fails in about half a second. The connection itself keeps reconnecting forever, so
 * service resumes when Redis returns, without restarting the instance.
 */
const commandConnection: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 500,
  commandTimeout: 500,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
};

/** The subscriber is not on any request's path: its SUBSCRIBE may wait for the connection. */
const subscriberConnection: RedisOptions = {
  enableOfflineQueue: true,
  maxRetriesPerRequest: null,
  connectTimeout: 500,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
};

/**
 * A connection to one Redis, or to the primary that Sentinel names (ADR 014). Through Sentinel:
 * the primary is looked up on every (re)connect, a `+switch-master` announcement makes the
 * client reconnect at once (failoverDetector) rather than when the old primary drops it, and a
 * READONLY answer (a demoted primary still reached) reconnects too. Lookups fail as fast as
 * commands, and are retried forever, like the connection itself.
 */
function connect(target: string, options: RedisOptions): Redis {
  const parsed = parseRedisTarget(target);
  if (parsed.kind === 'server') return new Redis(parsed.url, options);
  return new Redis({
    ...options,
    sentinels: parsed.sentinels,
    name: parsed.masterName,
    sentinelCommandTimeout: 500,
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    failoverDetector: true,
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  });
}

export interface RedisStoreLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface RedisStores {
  /** Login and registration throttling: fails closed with 503 when Redis cannot answer. */
  counters: CounterStore;
  /** The general per-client rate limit: falls back to counting in this process. */
  rateLimitCounters: CounterStore;
  invalidationBus: InvalidationBus;
  readinessChecks: (() => Promise<void>)[];
}

function watch(redis: Redis, name: string, log: RedisStoreLog | undefined): void {
  let down = false;
  // Without a listener ioredis prints every failed reconnect; one line per outage is enough.
  redis.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log?.warn({ err: error, connection: name }, 'redis unavailable');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log?.info({ connection: name }, 'redis available again');
  });
}

function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Stores shared by several instances. Waits briefly for the first connection so the first
 * requests do not fail; if Redis is down at start the instance still starts, refuses throttled
 * actions with 503 and reports not ready on /readyz until Redis answers.
 * The bus's close() closes both connections.
 */
export async function createRedisStores(
  url: string,
  options: { log?: RedisStoreLog; keyPrefix?: string; connectWaitMs?: number } = {},
): Promise<RedisStores> {
  const commands = connect(url, commandConnection);
  const subscriber = connect(url, subscriberConnection);
  watch(commands, 'commands', options.log);
  watch(subscriber, 'subscriber', options.log);
  await Promise.all([
    whenReady(commands, options.connectWaitMs ?? 2000),
    whenReady(subscriber, options.connectWaitMs ?? 2000),
  ]);

  const shared = new RedisCounterStore(commands, options.keyPrefix);
  const local = new MemoryCounterStore();
  let fallbackWarned = false;
  const bus = new RedisInvalidationBus(commands, subscriber, {
    onError: (error) => {
      options.log?.warn({ err: error }, 'invalidation not published to other instances');
    },
    onClose: () => {
      local.close();
    },
  });
  return {
    counters: new FailClosedCounterStore(shared),
    rateLimitCounters: new FallbackCounterStore(shared, local, (error) => {
      if (fallbackWarned) return;
      fallbackWarned = true;
      options.log?.warn({ err: error }, 'rate limit counting locally while redis is unavailable');
    }),
    invalidationBus: bus,
    readinessChecks: [
      async () => {
        await commands.ping();
      },
    ],
  };
}
