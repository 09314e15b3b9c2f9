import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryCounterStore, type CounterStore } from '../../src/lib/counter-store.js';
import {
  ACCOUNT_LOCK_MAX_MS,
  LoginThrottle,
  loginThrottleScopes,
  type Admission,
} from '../../src/modules/auth/login-throttle.js';

/**
 * The throttle's rules on in-process stores, with the clock faked (only Date: the stores read
 * Date.now(), and nothing here waits on a timer), so locks and windows are crossed in an instant.
 */

const START = Date.parse('2030-01-01T00:00:00Z');
const EMAIL = 'owner@example.test';
const IP = '192.0.2.1';

let fast: MemoryCounterStore;
let durable: MemoryCounterStore;
let throttle: LoginThrottle;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
  fast = new MemoryCounterStore();
  durable = new MemoryCounterStore();
  throttle = new LoginThrottle({ fast, durable });
});

afterEach(() => {
  fast.close();
  durable.close();
  vi.useRealTimers();
});

function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

/** `count` attempts that fail the password check, one after another. */
async function fail(count: number, email = EMAIL, ip = IP): Promise<Admission[]> {
  const admissions: Admission[] = [];
  for (let i = 0; i < count; i += 1) admissions.push(await throttle.admit(email, ip));
  return admissions;
}

function refusal(admission: Admission | undefined) {
  if (admission === undefined || admission.admitted) throw new Error('expected a refusal');
  return admission.refusal;
}

/** A store whose every operation waits a random few milliseconds, so parallel calls interleave. */
function jittery(inner: CounterStore): CounterStore {
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
  return {
    increment: async (key, windowMs) => {
      await pause();
      return inner.increment(key, windowMs);
    },
    decrement: async (key, counted) => {
      await pause();
      await inner.decrement(key, counted);
    },
    peek: async (key) => {
      await pause();
      return inner.peek(key);
    },
    reset: async (key) => {
      await pause();
      await inner.reset(key);
    },
  };
}

describe('admission before the password check', () => {
  it('40 parallel attempts from one client on one account: exactly 5 admitted, one starts a 60 s lock, 35 refused', async () => {
    const admissions = await Promise.all(
      Array.from({ length: 40 }, () => throttle.admit(EMAIL, IP)),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(5);
    const refusals = admissions.filter((a) => !a.admitted).map(refusal);
    expect(refusals).toHaveLength(35);
    expect(refusals.every((r) => r.scope === 'account-client')).toBe(true);
    expect(refusals.filter((r) => r.startedLock)).toEqual([
      { scope: 'account-client', retryAfterSeconds: 60, startedLock: true },
    ]);
    // The refused 35 never reached the account-wide count that binds the owner everywhere.
    expect((await durable.peek('login:attempt:account:owner@example.test'))?.count).toBe(5);
  });

  it('holds when every store operation of a parallel burst interleaves differently', async () => {
    throttle = new LoginThrottle({ fast: jittery(fast), durable: jittery(durable) });
    const admissions = await Promise.all(
      Array.from({ length: 40 }, () => throttle.admit(EMAIL, IP)),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(5);
    expect(admissions.filter((a) => !a.admitted && a.refusal.startedLock)).toHaveLength(1);
  });

  it('the account-wide scope admits 20 over many clients, in parallel, then locks for 15 min', async () => {
    const admissions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => throttle.admit(EMAIL, `198.51.100.${i + 1}`)),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(20);
    const refusals = admissions.filter((a) => !a.admitted).map(refusal);
    expect(refusals.every((r) => r.scope === 'account')).toBe(true);
    expect(refusals.filter((r) => r.startedLock)).toEqual([
      { scope: 'account', retryAfterSeconds: 900, startedLock: true },
    ]);
    // Any address, even one never seen, is refused now, before being counted.
    const fresh = refusal(await throttle.admit(EMAIL, '203.0.113.9'));
    expect(fresh).toEqual({ scope: 'account', retryAfterSeconds: 900, startedLock: false });
    // The attempts the account scope refused were given back to their clients' own counts.
    let clientCounts = 0;
    for (let i = 1; i <= 30; i += 1) {
      const key = `login:attempt:account-client:${EMAIL}|198.51.100.${i}`;
      clientCounts += (await fast.peek(key))?.count ?? 0;
    }
    expect(clientCounts).toBe(20);
  });

  it('the per-client scope admits 50 over many accounts from one address, then locks that address', async () => {
    const admissions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => throttle.admit(`user${i}@example.test`, IP)),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(50);
    expect(admissions.filter((a) => !a.admitted).map((a) => refusal(a).scope)).toEqual(
      Array.from({ length: 10 }, () => 'client'),
    );
    expect(refusal(await throttle.admit('other@example.test', IP))).toMatchObject({
      scope: 'client',
      retryAfterSeconds: 900,
    });
    expect((await throttle.admit('other@example.test', '192.0.2.2')).admitted).toBe(true);
  });

  it('while a lock runs, an attempt is refused without being counted', async () => {
    await fail(6);
    const before = await fast.peek(`login:attempt:account-client:${EMAIL}|${IP}`);
    expect(refusal(await throttle.admit(EMAIL, IP))).toMatchObject({ startedLock: false });
    expect(await fast.peek(`login:attempt:account-client:${EMAIL}|${IP}`)).toEqual(before);
  });
});

