import { clientKey } from '../../lib/client-key.js';
import type { CounterState, CounterStore } from '../../lib/counter-store.js';

export type ThrottleScopeName = 'account-client' | 'account' | 'client';

/**
 * Password-guess throttling in three scopes (OWASP Authentication Cheat Sheet, ASVS 2.2.1), for
 * sign-in and for the current-password check of a password change, which share the counts:
 * - account + client: the seeds' 5 a minute, with the lock doubling on each repeat;
 * - account, whatever the client: a distributed guess at one account (stored in the database, so
 *   an operator can see and clear it and it holds across instances even without Redis);
 * - client, whatever the account: credential stuffing from one address.
 *
 * An attempt counts when it arrives, before the password is checked: `admit` increments each
 * scope's attempt counter atomically (one store operation, so parallel requests and other
 * instances each get their own count) and refuses without checking when a count passes the limit.
 * A burst of any size therefore has at most `limit` attempts checked per scope and window, however
 * the requests interleave. Counting failures after the check instead let a parallel burst through:
 * every request read "no lock" before the first failure was recorded.
 * - The scopes are counted narrowest first. An attempt refused by one scope is given back to the
 *   scopes before it and never reaches the later ones, so one client hammering one account spends
 *   that client's allowance only, not the account-wide one that binds the owner everywhere.
 * - The attempt that first passes a scope's limit starts that scope's lock (exactly one per window,
 *   since the increment is atomic); each lock within a day doubles the last, up to `maxLockMs`.
 *   While a lock runs attempts are refused before being counted, even with the right password,
 *   otherwise the lock would not stop a guesser who gets lucky.
 * - A right password gives its attempt back, so the wider scopes count only failures and checks
 *   still in flight; it also clears this client's count on the account, as before.
 * Scopes key on the submitted email, not on whether the account exists, so a lockout reveals
 * nothing about which emails are registered.
 */
export interface ThrottleScope {
  name: ThrottleScopeName;
  /** Attempts checked per window; the next one is refused and starts a lock. */
  limit: number;
  windowMs: number;
  /** At least `windowMs`, so a lock always outlasts the window that started it. */
  baseLockMs: number;
  maxLockMs: number;
}

/**
 * Every address shares the account-wide lock, so it locks the owner out too: 15 minutes at most,
 * never doubled. An operator's unlock clears it at once (docs/decisions/005).
 */
export const ACCOUNT_LOCK_MAX_MS = 15 * 60_000;

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
    baseLockMs: ACCOUNT_LOCK_MAX_MS,
    maxLockMs: ACCOUNT_LOCK_MAX_MS,
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

export type CounterKind = 'attempt' | 'lock' | 'strike';

export interface LockState {
  scope: ThrottleScopeName;
  retryAfterSeconds: number;
}

export interface Refusal extends LockState {
  /** This attempt was the first over a limit and started the lock (audited as login_locked). */
  startedLock: boolean;
}

interface ScopeCount {
  scope: ThrottleScope;
  key: string;
  /** What the increment returned: names the window a give-back must land in. */
  counted: CounterState;
}

/** An admitted attempt, as counted in each scope; handed back to `recordSuccess`. */
export interface CountedAttempt {
  readonly counts: readonly ScopeCount[];
}

export type Admission =
  { admitted: true; attempt: CountedAttempt } | { admitted: false; refusal: Refusal };

function secondsUntil(atMs: number, now: number): number {
  return Math.max(1, Math.ceil((atMs - now) / 1000));
}

export class LoginThrottle {
  constructor(
    private readonly stores: { fast: CounterStore; durable: CounterStore },
    private readonly scopes: readonly ThrottleScope[] = loginThrottleScopes,
    private readonly options: { ipv6PrefixLength?: number } = {},
  ) {}

  /**
   * The key a client address is counted under, here and by the account module's per-client
   * limits: an IPv6 client by its prefix, so rotating addresses within its /64 gains nothing.
   */
  clientKey(ip: string): string {
    return clientKey(ip, this.options.ipv6PrefixLength);
  }

  /** The account-wide keys, [attempt, lock, strike], in the durable store: what unlock clears. */
  static accountKeys(email: string): string[] {
    return (['attempt', 'lock', 'strike'] as const).map((kind) =>
      LoginThrottle.key(kind, 'account', email, ''),
    );
  }

  /** Where a scope keeps its counts: `scope` names the subject (email, address or both). */
  static key(kind: CounterKind, scope: ThrottleScopeName, email: string, ip: string): string {
    const subject = scope === 'account' ? email : scope === 'client' ? ip : `${email}|${ip}`;
    return `login:${kind}:${scope}:${subject}`;
  }

