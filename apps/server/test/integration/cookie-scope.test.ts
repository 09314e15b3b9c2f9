import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentSessionResponse, SessionResponse } from '@portcullis/contract/auth';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The refresh cookie is scoped to the endpoints that read it (ADR 002), so it is named
 * `__Secure-` rather than `__Host-`: what `__Host-` gave (no cookie planted from a sibling
 * subdomain) is kept by refusing a request that carries two. Logout clears what the browser
 * cached or stored while signed in.
 */

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

/** The user's browser, with these refresh cookies (its own, or one planted beside it). */
function withCookieHeader(user: TestUser, refreshCookies: string) {
  // The CSRF binding comes along, as from the browser: POST /api/refresh checks it (ADR 003).
  const cookie = `${cookieNames.csrf}=${user.client.cookies.get(cookieNames.csrf)}; ${refreshCookies}`;
  return {
    refresh: () => user.client.post<SessionResponse>('/api/refresh', {}, { headers: { cookie } }),
    session: () => user.client.get<CurrentSessionResponse>('/api/session', { headers: { cookie } }),
  };
}

describe('logout', () => {
  it('answers Clear-Site-Data: "cache", "storage" (cookies are cleared one by one)', async () => {
    const user = await createUser(testApp, { label: 'clear-site-data' });
    const res = await user.client.logout();
    expect(res.status).toBe(204);
    expect(res.headers.get('clear-site-data')).toBe('"cache", "storage"');
  });

  it('does not send Clear-Site-Data on other answers', async () => {
    const user = await createUser(testApp, { label: 'no-clear-site-data' });
    const session = await user.client.get('/api/session');
    expect(session.status).toBe(200);
    expect(session.headers.get('clear-site-data')).toBeNull();
  });
});

describe('a second refresh cookie planted beside ours (cookie tossing) is refused', () => {
  it('control: the genuine cookie alone refreshes and says canRefresh', async () => {
    const user = await createUser(testApp, { label: 'toss-control' });
    const genuine = user.client.cookies.get(cookieNames.refresh) ?? '';
    const client = withCookieHeader(user, `${cookieNames.refresh}=${genuine}`);
    expect((await client.session()).body).toMatchObject({ user: null, canRefresh: true });
    expect((await client.refresh()).status).toBe(200);
  });

  it('two cookies of the name: canRefresh false, and POST /api/refresh 401 unauthenticated', async () => {
    const user = await createUser(testApp, { label: 'toss' });
    const genuine = user.client.cookies.get(cookieNames.refresh) ?? '';
    const planted = (await createUser(testApp, { label: 'tosser' })).client.cookies.get(
      cookieNames.refresh,
    );
    // Control: the genuine cookie alone is what this browser refreshes with.
    expect(
      (await withCookieHeader(user, `${cookieNames.refresh}=${genuine}`).session()).body,
    ).toMatchObject({ canRefresh: true });
    for (const cookie of [
      `${cookieNames.refresh}=${genuine}; ${cookieNames.refresh}=${planted}`,
      `${cookieNames.refresh}=${planted}; ${cookieNames.refresh}=${genuine}`,
    ]) {
      const client = withCookieHeader(user, cookie);
      expect((await client.session()).body).toEqual({ user: null, canRefresh: false });
      expectErrorEnvelope(await client.refresh(), 401, 'unauthenticated');
    }
  });
});

describe('browsers holding the refresh cookie from before it was scoped', () => {
  it('refresh with the old __Host- name, get the new cookie, and lose the old one', async () => {
    const user = await createUser(testApp, { label: 'legacy-cookie' });
    const token = user.client.cookies.get(cookieNames.refresh) ?? '';
    const client = withCookieHeader(user, `__Host-portcullis-refresh=${token}`);
    expect((await client.session()).body).toMatchObject({ canRefresh: true });
    const res = await client.refresh();
    expect(res.status).toBe(200);
    expect(res.setCookies.get('__Host-portcullis-refresh')?.attributes.get('max-age')).toBe('0');
    expect(res.setCookies.get(cookieNames.refresh)?.value).toMatch(/^[\w-]{43}$/);
  });
});
