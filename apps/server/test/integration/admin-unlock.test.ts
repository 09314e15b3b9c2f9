import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminUser, AdminUserListResponse } from '@portcullis/contract/admin';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  waitForAudit,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The admin users table showed "Locked: No" for an account the API refused with 429 (issue 8):
 * the list must show the account-wide lock with its real expiry, and an admin must be able to
 * lift it (audited), so the owner gets back in before it runs out.
 */

let testApp: TestApp;
let admin: TestUser;
let member: TestUser;
let guest: TestUser;
let addressCounter = 0;

/** A fresh client address per request: the proxy (127.0.0.1, trusted) forwards it. */
function freshAddress(): Record<string, string> {
  addressCounter += 1;
  return {
    'x-forwarded-for': `198.51.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`,
  };
}

/**
 * Wrong passwords from a different address each, so no per-client scope is reached and only the
 * account-wide one locks; returns the first refusal's Retry-After and when it came.
 */
async function lockAccountWide(
  email: string,
): Promise<{ failures: number; retryAfterSeconds: number; at: number }> {
  const attacker = new TestClient(testApp);
  await attacker.csrf();
  for (let attempt = 1; attempt <= 100; attempt += 1) {
    const res = await attacker.post(
      '/api/login',
      { email, password: strongPassword() },
      { headers: freshAddress() },
    );
    if (res.status === 429) {
      return {
        failures: attempt - 1,
        retryAfterSeconds: Number(res.headers.get('retry-after')),
        at: Date.now(),
      };
    }
    expectErrorEnvelope(res, 401, 'invalid_credentials');
  }
  throw new Error('the account never locked');
}

async function listedUser(userId: string): Promise<AdminUser> {
  const res = await admin.client.get<AdminUserListResponse>('/api/admin/users?limit=100');
  expect(res.status).toBe(200);
  const found = res.body.users.find((user) => user.id === userId);
  if (found === undefined) throw new Error('user not listed');
  return found;
}

function signIn(user: TestUser) {
  const client = new TestClient(testApp);
  return client.csrf().then(() =>
    client.post(
      '/api/login',
      { email: user.email, password: user.password },
      {
        headers: freshAddress(),
      },
    ),
  );
}

beforeAll(async () => {
  testApp = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
  admin = await createUser(testApp, { role: 'admin' });
  member = await createUser(testApp, { role: 'user' });
  guest = await createUser(testApp, { role: 'guest' });
});

afterAll(async () => {
  await testApp.close();
});

describe('POST /api/admin/users/:id/unlock', () => {
  let target: TestUser;
  let lock: Awaited<ReturnType<typeof lockAccountWide>>;

  beforeAll(async () => {
    target = await createUser(testApp, { label: 'locked' });
    lock = await lockAccountWide(target.email);
  }, 30_000);

  it('the lock binds the owner from any address: the right password → 429', async () => {
    expectErrorEnvelope(await signIn(target), 429, 'too_many_attempts');
  });

  it('the admin list shows lockedUntil with the lock’s real expiry; others stay null', async () => {
    const listed = await listedUser(target.user.id);
    expect(listed.lockedUntil).not.toBeNull();
    expect(listed.status).toBe('locked');
    const expected = lock.at + lock.retryAfterSeconds * 1000;
    expect(Math.abs(Date.parse(listed.lockedUntil ?? '') - expected)).toBeLessThan(5_000);
    expect(lock.retryAfterSeconds).toBeGreaterThan(60);
    expect((await listedUser(member.user.id)).lockedUntil).toBeNull();
  });

  it.each([
    ['a user', () => member.client],
    ['a guest', () => guest.client],
  ])('→ 403 forbidden for %s, and the lock stays', async (_label, client) => {
    const res = await client().post(`/api/admin/users/${target.user.id}/unlock`);
    expectErrorEnvelope(res, 403, 'forbidden');
    expect((await listedUser(target.user.id)).lockedUntil).not.toBeNull();
  });

  it('→ 401 unauthenticated when anonymous', async () => {
    const res = await new TestClient(testApp).post(`/api/admin/users/${target.user.id}/unlock`);
    expectErrorEnvelope(res, 401, 'unauthenticated');
  });

  it('→ 403 csrf_failed for an admin without the CSRF token', async () => {
    const res = await admin.client.post(`/api/admin/users/${target.user.id}/unlock`, undefined, {
      csrf: false,
    });
    expectErrorEnvelope(res, 403, 'csrf_failed');
    expect((await listedUser(target.user.id)).lockedUntil).not.toBeNull();
  });

  it('→ 400 for a body with fields or a malformed id, 404 for an unknown id', async () => {
    expectErrorEnvelope(
      await admin.client.post(`/api/admin/users/${target.user.id}/unlock`, { all: true }),
      400,
      'validation_failed',
    );
    expectErrorEnvelope(
      await admin.client.post('/api/admin/users/not-a-uuid/unlock'),
      400,
      'validation_failed',
    );
    expectErrorEnvelope(
      await admin.client.post('/api/admin/users/5f1b6c2e-8d3a-4b7f-9e21-0c4d5a6b7c8d/unlock'),
      404,
      'not_found',
    );
  });

  it('→ 204 for an admin: the list shows no lock, the event is audited, the owner signs in', async () => {
    const res = await admin.client.post<undefined>(`/api/admin/users/${target.user.id}/unlock`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await listedUser(target.user.id)).lockedUntil).toBeNull();

    const event = await waitForAudit(
      admin.client,
      (e) => e.type === 'user_unlocked' && e.targetId === target.user.id,
    );
    expect(event).toMatchObject({
      outcome: 'success',
      actorId: admin.user.id,
      actorEmail: admin.email,
      ip: '127.0.0.1',
    });
    expect(event.detail).toMatch(/^was locked until \d{4}-\d\d-\d\dT/);

    expect((await signIn(target)).status).toBe(200);
  });

  it(
    'an unlock also forgets the failures: the account takes a full allowance again',
    { timeout: 30_000 },
    async () => {
      // Locked anew only after as many failures as the first time, not after one.
      const again = await lockAccountWide(target.email);
      expect(again.failures).toBe(lock.failures);
      expect(again.retryAfterSeconds).toBeGreaterThan(60);
      const res = await admin.client.post<undefined>(`/api/admin/users/${target.user.id}/unlock`);
      expect(res.status).toBe(204);
      expect((await signIn(target)).status).toBe(200);
    },
  );

  it('an unlock of an account that is not locked is 204 and audited as such', async () => {
    const res = await admin.client.post<undefined>(`/api/admin/users/${member.user.id}/unlock`);
    expect(res.status).toBe(204);
    const event = await waitForAudit(
      admin.client,
      (e) => e.type === 'user_unlocked' && e.targetId === member.user.id,
    );
    expect(event.detail).toBe('was not locked');
  });
});
