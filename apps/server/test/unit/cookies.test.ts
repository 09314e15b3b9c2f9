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
    samesite: 'Lax',
  });
  expect(attributes.domain, name).toBeUndefined();
}

describe('session and CSRF cookies', () => {
  it('the CSRF binding, then the access and refresh cookies at sign-in, all __Host-, HttpOnly, Secure, SameSite=Lax', async () => {
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
      '__Host-portcullis-refresh',
    ]);
    for (const name of names) expectHostOnly(login.setCookies.get(name), name);
    // The binding was replaced at sign-in (login CSRF, fixation).
    expect(login.setCookies.get('__Host-portcullis-csrf')?.value).not.toBe(
      csrf.setCookies.get('__Host-portcullis-csrf')?.value,
    );
  });
});
