import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * A general per-client API limit, and a much stricter failed-login throttle that holds even
 * against the correct password (OWASP Authentication Cheat Sheet, ASVS 2.2.1).
 */

describe('API rate limit (RATE_LIMIT_MAX=20)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ RATE_LIMIT_MAX: '20', RATE_LIMIT_WINDOW_SECONDS: '60' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('the 21st API request in the window → 429 rate_limited with a numeric Retry-After', async () => {
    const client = new TestClient(testApp);
    for (let i = 1; i <= 20; i += 1) {
      const res = await client.get('/api/csrf');
      expect(res.status, `request ${i}`).toBe(200);
    }
    const limited = await client.get('/api/csrf');
    expectErrorEnvelope(limited, 429, 'rate_limited');
    const retryAfter = limited.headers.get('retry-after') ?? '';
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });

  it('a fresh client (new cookies) from the same address is limited too', async () => {
    const res = await new TestClient(testApp).get('/api/profile');
    expectErrorEnvelope(res, 429, 'rate_limited');
  });

  it('unknown non-API paths count too, so a scanner cannot probe without limit', async () => {
    const res = await new TestClient(testApp).get('/wp-login.php');
    expectErrorEnvelope(res, 429, 'rate_limited');
  });
});

describe('failed-login throttle', () => {
  let testApp: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp();
    admin = await createUser(testApp, { role: 'admin' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('5 wrong passwords → the 6th attempt is 429 too_many_attempts with Retry-After, then even the correct password is refused; audit has login_locked', async () => {
    const target = await createUser(testApp, { label: 'locked' });
    const attacker = new TestClient(testApp);
    await attacker.csrf();
    for (let i = 1; i <= 5; i += 1) {
      const res = await attacker.post('/api/login', {
        email: target.email,
        password: strongPassword(),
      });
      expectErrorEnvelope(res, 401, 'invalid_credentials');
    }
    const sixth = await attacker.post('/api/login', {
      email: target.email,
      password: strongPassword(),
    });
    expectErrorEnvelope(sixth, 429, 'too_many_attempts');
    expect(sixth.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const correct = await attacker.post('/api/login', {
      email: target.email,
      password: target.password,
    });
    expectErrorEnvelope(correct, 429, 'too_many_attempts');
    expect(correct.setCookies.size).toBe(0);

    const events = await listAudit(admin.client);
    const locked = events.find((e) => e.type === 'login_locked' && e.actorEmail === target.email);
    expect(locked).toBeDefined();
    expect(locked?.ip).toBe('127.0.0.1');
  });

  it('the lock is per account: another account from the same client still signs in', async () => {
    const other = await createUser(testApp, { label: 'unaffected' });
    const res = await new TestClient(testApp).login(other.email, other.password);
    expect(res.status).toBe(200);
  });

  it('an unknown email is throttled exactly like a real one (no enumeration through the lock)', async () => {
    const attacker = new TestClient(testApp);
    await attacker.csrf();
    const email = `ghost-${Date.now()}@example.test`;
    for (let i = 1; i <= 5; i += 1) {
      expect(
        (await attacker.post('/api/login', { email, password: strongPassword() })).status,
      ).toBe(401);
    }
    expectErrorEnvelope(
      await attacker.post('/api/login', { email, password: strongPassword() }),
      429,
      'too_many_attempts',
    );
  });
});
