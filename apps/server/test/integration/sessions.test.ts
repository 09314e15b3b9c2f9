import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * Sessions are server-side (docs/decisions/001): logout and refresh-token reuse revoke them, and a
 * copied cookie dies with the session it belonged to.
 */

let testApp: TestApp;
let admin: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  admin = await createUser(testApp, { role: 'admin' });
});

afterAll(async () => {
  await testApp.close();
});

/** Another "browser" holding copies of the given cookies, as a thief would. */
function replayClient(cookies: Record<string, string>): TestClient {
  const client = new TestClient(testApp);
  for (const [name, value] of Object.entries(cookies)) client.cookies.set(name, value);
  return client;
}

function cookie(client: TestClient, name: string): string {
  const value = client.cookies.get(name);
  if (value === undefined) throw new Error(`no ${name} cookie`);
  return value;
}

async function refreshWith(refreshToken: string) {
  return replayClient({ [cookieNames.refresh]: refreshToken }).post<{ user: User }>(
    '/api/refresh',
    {},
  );
}

describe('POST /api/logout', () => {
  it('→ 204, clears both cookies, and revokes the session server-side', async () => {
    const { client } = await createUser(testApp);
    const access = cookie(client, cookieNames.access);
    const refresh = cookie(client, cookieNames.refresh);
    // Control: the copied access cookie works before logout.
    expect((await replayClient({ [cookieNames.access]: access }).get('/api/profile')).status).toBe(
      200,
    );

    const res = await client.post<undefined>('/api/logout', {});
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(client.cookies.has(cookieNames.access)).toBe(false);
    expect(client.cookies.has(cookieNames.refresh)).toBe(false);

    const replayedAccess = await replayClient({ [cookieNames.access]: access }).get('/api/profile');
    expectErrorEnvelope(replayedAccess, 401, 'unauthenticated');
    expectErrorEnvelope(await refreshWith(refresh), 401, 'unauthenticated');
  });

  it('with only the refresh cookie left (access expired) still revokes the session', async () => {
    const { client } = await createUser(testApp);
    const access = cookie(client, cookieNames.access);
    const refresh = cookie(client, cookieNames.refresh);
    client.cookies.delete(cookieNames.access);
    expect((await client.post('/api/logout', {})).status).toBe(204);
    expectErrorEnvelope(
      await replayClient({ [cookieNames.access]: access }).get('/api/profile'),
      401,
      'unauthenticated',
    );
    expectErrorEnvelope(await refreshWith(refresh), 401, 'unauthenticated');
  });

  it('logout and refresh accept a request with no body at all (their body is optional)', async () => {
    const { client } = await createUser(testApp);
    const refreshed = await client.request<{ user: User }>('POST', '/api/refresh');
    expect(refreshed.status, refreshed.text).toBe(200);
    const loggedOut = await client.request<undefined>('POST', '/api/logout');
    expect(loggedOut.status, loggedOut.text).toBe(204);
  });
});

describe('POST /api/refresh', () => {
  it('rotates the refresh token and issues a working access token', async () => {
    const { client, user } = await createUser(testApp);
    const oldRefresh = cookie(client, cookieNames.refresh);
    const res = await client.post<{ user: User }>('/api/refresh', {});
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.id);
    const newRefresh = res.setCookies.get(cookieNames.refresh)?.value;
    expect(newRefresh).toBeDefined();
    expect(newRefresh).not.toBe(oldRefresh);
    expect(res.setCookies.get(cookieNames.access)?.value).toBeDefined();
    expect(res.text).not.toContain(newRefresh ?? '-');
    expect((await client.get('/api/profile')).status).toBe(200);
  });

  // The reuse grace window (same browser: the same successor; any other client: reuse, family
  // revoked) is proven in refresh-grace.test.ts.

  it('an unknown or absent refresh token → 401 unauthenticated', async () => {
    expectErrorEnvelope(await refreshWith('x'.repeat(43)), 401, 'unauthenticated');
    expectErrorEnvelope(
      await new TestClient(testApp).post('/api/refresh', {}),
      401,
      'unauthenticated',
    );
    expectErrorEnvelope(await refreshWith('x'.repeat(5000)), 401, 'unauthenticated');
  });

  it('reuse after the grace window revokes the whole session and records refresh_token_reuse', async () => {
    const { client, user } = await createUser(testApp);
    const stolen = cookie(client, cookieNames.refresh);
    expect((await client.post('/api/refresh', {})).status).toBe(200);
    const newest = cookie(client, cookieNames.refresh);
    const access = cookie(client, cookieNames.access);
    expect((await client.get('/api/profile')).status).toBe(200);

    await sleep(5_200);

    expectErrorEnvelope(await refreshWith(stolen), 401, 'unauthenticated');
    expectErrorEnvelope(await refreshWith(newest), 401, 'unauthenticated');
    expectErrorEnvelope(
      await replayClient({ [cookieNames.access]: access }).get('/api/profile'),
      401,
      'unauthenticated',
    );

    const events = await listAudit(admin.client);
    const reuse = events.find((e) => e.type === 'refresh_token_reuse' && e.actorId === user.id);
    expect(reuse).toBeDefined();
    expect(reuse?.outcome).toBe('failure');
  }, 20_000);
});
