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
 * The 5-second grace after a refresh-token rotation is for the browser's own tabs racing, and for
 * nobody else (docs/decisions/001): the same browser (the same CSRF binding cookie) replaying the
 * rotated token gets the successor already issued; any other client replaying it is reuse, which
 * revokes the session and is audited.
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

function cookie(client: TestClient, name: string): string {
  const value = client.cookies.get(name);
  if (value === undefined) throw new Error(`no ${name} cookie`);
  return value;
}

/** Another browser holding a copy of the refresh cookie (and a CSRF binding of its own). */
async function otherBrowser(refreshToken: string): Promise<TestClient> {
  const client = new TestClient(testApp);
  await client.csrf();
  client.cookies.set(cookieNames.refresh, refreshToken);
  return client;
}

function refresh(client: TestClient) {
  return client.post<{ user: User }>('/api/refresh', {});
}

async function expectRevoked(
  user: TestUser,
  tokens: { access: string; refresh: string },
): Promise<void> {
  const probe = new TestClient(testApp);
  probe.cookies.set(cookieNames.access, tokens.access);
  expectErrorEnvelope(await probe.get('/api/profile'), 401, 'unauthenticated');
  expectErrorEnvelope(await refresh(await otherBrowser(tokens.refresh)), 401, 'unauthenticated');
  const events = await listAudit(admin.client);
  const reuse = events.filter(
    (e) => e.type === 'refresh_token_reuse' && e.actorId === user.user.id,
  );
  expect(reuse.map((e) => [e.outcome, e.detail?.endsWith('from another browser')])).toEqual([
    ['failure', true],
  ]);
}

describe('a rotated refresh token replayed within the grace window', () => {
  it('from the same browser (same CSRF binding) → 200 with the same successor, and the session lives on', async () => {
    const member = await createUser(testApp);
    const { client } = member;
    const previous = cookie(client, cookieNames.refresh);
    expect((await refresh(client)).status).toBe(200);
    const successor = cookie(client, cookieNames.refresh);
    expect(successor).not.toBe(previous);

    // Another tab of this browser still sent the previous token.
    client.cookies.set(cookieNames.refresh, previous);
    const replay = await refresh(client);
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body.user.id).toBe(member.user.id);
    expect(replay.setCookies.get(cookieNames.refresh)?.value).toBe(successor);
    expect(replay.setCookies.get(cookieNames.access)?.value).toBeTruthy();
    expect(replay.text).not.toContain(successor);
    expect((await client.get('/api/profile')).status).toBe(200);

    const next = await refresh(client);
    expect(next.status).toBe(200);
    expect(next.setCookies.get(cookieNames.refresh)?.value).not.toBe(successor);
    const events = await listAudit(admin.client);
    expect(
      events.filter((e) => e.type === 'refresh_token_reuse' && e.actorId === member.user.id),
    ).toEqual([]);
  });

  it('two tabs of one browser refreshing at once both get 200 and the same successor', async () => {
    const { client } = await createUser(testApp);
    const [one, two] = await Promise.all([refresh(client), refresh(client)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const first = one.setCookies.get(cookieNames.refresh)?.value;
    expect(first).toBeTruthy();
    expect(two.setCookies.get(cookieNames.refresh)?.value).toBe(first);
  });

  it('from another client → 401 unauthenticated, cookies cleared, the session revoked, refresh_token_reuse audited', async () => {
    const member = await createUser(testApp);
    const { client } = member;
    const stolen = cookie(client, cookieNames.refresh);
    expect((await refresh(client)).status).toBe(200);
    const tokens = {
      access: cookie(client, cookieNames.access),
      refresh: cookie(client, cookieNames.refresh),
    };
    expect((await client.get('/api/profile')).status).toBe(200);

    const thief = await otherBrowser(stolen);
    const replay = await refresh(thief);
    expectErrorEnvelope(replay, 401, 'unauthenticated');
    expect(replay.setCookies.get(cookieNames.refresh)?.attributes.get('max-age')).toBe('0');
    expect(thief.cookies.has(cookieNames.access)).toBe(false);

    await expectRevoked(member, tokens);
  });

  it('when the thief rotates first, the owner’s replay is the one refused, and the thief’s successor dies with the session', async () => {
    const member = await createUser(testApp);
    const { client } = member;
    const thief = await otherBrowser(cookie(client, cookieNames.refresh));
    const stolenRotation = await refresh(thief);
    expect(stolenRotation.status).toBe(200);
    const thiefTokens = {
      access: cookie(thief, cookieNames.access),
      refresh: cookie(thief, cookieNames.refresh),
    };

    expectErrorEnvelope(await refresh(client), 401, 'unauthenticated');
    await expectRevoked(member, thiefTokens);
  });

  it('the database keeps neither the token nor its successor in clear', async () => {
    const { client } = await createUser(testApp);
    const previous = cookie(client, cookieNames.refresh);
    expect((await refresh(client)).status).toBe(200);
    const successor = cookie(client, cookieNames.refresh);
    const rows = await testApp.db().selectFrom('refresh_tokens').selectAll().execute();
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(previous);
    expect(stored).not.toContain(successor);
    const binding = cookie(client, cookieNames.csrf);
    expect(stored).not.toContain(binding);
  });
});
