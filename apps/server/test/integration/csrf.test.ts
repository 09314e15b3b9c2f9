import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import type { ErrorBody } from '@portcullis/contract/errors';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * OWASP CSRF Prevention Cheat Sheet: an unsafe request needs an allowed Origin and a token bound
 * to the browser's own CSRF cookie; the binding is replaced at login and logout.
 */

let testApp: TestApp;
let victim: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  victim = await createUser(testApp, { name: 'Victim' });
});

afterAll(async () => {
  await testApp.close();
});

/** The state-changing request an attacker would forge: renaming the victim. */
function rename(
  client: TestClient,
  name: string,
  options: Parameters<TestClient['patch']>[2] = {},
) {
  return client.patch<{ user: User }>('/api/profile', { name }, options);
}

async function currentName(client: TestClient): Promise<string> {
  const res = await client.get<{ user: User }>('/api/profile');
  return res.body.user.name;
}

describe('GET /api/csrf', () => {
  it('returns {csrfToken} and binds it to an HttpOnly __Host- cookie', async () => {
    const client = new TestClient(testApp);
    const res = await client.get<{ csrfToken: string }>('/api/csrf');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['csrfToken']);
    expect(res.body.csrfToken).toMatch(/^[\w-]{32,}$/);
    const cookie = res.setCookies.get(cookieNames.csrf);
    expect(cookie).toBeDefined();
    expect(cookie?.attributes.get('httponly')).toBe(true);
    expect(cookie?.attributes.get('secure')).toBe(true);
    expect(cookie?.attributes.get('path')).toBe('/');
    expect(cookie?.attributes.has('domain')).toBe(false);
    expect(cookie?.value).not.toBe(res.body.csrfToken);
  });

  it('keeps the same token while the binding cookie is unchanged', async () => {
    const client = new TestClient(testApp);
    const first = await client.csrf();
    expect(await client.csrf()).toBe(first);
  });
});

