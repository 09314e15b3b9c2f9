import { AppError } from './app-error.js';
import type { CounterState, CounterStore } from './counter-store.js';

/**
 * For login and registration throttling: when the shared store cannot answer, the action is
 * refused (503 dependency_unavailable, Retry-After), never let through unthrottled. Failing open
 * would hand an attacker unlimited password guesses for as long as they can keep Redis down.
 */
export class FailClosedCounterStore implements CounterStore {
  constructor(
    private readonly inner: CounterStore,
    private readonly retryAfterSeconds = 5,
  ) {}

  private refuse(error: unknown): never {
    throw new AppError('dependency_unavailable', {
      retryAfterSeconds: this.retryAfterSeconds,
      cause: error,
    });
  }

  increment(key: string, windowMs: number): Promise<CounterState> {
    return this.inner.increment(key, windowMs).catch((error: unknown) => this.refuse(error));
  }

  decrement(key: string, counted: CounterState): Promise<void> {
    return this.inner.decrement(key, counted).catch((error: unknown) => this.refuse(error));
  }

  peek(key: string): Promise<CounterState | undefined> {
    return this.inner.peek(key).catch((error: unknown) => this.refuse(error));
  }

  reset(key: string): Promise<void> {
    return this.inner.reset(key).catch((error: unknown) => this.refuse(error));
  }
}

/**
 * For the general per-client API rate limit: when the shared store cannot answer, each instance
 * counts locally, so authenticated reads keep working during a Redis outage while every client
 * stays limited (to at most the limit per instance instead of in total).
 */
export class FallbackCounterStore implements CounterStore {
  constructor(
    private readonly primary: CounterStore,
    private readonly fallback: CounterStore,
    private readonly onFallback: (error: unknown) => void = () => undefined,
  ) {}

  async increment(key: string, windowMs: number): Promise<CounterState> {
    try {
      return await this.primary.increment(key, windowMs);
    } catch (error) {
      this.onFallback(error);
      return this.fallback.increment(key, windowMs);
    }
  }

  async decrement(key: string, counted: CounterState): Promise<void> {
    try {
      await this.primary.decrement(key, counted);
    } catch (error) {
      this.onFallback(error);
      await this.fallback.decrement(key, counted);
    }
  }

  async peek(key: string): Promise<CounterState | undefined> {
    try {
      return await this.primary.peek(key);
    } catch (error) {
      this.onFallback(error);
      return this.fallback.peek(key);
    }
  }

  async reset(key: string): Promise<void> {
    await Promise.allSettled([this.fallback.reset(key)]);
    await this.primary.reset(key).catch(this.onFallback);
  }
}
