import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import type { ErrorBody } from '@portcullis/contract/errors';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  median,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestResponse,
} from '../support/test-app.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

describe('POST /api/register', () => {
  it('→ 202 {status:"accepted"} and nothing else; the account exists, unverified, with role user', async () => {
    const client = new TestClient(testApp);
    const email = uniqueEmail('register');
    const password = strongPassword();
    const res = await client.register(email, password, '  Ada Lovelace  ');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted' });
    expect(res.setCookies.size).toBe(0);
    // Registration does not sign in; signing in shows an unverified account.
    const login = await client.login(email, password);
    expect(login.status).toBe(200);
    const { user } = login.body;
    expect(Object.keys(user).sort()).toEqual([
      'createdAt',
      'email',
      'emailVerified',
      'id',
      'name',
      'role',
    ]);
    expect(user).toMatchObject({ email, name: 'Ada Lovelace', role: 'user', emailVerified: false });
    expect(user.id).toMatch(UUID_V4);
    expect(Number.isNaN(Date.parse(user.createdAt))).toBe(false);
  });

  it('an unknown field such as role:"admin" → 400 validation_failed (no mass assignment)', async () => {
    const client = new TestClient(testApp);
    const email = uniqueEmail('massassign');
    const password = strongPassword();
    const res = await client.post('/api/register', { email, password, name: 'M', role: 'admin' });
    expectErrorEnvelope(res, 400, 'validation_failed');
    expect(JSON.stringify(res.body.error.fields)).toContain('role');
    // Nothing was created, so the credentials do not work.
    expect((await client.login(email, password)).status).toBe(401);
  });

  it('a password shorter than PASSWORD_MIN_LENGTH → 400', async () => {
    const client = new TestClient(testApp);
    const res = await client.post('/api/register', {
      email: uniqueEmail(),
      password: 'tQ9#vL2!xZ',
      name: 'Short',
    });
    expect(res.status).toBe(400);
    expect(['validation_failed', 'weak_password']).toContain(res.body.error.code);
    expect(res.body.error.fields?.map((f) => f.path)).toContain('password');
  });

  it('a common/breached password ("password1234") → 400 breached_password', async () => {
    const client = new TestClient(testApp);
    const res = await client.register(uniqueEmail(), 'password1234', 'Common');
    expectErrorEnvelope(res, 400, 'breached_password');
  });

  it('an address that already has an account gets exactly the answer a new one gets, in any letter case', async () => {
    const client = new TestClient(testApp);
    const email = uniqueEmail('dup');
    const first = await client.register(email, strongPassword(), 'First');
    const again = await client.register(email, strongPassword(), 'Second');
    const upper = await client.register(email.toUpperCase(), strongPassword(), 'Third');
    for (const res of [first, again, upper]) {
      expect(res.status).toBe(202);
      expect(res.text).toBe('{"status":"accepted"}');
      expect(res.setCookies.size).toBe(0);
    }
  });
});