describe('unsafe requests without a valid token and Origin → 403 csrf_failed', () => {
  it('control: the same request with the token and our Origin succeeds', async () => {
    const res = await rename(victim.client, 'Renamed legitimately');
    expect(res.status).toBe(200);
    expect(res.body.user.name).toBe('Renamed legitimately');
  });

  it('no token → 403 csrf_failed', async () => {
    const res = await rename(victim.client, 'Pwned', { csrf: false });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('a wrong token → 403 csrf_failed', async () => {
    const wrong = Buffer.alloc(32, 7).toString('base64url').slice(0, 43);
    const res = await rename(victim.client, 'Pwned', { csrfToken: wrong });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('an empty token → 403 csrf_failed', async () => {
    const res = await rename(victim.client, 'Pwned', { csrfToken: '' });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it("a valid token from another client's cookie binding → 403 csrf_failed", async () => {
    const attacker = new TestClient(testApp);
    const attackerToken = await attacker.csrf();
    expect(attackerToken).not.toBe(victim.client.csrfToken);
    const res = await rename(victim.client, 'Pwned', { csrfToken: attackerToken });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('a foreign Origin → 403 csrf_failed, even with a valid token', async () => {
    const res = await rename(victim.client, 'Pwned', { origin: 'https://evil.example' });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('Origin: null (sandboxed frame, data: URL) → 403 csrf_failed', async () => {
    const res = await rename(victim.client, 'Pwned', { origin: 'null' });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('a look-alike Origin (our host as a subdomain of the attacker) → 403 csrf_failed', async () => {
    const res = await rename(victim.client, 'Pwned', {
      origin: `${testApp.config.publicOrigin}.evil.example`,
    });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('no Origin header → 403 csrf_failed', async () => {
    const res = await rename(victim.client, 'Pwned', { origin: null });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('no Origin and a foreign Referer → 403 csrf_failed', async () => {
    const res = await rename(victim.client, 'Pwned', {
      origin: null,
      headers: { referer: 'https://evil.example/attack.html' },
    });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('a token sent without its binding cookie → 403 csrf_failed', async () => {
    const stripped = new TestClient(testApp);
    for (const [name, value] of victim.client.cookies) {
      if (name !== cookieNames.csrf) stripped.cookies.set(name, value);
    }
    const res = await rename(stripped, 'Pwned', { csrfToken: victim.client.csrfToken ?? '' });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('none of the refused requests changed anything', async () => {
    expect(await currentName(victim.client)).toBe('Renamed legitimately');
  });
});

describe('login needs CSRF too (login CSRF)', () => {
  it('login without a token → 403 csrf_failed, even with the right password', async () => {
    const client = new TestClient(testApp);
    const res = await client.post(
      '/api/login',
      { email: victim.email, password: victim.password },
      { csrf: false },
    );
    expectErrorEnvelope(res, 403, 'csrf_failed');
    expect(res.setCookies.has(cookieNames.access)).toBe(false);
  });

  it('login from a foreign Origin → 403 csrf_failed', async () => {
    const client = new TestClient(testApp);
    await client.csrf();
    const res = await client.post(
      '/api/login',
      { email: victim.email, password: victim.password },
      { origin: 'https://evil.example' },
    );
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });

  it('register without a token → 403 csrf_failed', async () => {
    const client = new TestClient(testApp);
    const res = await client.post(
      '/api/register',
      { email: uniqueEmail(), password: strongPassword(), name: 'X' },
      { csrf: false },
    );
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });
});

describe('the token rotates at login and at logout', () => {
  it('a token obtained before login is refused after it (403 csrf_failed)', async () => {
    const client = new TestClient(testApp);
    const beforeLogin = await client.csrf();
    const login = await client.post('/api/login', {
      email: victim.email,
      password: victim.password,
    });
    expect(login.status).toBe(200);
    expect(login.setCookies.has(cookieNames.csrf)).toBe(true);

    const stale = await rename(client, 'Stale token', { csrfToken: beforeLogin });
    expectErrorEnvelope(stale, 403, 'csrf_failed');

    const fresh = await client.csrf();
    expect(fresh).not.toBe(beforeLogin);
    expect((await rename(client, 'Fresh token')).status).toBe(200);
  });

  it('a token obtained before logout is refused after it (403 csrf_failed)', async () => {
    const client = new TestClient(testApp);
    expect((await client.login(victim.email, victim.password)).status).toBe(200);
    const beforeLogout = client.csrfToken ?? '';
    const logout = await client.post('/api/logout', {});
    expect(logout.status).toBe(204);
    expect(logout.setCookies.has(cookieNames.csrf)).toBe(true);

    // Anonymous now, so try an unsafe public endpoint: CSRF is checked before anything else.
    const stale = await client.post(
      '/api/login',
      { email: victim.email, password: victim.password },
      { csrfToken: beforeLogout },
    );
    expectErrorEnvelope(stale, 403, 'csrf_failed');
    expect((await client.login(victim.email, victim.password)).status).toBe(200);
  });
});

describe('the app opened at another address of this server', () => {
  it('a same-host Origin that is not the public one → 403 wrong_origin naming the address to open', async () => {
    // The test server is reached at http://127.0.0.1:<port>; its public origin is another address,
    // as when `npm start` serves https://localhost:8443 and the user opens https://127.0.0.1:8443.
    expect(testApp.url).not.toBe(testApp.config.publicOrigin);
    const before = await currentName(victim.client);
    const res = await rename(victim.client, 'Renamed from elsewhere', { origin: testApp.url });
    expectErrorEnvelope(res, 403, 'wrong_origin');
    expect((res.body as unknown as ErrorBody).error.openAt).toBe(testApp.config.publicOrigin);
    expect(await currentName(victim.client)).toBe(before);
  });

  it('a cross-site Origin still gets csrf_failed and learns nothing more', async () => {
    const res = await rename(victim.client, 'Renamed cross-site', {
      origin: 'https://evil.example',
    });
    expectErrorEnvelope(res, 403, 'csrf_failed');
    expect((res.body as unknown as ErrorBody).error.openAt).toBeUndefined();
  });
});