describe('success', () => {
  it('gives its attempt back in the wider scopes and clears this client’s count on the account', async () => {
    await fail(4);
    const admission = await throttle.admit(EMAIL, IP);
    if (!admission.admitted) throw new Error('expected admission');
    await throttle.recordSuccess(admission.attempt);
    expect(await fast.peek(`login:attempt:account-client:${EMAIL}|${IP}`)).toBeUndefined();
    expect((await durable.peek(`login:attempt:account:${EMAIL}`))?.count).toBe(4);
    expect((await fast.peek(`login:attempt:client:${IP}`))?.count).toBe(4);
    // A fresh allowance of 5 for this client on this account.
    expect((await fail(5)).every((a) => a.admitted)).toBe(true);
    expect(refusal((await fail(1))[0])).toMatchObject({ scope: 'account-client' });
  });

  it('a give-back that arrives after the window rolled over frees nothing in the new window', async () => {
    const slow = await throttle.admit('someone@example.test', IP);
    if (!slow.admitted) throw new Error('expected admission');
    advance(15 * 60_000);
    await fail(3, 'victim@example.test', IP);
    await throttle.recordSuccess(slow.attempt);
    expect((await fast.peek(`login:attempt:client:${IP}`))?.count).toBe(3);
  });
});

describe('locks', () => {
  it('the account+client lock doubles on each repeat: 60, 120, 240, 480, 900 s, then stays at 15 min', async () => {
    const seen: number[] = [];
    for (let round = 0; round < 6; round += 1) {
      const admissions = await fail(6);
      expect(admissions.slice(0, 5).every((a) => a.admitted)).toBe(true);
      const started = refusal(admissions[5]);
      expect(started).toMatchObject({ scope: 'account-client', startedLock: true });
      seen.push(started.retryAfterSeconds);
      // One second before the end it still holds; at the end a new window starts.
      advance(started.retryAfterSeconds * 1000 - 1000);
      expect(refusal(await throttle.admit(EMAIL, IP)).retryAfterSeconds).toBe(1);
      advance(1000);
    }
    expect(seen).toEqual([60, 120, 240, 480, 900, 900]);
  });

  it('the doubling is forgotten a day after the last lock', async () => {
    expect(refusal((await fail(6))[5]).retryAfterSeconds).toBe(60);
    advance(60_000);
    expect(refusal((await fail(6))[5]).retryAfterSeconds).toBe(120);
    advance(24 * 60 * 60_000);
    expect(refusal((await fail(6))[5]).retryAfterSeconds).toBe(60);
  });

  it('the account-wide lock never exceeds 15 minutes, however often it is earned', async () => {
    expect(ACCOUNT_LOCK_MAX_MS).toBe(15 * 60_000);
    const account = loginThrottleScopes.find((scope) => scope.name === 'account');
    expect(account).toMatchObject({ limit: 20, maxLockMs: ACCOUNT_LOCK_MAX_MS });
    for (let round = 0; round < 4; round += 1) {
      const admissions = await Promise.all(
        Array.from({ length: 21 }, (_, i) => throttle.admit(EMAIL, `198.51.${round}.${i + 1}`)),
      );
      const started = admissions.filter((a) => !a.admitted).map(refusal);
      expect(started).toEqual([{ scope: 'account', retryAfterSeconds: 900, startedLock: true }]);
      expect(await throttle.accountLock(EMAIL)).toBe(Date.now() + 900_000);
      advance(900_000);
      expect(await throttle.accountLock(EMAIL)).toBeUndefined();
    }
  });

  it('every scope’s lock outlasts the window that started it', () => {
    for (const scope of loginThrottleScopes) {
      expect(scope.baseLockMs).toBeGreaterThanOrEqual(scope.windowMs);
      expect(scope.maxLockMs).toBeGreaterThanOrEqual(scope.baseLockMs);
    }
  });

  it('unlockAccount clears the account-wide count, lock and doubling', async () => {
    await Promise.all(
      Array.from({ length: 21 }, (_, i) => throttle.admit(EMAIL, `198.51.100.${i + 1}`)),
    );
    expect(await throttle.accountLock(EMAIL)).toBeDefined();
    await throttle.unlockAccount(EMAIL);
    expect(await throttle.accountLock(EMAIL)).toBeUndefined();
    for (const key of LoginThrottle.accountKeys(EMAIL))
      expect(await durable.peek(key)).toBeUndefined();
    expect((await throttle.admit(EMAIL, '203.0.113.1')).admitted).toBe(true);
  });
});
