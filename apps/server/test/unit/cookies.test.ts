import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  markVerified,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type ParsedCookie,
  type TestApp,
} from '../support/test-app.js';

/**
 * Every cookie the server sets, by its literal name and attributes (ASVS 3.4.1-3.4.5, ADR 002):
 * the names are written out here rather than imported, so a change to a name or a flag in
 * plugins/cookies.ts fails a test instead of changing the test with it.
 */

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

/** `__Host-`: Secure, Path=/ and no Domain, or the browser refuses it (no cookie tossing). */
function expectHostOnly(cookie: ParsedCookie | undefined, name: string): void {
  expect(cookie?.name).toBe(name);
  const attributes = Object.fromEntries(cookie?.attributes ?? []);
  expect(attributes, name).toMatchObject({
    path: '/',
    httponly: true,
    secure: true,
    samesite: 'Strict',
  });
  expect(attributes.domain, name).toBeUndefined();
}

/** The raw Set-Cookie headers for `name`, without the value (random), in the order sent. */
function setCookieLines(headers: Headers, name: string): string[] {
  return headers
    .getSetCookie()
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.replace(/^([^=]+)=[^;]*/, '$1=…'));
}

describe('session and CSRF cookies', () => {
  it('the CSRF binding, then the access cookie at sign-in: __Host-, HttpOnly, Secure, SameSite=Strict', async () => {
    const client = new TestClient(testApp);
    const csrf = await client.get('/api/csrf');
    expectHostOnly(csrf.setCookies.get('__Host-portcullis-csrf'), '__Host-portcullis-csrf');

    const email = uniqueEmail('cookies');
    const password = strongPassword();
    expect((await client.register(email, password, 'Cookie Jar')).status).toBe(202);
    await markVerified(testApp, email);
    await client.csrf();
    const login = await client.post('/api/login', { email, password });
    expect(login.status).toBe(200);
    const names = [...login.setCookies.keys()].filter((name) => !name.includes('device')).sort();
    expect(names).toEqual([
      '__Host-portcullis-access',
      '__Host-portcullis-csrf',
      // Cleared: the name the refresh cookie had when it was sent on every request.
      '__Host-portcullis-refresh',
      '__Secure-portcullis-refresh',
    ]);
    for (const name of ['__Host-portcullis-access', '__Host-portcullis-csrf']) {
      expectHostOnly(login.setCookies.get(name), name);
    }
    expect(setCookieLines(login.headers, '__Host-portcullis-refresh')).toEqual([
      '__Host-portcullis-refresh=…; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
    ]);
    // The binding was replaced at sign-in (login CSRF, fixation).
    expect(login.setCookies.get('__Host-portcullis-csrf')?.value).not.toBe(
      csrf.setCookies.get('__Host-portcullis-csrf')?.value,
    );
  });

  it('the refresh cookie: __Secure-, HttpOnly, Secure, SameSite=Strict, once per endpoint that reads it', async () => {
    const client = new TestClient(testApp);
    const email = uniqueEmail('refresh-paths');
    const password = strongPassword();
    expect((await client.register(email, password, 'Cookie Paths')).status).toBe(202);
    await markVerified(testApp, email);
    const login = await client.login(email, password);
    expect(login.status).toBe(200);
    // Max-Age depends on "remember me" (session lifetimes, ADR 012), not on the scope tested here.
    const lines = setCookieLines(login.headers, '__Secure-portcullis-refresh').map((line) =>
      line.replace(/Max-Age=\d+; /, ''),
    );
    expect(lines).toEqual(
      ['/api/session', '/api/refresh', '/api/logout'].map(
        (path) => `__Secure-portcullis-refresh=…; Path=${path}; HttpOnly; Secure; SameSite=Strict`,
      ),
    );
    const values = new Set(
      login.headers
        .getSetCookie()
        .filter((line) => line.startsWith('__Secure-portcullis-refresh='))
        .map((line) => line.split(';')[0]),
    );
    expect(values.size).toBe(1);

    const logout = await client.post('/api/logout');
    expect(logout.status).toBe(204);
    expect(setCookieLines(logout.headers, '__Secure-portcullis-refresh')).toEqual(
      ['/api/session', '/api/refresh', '/api/logout'].map(
        (path) =>
          `__Secure-portcullis-refresh=…; Max-Age=0; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict`,
      ),
    );
  });
});
