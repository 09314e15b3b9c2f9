import type { Redis } from 'ioredis';
import type { CounterState, CounterStore } from './counter-store.js';

/**
 * One round trip and one atomic step per increment: INCR, the window's expiry on the first count,
 * and the remaining time. Separate INCR and PEXPIRE calls from several instances could lose the
 * expiry (a counter that never resets) or read a count another instance has already moved past.
 * A key found without an expiry (e.g. written by hand) is given one rather than living forever.
 */
const incrementScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/**
 * DECR only while the key still holds the window the caller counted in. Redis keeps a remaining
 * time, not a window id, so the window is recognised by its end (caller's clock + PTTL) within a
 * tolerance: two windows of one key end at least a window length apart, and the two estimates of
 * the same end differ by at most the round trips' duration. DECR keeps the key's expiry.
 */
const decrementScript = `
local count = redis.call('GET', KEYS[1])
if not count or tonumber(count) <= 0 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
if math.abs(tonumber(ARGV[2]) + ttl - tonumber(ARGV[1])) > tonumber(ARGV[3]) then return 0 end
redis.call('DECR', KEYS[1])
return 1
`;

/** How far two estimates of the same window's end may differ (see decrementScript). */
const WINDOW_END_TOLERANCE_MS = 1_000;

const peekScript = `
local count = redis.call('GET', KEYS[1])
if not count then return false end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
`;

function asState(reply: unknown, now: number): CounterState | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [count, ttl] = reply as unknown[];
  if (typeof count !== 'number' || typeof ttl !== 'number' || ttl < 0) return undefined;
  return { count, resetAtMs: now + ttl };
}

/** Fixed-window counters shared by every instance through Redis. */
export class RedisCounterStore implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'portcullis:counter:',
  ) {}

  async increment(key: string, windowMs: number): Promise<CounterState> {
    const now = Date.now();
    const reply = await this.redis.eval(
      incrementScript,
      1,
      this.prefix + key,
      String(Math.max(1, Math.ceil(windowMs))),
    );
    const state = asState(reply, now);
    if (state === undefined) throw new Error('unexpected reply from the Redis increment script');
    return state;
  }

  async decrement(key: string, counted: CounterState): Promise<void> {
    await this.redis.eval(
      decrementScript,
      1,
      this.prefix + key,
      String(counted.resetAtMs),
      String(Date.now()),
      String(WINDOW_END_TOLERANCE_MS),
    );
  }

  async peek(key: string): Promise<CounterState | undefined> {
    const now = Date.now();
    const reply = await this.redis.eval(peekScript, 1, this.prefix + key);
    return asState(reply, now);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
