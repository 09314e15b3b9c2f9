import type { CounterStore } from '../../lib/counter-store.js';

/**
 * Failed-login throttling in three scopes (OWASP Authentication Cheat Sheet, ASVS 2.2.1):
 * - account + client: the seeds' 5 failures a minute, with the lock doubling on each repeat;
 * - account, whatever the client: a distributed guess at one account (stored in the database, so
 *   an operator can see and clear it and it holds across instances even without Redis);
 * - client, whatever the account: credential stuffing from one address.
 * Scopes key on the submitted email, not on whether the account exists, so a lockout reveals
 * nothing about which emails are registered. While a scope is locked even a correct password is
 * refused, otherwise the lock would not stop a guesser who gets lucky.
 */
export interface ThrottleScope {
  name: 'account-client' | 'account' | 'client';
  limit: number;
  windowMs: number;
  baseLockMs: number;
  maxLockMs: number;
}

export const loginThrottleScopes: readonly ThrottleScope[] = [
  {
    name: 'account-client',
    limit: 5,
    windowMs: 60_000,
    baseLockMs: 60_000,
    maxLockMs: 15 * 60_000,
  },
  {
    name: 'account',
    limit: 20,
    windowMs: 15 * 60_000,
    baseLockMs: 15 * 60_000,
    maxLockMs: 60 * 60_000,
  },
  {
    name: 'client',
    limit: 50,
    windowMs: 15 * 60_000,
    baseLockMs: 15 * 60_000,
    maxLockMs: 60 * 60_000,
  },
];

/** How long repeated lockouts are remembered for the doubling backoff. */
const STRIKE_MEMORY_MS = 24 * 60 * 60_000;

export interface LockState {
  scope: ThrottleScope['name'];
  retryAfterSeconds: number;
}

export class LoginThrottle {
  constructor(
    private readonly stores: { fast: CounterStore; durable: CounterStore },
    private readonly scopes: readonly ThrottleScope[] = loginThrottleScopes,
  ) {}

  static accountKeys(email: string): string[] {
    return ['fail', 'lock', 'strike'].map((kind) => `login:${kind}:account:${email}`);
  }

  private key(
    kind: 'fail' | 'lock' | 'strike',
    scope: ThrottleScope,
    email: string,
    ip: string,
  ): string {
    const subject =
      scope.name === 'account' ? email : scope.name === 'client' ? ip : `${email}|${ip}`;
    return `login:${kind}:${scope.name}:${subject}`;
  }

  private store(scope: ThrottleScope): CounterStore {
    return scope.name === 'account' ? this.stores.durable : this.stores.fast;
  }

  /** The longest active lock over all scopes, or undefined when the attempt may proceed. */
  async lockState(email: string, ip: string, now = Date.now()): Promise<LockState | undefined> {
    const locks = await Promise.all(
      this.scopes.map(async (scope) => ({
        scope,
        lock: await this.store(scope).peek(this.key('lock', scope, email, ip)),
      })),
    );
    let worst: LockState | undefined;
    for (const { scope, lock } of locks) {
      if (lock === undefined || lock.resetAtMs <= now) continue;
      const retryAfterSeconds = Math.max(1, Math.ceil((lock.resetAtMs - now) / 1000));
      if (worst === undefined || retryAfterSeconds > worst.retryAfterSeconds) {
        worst = { scope: scope.name, retryAfterSeconds };
      }
    }
    return worst;
  }

  /** Counts a failure in every scope; returns the lock it triggered, if any. */
  async recordFailure(email: string, ip: string): Promise<LockState | undefined> {
    let triggered: LockState | undefined;
    for (const scope of this.scopes) {
      const store = this.store(scope);
      const failures = await store.increment(this.key('fail', scope, email, ip), scope.windowMs);
      if (failures.count < scope.limit) continue;
      const strikes = await store.increment(this.key('strike', scope, email, ip), STRIKE_MEMORY_MS);
      const lockMs = Math.min(scope.maxLockMs, scope.baseLockMs * 2 ** (strikes.count - 1));
      await store.reset(this.key('lock', scope, email, ip));
      await store.increment(this.key('lock', scope, email, ip), lockMs);
      await store.reset(this.key('fail', scope, email, ip));
      const retryAfterSeconds = Math.ceil(lockMs / 1000);
      if (triggered === undefined || retryAfterSeconds > triggered.retryAfterSeconds) {
        triggered = { scope: scope.name, retryAfterSeconds };
      }
    }
    return triggered;
  }

  /** A success clears this client's failures on the account; the wider scopes keep counting. */
  async recordSuccess(email: string, ip: string): Promise<void> {
    const scope = this.scopes.find((s) => s.name === 'account-client');
    if (scope !== undefined) await this.store(scope).reset(this.key('fail', scope, email, ip));
  }
}
