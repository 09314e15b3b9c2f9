import { BoundedCache } from './bounded-cache.js';

export interface CounterState {
  count: number;
  resetAtMs: number;
}

/**
 * Fixed-window counters for rate limits and login throttling. The in-process store serves one
 * instance; the Redis store shares the counts between instances; the database store keeps the
 * per-account lockout where the operator's CLI can clear it. Increments are atomic in each.
 */
export interface CounterStore {
  increment(key: string, windowMs: number): Promise<CounterState>;
  /**
   * Takes back one count, atomically, but only while `counted` (what `increment` returned) is
   * still the key's current window and the count is above zero. The login throttle counts an
   * attempt before checking the password and gives it back when it succeeds; a give-back that
   * arrives after the window rolled over must not free an attempt in the next window.
   */
  decrement(key: string, counted: CounterState): Promise<void>;
  peek(key: string): Promise<CounterState | undefined>;
  reset(key: string): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
  private readonly counters: BoundedCache<CounterState>;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(maxKeys = 500_000) {
    // The TTL is per entry (the window); this default only bounds entries set without one.
    this.counters = new BoundedCache(maxKeys, 3_600_000);
    this.sweepTimer = setInterval(() => {
      this.counters.sweep();
    }, 30_000);
    this.sweepTimer.unref();
  }

  /** Synchronous core, so the hot-path rate limit costs no promise when the store is local. */
  incrementSync(key: string, windowMs: number, now = Date.now()): CounterState {
    const current = this.counters.get(key, now);
    if (current !== undefined) {
      current.count += 1;
      return current;
    }
    const fresh = { count: 1, resetAtMs: now + windowMs };
    this.counters.set(key, fresh, windowMs, now);
    return fresh;
  }

  increment(key: string, windowMs: number): Promise<CounterState> {
    return Promise.resolve({ ...this.incrementSync(key, windowMs) });
  }

  decrement(key: string, counted: CounterState): Promise<void> {
    const current = this.counters.get(key);
    if (current !== undefined && current.resetAtMs === counted.resetAtMs && current.count > 0) {
      current.count -= 1;
    }
    return Promise.resolve();
  }

  peek(key: string): Promise<CounterState | undefined> {
    const current = this.counters.get(key);
    return Promise.resolve(current === undefined ? undefined : { ...current });
  }

  reset(key: string): Promise<void> {
    this.counters.delete(key);
    return Promise.resolve();
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }
}