describe('POST /api/login', () => {
  it('→ 200 {user} and sets the two session cookies with HttpOnly, Secure, SameSite=Strict and no Domain', async () => {
    const client = new TestClient(testApp);
    const email = uniqueEmail('login');
    const password = strongPassword();
    expect((await client.register(email, password, 'Login')).status).toBe(202);
    await client.csrf();
    const res = await client.post<{ user: User }>('/api/login', { email, password });

    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['user']);
    expect(res.body.user).toMatchObject({ email, role: 'user' });
    for (const name of [cookieNames.access, cookieNames.refresh]) {
      const cookie = res.setCookies.get(name);
      expect(cookie, name).toBeDefined();
      // The refresh cookie is scoped to the endpoints that read it, so `__Secure-` (ADR 002).
      expect(name.startsWith(name === cookieNames.refresh ? '__Secure-' : '__Host-')).toBe(true);
      expect(cookie?.value.length).toBeGreaterThan(20);
      expect(cookie?.attributes.get('httponly')).toBe(true);
      expect(cookie?.attributes.get('secure')).toBe(true);
      expect(String(cookie?.attributes.get('samesite')).toLowerCase()).toBe('strict');
      // The last of the refresh cookie's paths (see cookies.test.ts for all three).
      expect(cookie?.attributes.get('path')).toBe(
        name === cookieNames.refresh ? '/api/logout' : '/',
      );
      expect(cookie?.attributes.has('domain')).toBe(false);
    }
  });

  it('puts no token in the response body', async () => {
    const client = new TestClient(testApp);
    const email = uniqueEmail('jar');
    const password = strongPassword();
    expect((await client.register(email, password, 'Jar')).status).toBe(202);
    await client.csrf();
    const res = await client.post<{ user: User }>('/api/login', { email, password });
    expect(res.status).toBe(200);
    const access = res.setCookies.get(cookieNames.access)?.value ?? '';
    const refresh = res.setCookies.get(cookieNames.refresh)?.value ?? '';
    expect(access).not.toBe('');
    expect(refresh).not.toBe('');
    expect(res.text).not.toContain(access);
    expect(res.text).not.toContain(refresh);
    expect(res.text).not.toMatch(/token|eyJ/i);
  });

  it('each wrong password says how many this client has left, so the form can warn at the last one', async () => {
    const { email } = await createUser(testApp, { label: 'countdown' });
    const client = new TestClient(testApp);
    await client.csrf();
    const left: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await client.post('/api/login', { email, password: strongPassword() });
      expectErrorEnvelope(res, 401, 'invalid_credentials');
      left.push(res.body.error.attemptsRemaining);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    expectErrorEnvelope(
      await client.post('/api/login', { email, password: strongPassword() }),
      429,
      'too_many_attempts',
    );
  });

  it('wrong password and unknown email → 401 invalid_credentials with identical bodies except requestId', async () => {
    const { email } = await createUser(testApp, { label: 'enum' });
    const client = new TestClient(testApp);
    await client.csrf();
    const wrongPassword = await client.post('/api/login', { email, password: strongPassword() });
    const unknownEmail = await client.post('/api/login', {
      email: uniqueEmail('nobody'),
      password: strongPassword(),
    });
    expectErrorEnvelope(wrongPassword, 401, 'invalid_credentials');
    expectErrorEnvelope(unknownEmail, 401, 'invalid_credentials');
    const withoutId = (res: TestResponse<ErrorBody>) => ({
      ...res.body.error,
      requestId: undefined,
    });
    expect(withoutId(unknownEmail)).toEqual(withoutId(wrongPassword));
    expect(unknownEmail.body.error.requestId).not.toBe(wrongPassword.body.error.requestId);
    expect(unknownEmail.setCookies.size).toBe(0);
    expect(wrongPassword.setCookies.size).toBe(0);
  });

  it('timing: unknown-email logins take about as long as wrong-password logins (median within 0.5x–2x)', async () => {
    // Two accounts, so no account reaches the 5-failure lock during the measurement.
    const accounts = [
      await createUser(testApp, { label: 't1' }),
      await createUser(testApp, { label: 't2' }),
    ];
    const client = new TestClient(testApp);
    await client.csrf();
    const timeLogin = async (email: string) => {
      const started = performance.now();
      const res = await client.post('/api/login', { email, password: strongPassword() });
      const elapsed = performance.now() - started;
      expect(res.status).toBe(401);
      return elapsed;
    };
    // Warm-up: the first unknown email also computes the dummy hash once.
    await timeLogin(uniqueEmail('warmup'));

    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      // Interleaved, so a burst of load on the machine hits both series alike.
      unknown.push(await timeLogin(uniqueEmail('timing')));
      wrong.push(await timeLogin(accounts[i % 2]?.email ?? ''));
    }
    const ratio = median(unknown) / median(wrong);
    expect(
      ratio,
      `unknown ${median(unknown).toFixed(1)} ms, wrong ${median(wrong).toFixed(1)} ms`,
    ).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // Control: a verify really runs (Argon2id takes milliseconds, a skipped check takes ~1 ms).
    expect(median(wrong)).toBeGreaterThan(5);
  });
});