  private key(kind: CounterKind, scope: ThrottleScope, email: string, ip: string): string {
    return LoginThrottle.key(kind, scope.name, email, this.clientKey(ip));
  }

  private store(scope: ThrottleScope): CounterStore {
    return scope.name === 'account' ? this.stores.durable : this.stores.fast;
  }

  /** The longest active lock over all scopes, or undefined when none is running. */
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
      const retryAfterSeconds = secondsUntil(lock.resetAtMs, now);
      if (worst === undefined || retryAfterSeconds > worst.retryAfterSeconds) {
        worst = { scope: scope.name, retryAfterSeconds };
      }
    }
    return worst;
  }

  /** When the account-wide lock on `email` ends (ms since the epoch), or undefined. */
  async accountLock(email: string, now = Date.now()): Promise<number | undefined> {
    const lock = await this.stores.durable.peek(LoginThrottle.key('lock', 'account', email, ''));
    return lock === undefined || lock.resetAtMs <= now ? undefined : lock.resetAtMs;
  }

  /**
   * The operator's way back in for the owner (admin API, CLI): clears the account-wide count, lock
   * and doubling. Locks on single clients stay; they bind only the addresses that earned them.
   */
  async unlockAccount(email: string): Promise<void> {
    for (const key of LoginThrottle.accountKeys(email)) await this.stores.durable.reset(key);
  }

  /** Counts one attempt in every scope before the password is checked (see the class comment). */
  async admit(email: string, ip: string): Promise<Admission> {
    const lock = await this.lockState(email, ip);
    if (lock !== undefined) return { admitted: false, refusal: { ...lock, startedLock: false } };

    const counts: ScopeCount[] = [];
    for (const scope of this.scopes) {
      const key = this.key('attempt', scope, email, ip);
      const counted = await this.store(scope).increment(key, scope.windowMs);
      if (counted.count <= scope.limit) {
        counts.push({ scope, key, counted });
        continue;
      }
      await this.giveBack(counts);
      const refusal =
        counted.count === scope.limit + 1
          ? await this.startLock(scope, email, ip)
          : await this.refusalOverLimit(scope, email, ip, counted);
      return { admitted: false, refusal };
    }
    return { admitted: true, attempt: { counts } };
  }

  /**
   * The password was right: the attempt is given back, and this client's count on the account is
   * cleared.
   */
  async recordSuccess(attempt: CountedAttempt): Promise<void> {
    for (const { scope, key, counted } of attempt.counts) {
      if (scope.name === 'account-client') await this.store(scope).reset(key);
      else await this.store(scope).decrement(key, counted);
    }
  }

  /**
   * How many more wrong passwords this client may send for this account before sign-in pauses,
   * so the form can warn at the last one. Only the client's own scope: the account-wide count
   * would tell a guesser how busy others are with the account.
   */
  remainingForClient(attempt: CountedAttempt): number | undefined {
    const own = attempt.counts.find(({ scope }) => scope.name === 'account-client');
    return own === undefined ? undefined : Math.max(0, own.scope.limit - own.counted.count);
  }

  private async giveBack(counts: readonly ScopeCount[]): Promise<void> {
    for (const { scope, key, counted } of counts) {
      await this.store(scope).decrement(key, counted);
    }
  }

  private async startLock(scope: ThrottleScope, email: string, ip: string): Promise<Refusal> {
    const store = this.store(scope);
    const strikes = await store.increment(this.key('strike', scope, email, ip), STRIKE_MEMORY_MS);
    const lockMs = Math.min(scope.maxLockMs, scope.baseLockMs * 2 ** (strikes.count - 1));
    const lockKey = this.key('lock', scope, email, ip);
    await store.reset(lockKey);
    await store.increment(lockKey, lockMs);
    return { scope: scope.name, retryAfterSeconds: Math.ceil(lockMs / 1000), startedLock: true };
  }

  /**
   * Over the limit, but another attempt of the burst starts (or started) the lock: the client is
   * told to wait for whichever ends last, the lock or the window.
   */
  private async refusalOverLimit(
    scope: ThrottleScope,
    email: string,
    ip: string,
    counted: CounterState,
  ): Promise<Refusal> {
    const lock = await this.store(scope).peek(this.key('lock', scope, email, ip));
    const until = Math.max(counted.resetAtMs, lock?.resetAtMs ?? 0);
    return {
      scope: scope.name,
      retryAfterSeconds: secondsUntil(until, Date.now()),
      startedLock: false,
    };
  }
}
