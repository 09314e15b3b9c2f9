import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentSessionResponse, User } from '@portcullis/contract/auth';
import {
  cookieNames,
  createUser,
  startTestApp,
  TestClient,
  type TestApp,
} from '../support/test-app.js';

/**
 * GET /api/session answers every visitor with 200, so a page load never logs a refusal, and tells
 * the browser whether it holds a refresh cookie (HttpOnly, so scripts cannot see it): the web app
 * calls POST /api/refresh only when there is something to refresh with.
 */

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

/** A client holding exactly these cookies, as a browser whose other cookies expired would. */
function clientWith(cookies: Record<string, string>): TestClient {
  const client = new TestClient(testApp);
  for (const [name, value] of Object.entries(cookies)) client.cookies.set(name, value);
  return client;
}

function cookie(client: TestClient, name: string): string {
  const value = client.cookies.get(name);
  if (value === undefined) throw new Error(`no ${name} cookie`);
  return value;
}

describe('GET /api/session', () => {
  it('anonymous, no cookies → 200 {user: null, canRefresh: false}, not stored by caches', async () => {
    const res = await new TestClient(testApp).get<CurrentSessionResponse>('/api/session');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ user: null, canRefresh: false });
    // Asking sets nothing: no session, no CSRF binding, no refresh attempt.
    expect(res.setCookies.size).toBe(0);
  });

  it('signed in → 200 {user, canRefresh: true}, the same user as sign-in returned', async () => {
    const member = await createUser(testApp, { name: 'Session Reader' });
    const res = await member.client.get<CurrentSessionResponse>('/api/session');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ user: member.user, canRefresh: true });
    expect(Object.keys(res.body)).toEqual(['user', 'canRefresh']);
    expect(res.text).not.toMatch(/password|hash|argon|sessionId/i);
    expect(res.setCookies.size).toBe(0);
  });

  it('access cookie gone, refresh cookie left → {user: null, canRefresh: true}; refresh then works', async () => {
    const member = await createUser(testApp);
    const client = clientWith({
      [cookieNames.refresh]: cookie(member.client, cookieNames.refresh),
    });
    const res = await client.get<CurrentSessionResponse>('/api/session');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: null, canRefresh: true });

    // What the web app does next: the refresh it was told it can make succeeds.
    const refreshed = await client.post<{ user: User }>('/api/refresh', {});
    expect(refreshed.status).toBe(200);
    const after = await client.get<CurrentSessionResponse>('/api/session');
    expect(after.body).toEqual({ user: member.user, canRefresh: true });
  });

  it('only an access cookie → {user, canRefresh: false}', async () => {
    const member = await createUser(testApp);
    const client = clientWith({ [cookieNames.access]: cookie(member.client, cookieNames.access) });
    const res = await client.get<CurrentSessionResponse>('/api/session');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: member.user, canRefresh: false });
  });

  it('a forged or garbled access cookie → 200 {user: null}, never 401 or 500', async () => {
    const member = await createUser(testApp);
    const access = cookie(member.client, cookieNames.access);
    const [header = '', payload = '', signature = ''] = access.split('.');
    // The first character, not the last: the last one of a 32-byte signature carries two unused
    // bits, so changing A to B there can decode to the very same signature.
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    for (const forged of [`${header}.${payload}.${flipped}`, 'not-a-token', '']) {
      const res = await clientWith({ [cookieNames.access]: forged }).get<CurrentSessionResponse>(
        '/api/session',
      );
      expect(res.status, forged).toBe(200);
      expect(res.body, forged).toEqual({ user: null, canRefresh: false });
    }
  });

  it('after logout the old access cookie reads as nobody (the session is revoked server-side)', async () => {
    const member = await createUser(testApp);
    const access = cookie(member.client, cookieNames.access);
    expect((await member.client.post<undefined>('/api/logout', {})).status).toBe(204);

    const own = await member.client.get<CurrentSessionResponse>('/api/session');
    expect(own.body).toEqual({ user: null, canRefresh: false });
    const replayed = await clientWith({ [cookieNames.access]: access }).get<CurrentSessionResponse>(
      '/api/session',
    );
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ user: null, canRefresh: false });
  });

  it('a role change shows at once: the session it ended answers as signed out', async () => {
    const member = await createUser(testApp);
    const admin = await createUser(testApp, { role: 'admin' });
    const changed = await admin.client.patch(`/api/admin/users/${member.user.id}`, {
      role: 'guest',
    });
    expect(changed.status).toBe(200);
    const res = await member.client.get<CurrentSessionResponse>('/api/session');
    expect(res.status).toBe(200);
    // The refresh cookie is still in the browser (the server cannot take it back), so the client
    // tries a refresh, which the ended session refuses.
    expect(res.body).toEqual({ user: null, canRefresh: true });
    expect((await member.client.post('/api/refresh')).status).toBe(401);
    expect((await member.client.login(member.email, member.password)).status).toBe(200);
    const after = await member.client.get<CurrentSessionResponse>('/api/session');
    expect(after.body).toEqual({ user: { ...member.user, role: 'guest' }, canRefresh: true });
  });
});
