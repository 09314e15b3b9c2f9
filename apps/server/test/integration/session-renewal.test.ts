import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionListResponse } from '@portcullis/contract/security';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  type TestApp,
} from '../support/test-app.js';

/**
 * Re-authentication renews the session (ADR 013): after a password change, nothing issued before
 * it (the session id, the refresh token, the access token, the CSRF token) works any more, and
 * the browser that made the change carries on with new ones.
 */

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

describe('a password change', () => {
  it('replaces the session id, refresh token, access token and CSRF binding; the old ones are refused', async () => {
    const user = await createUser(testApp, { label: 'renewed' });
    const { client } = user;
    const before = (await client.get<SessionListResponse>('/api/account/sessions')).body
      .sessions[0];
    const old = {
      access: client.cookies.get(cookieNames.access) ?? '',
      refresh: client.cookies.get(cookieNames.refresh) ?? '',
      csrfCookie: client.cookies.get(cookieNames.csrf) ?? '',
      csrfToken: client.csrfToken ?? '',
    };

    const res = await client.post<undefined>('/api/profile/password', {
      currentPassword: user.password,
      newPassword: strongPassword(),
    });
    expect(res.status).toBe(204);
    for (const name of [cookieNames.access, cookieNames.refresh, cookieNames.csrf]) {
      const set = res.setCookies.get(name);
      expect(set?.value, name).toBeTruthy();
    }
    expect(res.setCookies.get(cookieNames.access)?.value).not.toBe(old.access);
    expect(res.setCookies.get(cookieNames.refresh)?.value).not.toBe(old.refresh);
    expect(res.setCookies.get(cookieNames.csrf)?.value).not.toBe(old.csrfCookie);

    // The CSRF token from before no longer matches this browser's new binding.
    expectErrorEnvelope(
      await client.post(
        '/api/notes',
        { title: 'With the old token', body: 'b' },
        {
          csrfToken: old.csrfToken,
        },
      ),
      403,
      'csrf_failed',
    );
    // A new token, a new session id.
    await client.csrf();
    expect(
      (await client.post('/api/notes', { title: 'With the new token', body: 'b' })).status,
    ).toBe(201);
    const sessions = (await client.get<SessionListResponse>('/api/account/sessions')).body.sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.id).not.toBe(before?.id);
    expect(sessions[0]?.current).toBe(true);

    // A copy of the old cookies (a thief's) is worth nothing now.
    const thief = new TestClient(testApp);
    thief.cookies.set(cookieNames.access, old.access);
    expectErrorEnvelope(await thief.get('/api/profile'), 401, 'unauthenticated');
    const replay = new TestClient(testApp);
    replay.cookies.set(cookieNames.refresh, old.refresh);
    expectErrorEnvelope(await replay.post('/api/refresh'), 401, 'unauthenticated');
  });

  it('keeps "remember me" as it was', async () => {
    const user = await createUser(testApp, { label: 'kept-remember' });
    const client = new TestClient(testApp);
    await client.csrf();
    await client.post('/api/login', { email: user.email, password: user.password, remember: true });
    await client.csrf();
    const res = await client.changePassword(user.password, strongPassword());
    expect(res.status).toBe(204);
    const sessions = (await client.get<SessionListResponse>('/api/account/sessions')).body.sessions;
    expect(sessions.find((s) => s.current)?.remembered).toBe(true);
  });

  it('to the same password is refused (400 on newPassword), even in another Unicode form', async () => {
    const password = `Ünïcode-${strongPassword()}`;
    const user = await createUser(testApp, { label: 'same' });
    expect((await user.client.changePassword(user.password, password)).status).toBe(204);
    for (const same of [password, password.normalize('NFD')]) {
      const res = await user.client.post('/api/profile/password', {
        currentPassword: password,
        newPassword: same,
      });
      expectErrorEnvelope(res, 400, 'validation_failed');
      expect(res.body.error.fields).toEqual([
        { path: 'newPassword', message: 'Choose a password different from the current one.' },
      ]);
    }
  });
});
