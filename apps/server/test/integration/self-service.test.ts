import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Note } from '@portcullis/contract/notes';
import type {
  AccountExport,
  ActivityListResponse,
  RevokedSessionsResponse,
  SessionListResponse,
} from '@portcullis/contract/security';
import { createRedisStores } from '../../src/lib/redis-stores.js';
import { sharedBackendUrls } from '../support/shared-backends.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  USER_AGENT,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The user's security page over real HTTP: sessions and ending them, "remember me", activity,
 * export and deletion, each refused to whoever may not do it. On SQLite here, and again on
 * PostgreSQL and Redis in the 'server-postgres' project (plus two instances at the end).
 */

const FIREFOX_ON_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0';

let smtp: SmtpTestServer;
let testApp: TestApp;
let admin: TestUser;

beforeAll(async () => {
  smtp = await SmtpTestServer.start();
  testApp = await startTestApp({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    SMTP_REQUIRE_TLS: 'false',
  });
  admin = await createUser(testApp, { role: 'admin' });
});

afterAll(async () => {
  await testApp.close();
  await smtp.stop();
});

/** Another browser signed in to the same account, sending its own User-Agent. */
async function secondBrowser(user: TestUser, userAgent = FIREFOX_ON_MAC, remember = false) {
  const client = new TestClient(testApp);
  await client.csrf();
  const res = await client.post(
    '/api/login',
    { email: user.email, password: user.password, remember },
    {
      headers: { 'user-agent': userAgent },
    },
  );
  expect(res.status).toBe(200);
  await client.csrf();
  return client;
}

async function sessionsOf(client: TestClient) {
  const res = await client.get<SessionListResponse>('/api/account/sessions');
  expect(res.status).toBe(200);
  return res.body.sessions;
}

describe('devices and sessions', () => {
  it('lists every live session with a readable device, the IP, times, and "this device"', async () => {
    const owner = await createUser(testApp, { label: 'devices' });
    const firefox = await secondBrowser(owner, FIREFOX_ON_MAC, true);
    const fromFirst = await sessionsOf(owner.client);
    expect(fromFirst).toHaveLength(2);
    const [latest, first] = fromFirst;
    expect(latest).toMatchObject({
      device: 'Firefox on macOS',
      userAgent: FIREFOX_ON_MAC,
      ip: '127.0.0.1',
      current: false,
      remembered: true,
      methods: ['pwd'],
    });
    expect(first).toMatchObject({
      device: 'Unknown device',
      userAgent: USER_AGENT,
      current: true,
      remembered: false,
    });
    for (const session of fromFirst) {
      expect(Date.parse(session.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(session.createdAt));
      expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
    }
    // Each browser sees its own session marked.
    const fromFirefox = await sessionsOf(firefox);
    expect(fromFirefox.find((s) => s.current)?.id).toBe(latest?.id);
    // A refresh moves "last used" on.
    const before = Date.parse(latest?.lastUsedAt ?? '');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await firefox.post('/api/refresh')).status).toBe(200);
    const after = (await sessionsOf(owner.client)).find((s) => s.id === latest?.id);
    expect(Date.parse(after?.lastUsedAt ?? '')).toBeGreaterThan(before);
  });

  it('ends one other session: that browser is refused at its next request, and it is audited', async () => {
    const owner = await createUser(testApp, { label: 'end-one' });
    const other = await secondBrowser(owner);
    const target = (await sessionsOf(owner.client)).find((s) => !s.current);
    expect(target).toBeDefined();
    const res = await owner.client.delete(`/api/account/sessions/${target?.id ?? ''}`);
    expect(res.status).toBe(204);
    expectErrorEnvelope(await other.get('/api/profile'), 401, 'unauthenticated');
    expectErrorEnvelope(await other.post('/api/refresh'), 401, 'unauthenticated');
    expect((await owner.client.get('/api/profile')).status).toBe(200);
    expect((await sessionsOf(owner.client)).map((s) => s.current)).toEqual([true]);
    const event = (await listAudit(admin.client)).find(
      (e) => e.type === 'session_revoked' && e.targetId === owner.user.id,
    );
    expect(event).toMatchObject({
      outcome: 'success',
      actorId: owner.user.id,
      actorEmail: owner.email,
      targetEmail: owner.email,
      detail: 'one other session',
    });
    // Ended already: a second time is not found.
    expectErrorEnvelope(
      await owner.client.delete(`/api/account/sessions/${target?.id ?? ''}`),
      404,
      'not_found',
    );
  });

  it("another user's session id is 404, exactly like one that does not exist, and keeps working", async () => {
    const owner = await createUser(testApp, { label: 'owner' });
    const stranger = await createUser(testApp, { label: 'stranger' });
    const strangersSession = (await sessionsOf(stranger.client))[0];
    const res = await owner.client.delete(`/api/account/sessions/${strangersSession?.id ?? ''}`);
    expectErrorEnvelope(res, 404, 'not_found');
    const unknown = await owner.client.delete(
      '/api/account/sessions/3f0c2b1a-9d8e-4f7a-8b6c-5d4e3f2a1b0c',
    );
    expectErrorEnvelope(unknown, 404, 'not_found');
    expect(unknown.body.error.message).toBe(res.body.error.message);
    expect((await stranger.client.get('/api/profile')).status).toBe(200);
    expectErrorEnvelope(
      await owner.client.delete('/api/account/sessions/not-a-uuid'),
      400,
      'validation_failed',
    );
  });

  it('"sign out everywhere else" ends every other session and keeps this one', async () => {
    const owner = await createUser(testApp, { label: 'others' });
    const [b, c] = [await secondBrowser(owner), await secondBrowser(owner)];
    const res = await owner.client.post<RevokedSessionsResponse>(
      '/api/account/sessions/revoke-others',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    expectErrorEnvelope(await b.get('/api/profile'), 401, 'unauthenticated');
    expectErrorEnvelope(await c.get('/api/profile'), 401, 'unauthenticated');
    expect((await owner.client.get('/api/profile')).status).toBe(200);
  });

  it('is refused without a session, and without the CSRF token', async () => {
    const anonymous = new TestClient(testApp);
    expectErrorEnvelope(await anonymous.get('/api/account/sessions'), 401, 'unauthenticated');
    const owner = await createUser(testApp, { label: 'csrf' });
    expectErrorEnvelope(
      await owner.client.post('/api/account/sessions/revoke-others', undefined, { csrf: false }),
      403,
      'csrf_failed',
    );
  });

  it('guests see and end their own sessions too', async () => {
    const guest = await createUser(testApp, { role: 'guest' });
    const other = await secondBrowser(guest);
    expect(await sessionsOf(guest.client)).toHaveLength(2);
    const res = await guest.client.post<RevokedSessionsResponse>(
      '/api/account/sessions/revoke-others',
    );
    expect(res.body).toEqual({ revoked: 1 });
    expectErrorEnvelope(await other.get('/api/profile'), 401, 'unauthenticated');
  });
});

describe('at most MAX_SESSIONS_PER_USER live sessions', () => {
  it('a sign-in beyond the limit ends the least recently used session, and the activity says so', async () => {
    const limited = await startTestApp({ MAX_SESSIONS_PER_USER: '3' });
    try {
      const owner = await createUser(limited, { label: 'session-limit' });
      const signIn = async () => {
        const client = new TestClient(limited);
        expect((await client.login(owner.email, owner.password)).status).toBe(200);
        await client.csrf();
        return client;
      };
      const forgotten = await signIn();
      const kept = await signIn();
      // The first browser is used again, so the least recently used is now `forgotten`.
      expect((await owner.client.post('/api/refresh')).status).toBe(200);
      const newest = await signIn();

      const live = await sessionsOf(owner.client);
      expect(live).toHaveLength(3);
      expectErrorEnvelope(await forgotten.get('/api/profile'), 401, 'unauthenticated');
      for (const client of [owner.client, kept, newest]) {
        expect((await client.get('/api/profile')).status).toBe(200);
      }
      const activity = await owner.client.get<ActivityListResponse>('/api/account/activity');
      expect(activity.body.events.find((event) => event.type === 'session_revoked')?.detail).toBe(
        '1 least recently used session(s): limit of 3',
      );
    } finally {
      await limited.close();
    }
  });
});

describe('remember me', () => {
  async function signIn(user: TestUser, remember: boolean | undefined) {
    const client = new TestClient(testApp);
    await client.csrf();
    const body =
      remember === undefined
        ? { email: user.email, password: user.password }
        : { email: user.email, password: user.password, remember };
    const res = await client.post('/api/login', body);
    expect(res.status).toBe(200);
    const session = await testApp
      .db()
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.user.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    return { res, session };
  }

  it('unticked (the default): session cookies that die with the browser, a 1-hour idle limit, 12 hours at most', async () => {
    const user = await createUser(testApp, { label: 'forgetful' });
    for (const remember of [undefined, false]) {
      const { res, session } = await signIn(user, remember);
      const refresh = res.setCookies.get(cookieNames.refresh);
      const access = res.setCookies.get(cookieNames.access);
      expect(refresh?.attributes.get('max-age')).toBeUndefined();
      expect(refresh?.attributes.get('expires')).toBeUndefined();
      expect(access?.attributes.get('max-age')).toBeUndefined();
      expect(session.persistent).toBe(0);
      expect((session.idle_expires_at ?? 0) - session.created_at).toBe(3_600_000);
      expect(session.expires_at - session.created_at).toBe(12 * 3_600_000);
    }
  });

  it('ticked: the refresh cookie lasts the 7-day idle limit, 30 days at most', async () => {
    const user = await createUser(testApp, { label: 'remembered' });
    const { res, session } = await signIn(user, true);
    expect(res.setCookies.get(cookieNames.refresh)?.attributes.get('max-age')).toBe(
      String(7 * 86_400),
    );
    expect(res.setCookies.get(cookieNames.access)?.attributes.get('max-age')).toBe('900');
    expect(session.persistent).toBe(1);
    expect((session.idle_expires_at ?? 0) - session.created_at).toBe(7 * 86_400_000);
    expect(session.expires_at - session.created_at).toBe(30 * 86_400_000);
  });

  it('admins get the shorter idle limit (30 minutes) either way', async () => {
    const other = await createUser(testApp, { role: 'admin', label: 'idle-admin' });
    const { res, session } = await signIn(other, true);
    expect(res.setCookies.get(cookieNames.refresh)?.attributes.get('max-age')).toBe(
      String(30 * 60),
    );
    expect((session.idle_expires_at ?? 0) - session.created_at).toBe(30 * 60_000);
    const unticked = await signIn(other, false);
    expect((unticked.session.idle_expires_at ?? 0) - unticked.session.created_at).toBe(30 * 60_000);
  });

  it('a session idle past its limit is over: its refresh is refused and it is not listed', async () => {
    const user = await createUser(testApp, { label: 'idle' });
    const other = await secondBrowser(user);
    const idle = (await sessionsOf(user.client)).find((s) => !s.current);
    const past = Date.now() - 1_000;
    await testApp
      .db()
      .updateTable('sessions')
      .set({ idle_expires_at: past })
      .where('id', '=', idle?.id ?? '')
      .execute();
    await testApp
      .db()
      .updateTable('refresh_tokens')
      .set({ expires_at: past })
      .where('session_id', '=', idle?.id ?? '')
      .execute();
    expectErrorEnvelope(await other.post('/api/refresh'), 401, 'unauthenticated');
    expect((await sessionsOf(user.client)).map((s) => s.current)).toEqual([true]);
  });

  it('refuses a `remember` that is not a boolean', async () => {
    const user = await createUser(testApp, { label: 'typed' });
    const client = new TestClient(testApp);
    await client.csrf();
    expectErrorEnvelope(
      await client.post('/api/login', {
        email: user.email,
        password: user.password,
        remember: 'yes',
      }),
      400,
      'validation_failed',
    );
  });
});

describe('recent activity', () => {
  it("lists the user's own security events newest first, with device and IP, paged", async () => {
    const user = await createUser(testApp, { label: 'activity' });
    const wrong = new TestClient(testApp);
    expect((await wrong.login(user.email, strongPassword())).status).toBe(401);
    expect((await user.client.changePassword(user.password, strongPassword())).status).toBe(204);
    const stranger = await createUser(testApp, { label: 'not-in-activity' });

    const res = await user.client.get<ActivityListResponse>('/api/account/activity?limit=50');
    expect(res.status).toBe(200);
    const types = res.body.events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['password_changed', 'login_failed', 'login_succeeded']);
    expect(types).toContain('register');
    const times = res.body.events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(res.body.events[0]).toMatchObject({
      outcome: 'success',
      ip: '127.0.0.1',
      userAgent: USER_AGENT,
      device: 'Unknown device',
    });
    expect(res.body.events[1]).toMatchObject({ type: 'login_failed', outcome: 'failure' });
    expect(JSON.stringify(res.body)).not.toContain(stranger.email);

    // Paged: one at a time gives the same sequence.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: { body: ActivityListResponse } = await user.client.get<ActivityListResponse>(
        `/api/account/activity?limit=1${query}`,
      );
      expect(page.body.events.length).toBeLessThanOrEqual(1);
      paged.push(...page.body.events.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(res.body.events.map((e) => e.id));
  });

  it("an admin's actions on other accounts are not on the admin's own page, but on the target's", async () => {
    const target = await createUser(testApp, { label: 'unlocked' });
    expect((await admin.client.post(`/api/admin/users/${target.user.id}/unlock`)).status).toBe(204);
    const own = await admin.client.get<ActivityListResponse>('/api/account/activity?limit=100');
    expect(own.body.events.some((e) => e.type === 'user_unlocked')).toBe(false);
    const theirs = await target.client.get<ActivityListResponse>('/api/account/activity');
    expect(theirs.body.events[0]).toMatchObject({ type: 'user_unlocked', outcome: 'success' });
  });
});

// Registration is limited to 20 an hour per address: the rest runs on an app of its own.
describe('on a second app', () => {
  let first: { testApp: TestApp; admin: TestUser };
  beforeAll(async () => {
    first = { testApp, admin };
    testApp = await startTestApp({
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SMTP_REQUIRE_TLS: 'false',
    });
    admin = await createUser(testApp, { role: 'admin' });
  });
  afterAll(async () => {
    await testApp.close();
    ({ testApp, admin } = first);
  });

  describe('export', () => {
    it('downloads the profile, notes, sessions and activity as a JSON file, and audits it', async () => {
      const user = await createUser(testApp, { label: 'export' });
      const titles = ['First exported', 'Second exported'];
      for (const title of titles) {
        expect(
          (await user.client.post<Note>('/api/notes', { title, body: `${title} body` })).status,
        ).toBe(201);
      }
      const stranger = await createUser(testApp, { label: 'not-exported' });
      await stranger.client.post('/api/notes', { title: 'Not mine', body: 'b' });

      const res = await user.client.get<AccountExport>('/api/account/export');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="portcullis-export-${new Date().toISOString().slice(0, 10)}.json"`,
      );
      expect(res.body.profile).toEqual(user.user);
      expect(res.body.notes.map((n) => n.title).sort()).toEqual([...titles].sort());
      expect(res.body.sessions).toHaveLength(1);
      expect(res.body.sessions[0]?.current).toBe(true);
      expect(res.body.activity.map((e) => e.type)).toContain('login_succeeded');
      expect(res.text).not.toContain('Not mine');
      expect(res.text).not.toMatch(/argon2|passwordHash|password_hash|token/i);
      const event = (await listAudit(admin.client)).find(
        (e) => e.type === 'data_exported' && e.actorId === user.user.id,
      );
      expect(event?.detail).toBe('2 note(s), 2 event(s)');
    });

    it('guests may not export (403), nor anyone signed out (401)', async () => {
      const guest = await createUser(testApp, { role: 'guest' });
      expectErrorEnvelope(await guest.client.get('/api/account/export'), 403, 'forbidden');
      expectErrorEnvelope(
        await new TestClient(testApp).get('/api/account/export'),
        401,
        'unauthenticated',
      );
    });
  });

  describe('delete account', () => {
    it('a wrong password → 401 on the password field, and nothing is deleted', async () => {
      const user = await createUser(testApp, { label: 'keep' });
      const res = await user.client.delete('/api/account', {
        body: { password: strongPassword() },
      });
      expectErrorEnvelope(res, 401, 'invalid_credentials');
      expect(res.body.error.fields).toEqual([
        { path: 'password', message: 'The password is incorrect.' },
      ]);
      expect((await user.client.get('/api/profile')).status).toBe(200);
    });

    it('deletes notes and sessions, keeps an anonymous audit record, mails a confirmation', async () => {
      const user = await createUser(testApp, { label: 'leaving' });
      const other = await secondBrowser(user);
      await user.client.post('/api/notes', { title: 'Goes away', body: 'b' });

      const res = await user.client.delete<undefined>('/api/account', {
        body: { password: user.password },
      });
      expect(res.status).toBe(204);
      expect(res.setCookies.get(cookieNames.refresh)?.value).toBe('');
      expect(res.setCookies.get(cookieNames.access)?.value).toBe('');

      expectErrorEnvelope(await user.client.get('/api/profile'), 401, 'unauthenticated');
      expectErrorEnvelope(await other.get('/api/profile'), 401, 'unauthenticated');
      const again = await new TestClient(testApp).login(user.email, user.password);
      expectErrorEnvelope(again, 401, 'invalid_credentials');

      const db = testApp.db();
      for (const table of ['notes', 'sessions', 'credentials'] as const) {
        const column = table === 'notes' ? 'owner_id' : 'user_id';
        const rows = await db
          .selectFrom(table)
          .select(column)
          .where(column, '=', user.user.id)
          .execute();
        expect(rows, table).toEqual([]);
      }
      const trail = await db
        .selectFrom('audit_events')
        .selectAll()
        .where((eb) =>
          eb.or([eb('actor_id', '=', user.user.id), eb('target_id', '=', user.user.id)]),
        )
        .execute();
      expect(trail.map((row) => row.type)).toEqual(
        expect.arrayContaining(['register', 'login_succeeded', 'account_deleted']),
      );
      const text = JSON.stringify(trail);
      expect(text).not.toContain(user.email);
      expect(text).not.toContain(USER_AGENT);
      expect(text).not.toContain('127.0.0.1');
      expect(trail.find((row) => row.type === 'account_deleted')).toMatchObject({
        outcome: 'success',
        actor_id: user.user.id,
        actor_email: null,
        target_id: user.user.id,
        target_email: null,
        detail: 'by its owner',
      });

      const mail = await smtp.waitFor(
        (m) =>
          m.envelope.to.includes(user.email) && /account was deleted/.test(m.parsed.subject ?? ''),
      );
      expect(mail.parsed.subject).toBe('Your Portcullis account was deleted');
    });

    it('the last active admin cannot delete itself (409), and guests may not delete (403)', async () => {
      const lone = await startTestApp();
      try {
        const only = await createUser(lone, { role: 'admin', label: 'only-admin' });
        expectErrorEnvelope(
          await only.client.delete('/api/account', { body: { password: only.password } }),
          409,
          'last_admin',
        );
        expect((await only.client.get('/api/admin/users')).status).toBe(200);
        const guest = await createUser(lone, { role: 'guest' });
        expectErrorEnvelope(
          await guest.client.delete('/api/account', { body: { password: guest.password } }),
          403,
          'forbidden',
        );
      } finally {
        await lone.close();
      }
    });

    it('wrong passwords spend the sign-in throttle: the account locks like a sign-in would', async () => {
      const user = await createUser(testApp, { label: 'oracle' });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        statuses.push(
          (await user.client.delete('/api/account', { body: { password: strongPassword() } }))
            .status,
        );
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429]);
    });
  });
});

const { databaseUrl, redisUrl } = sharedBackendUrls();

describe.skipIf(databaseUrl === undefined || redisUrl === undefined)(
  'two instances sharing PostgreSQL and Redis',
  () => {
    let one: TestApp;
    let two: TestApp;

    beforeAll(async () => {
      const url = new URL(databaseUrl ?? '');
      url.searchParams.set('schema', `pc_${randomBytes(6).toString('hex')}`);
      const keyPrefix = `pc-test:${randomBytes(6).toString('hex')}:`;
      const env = {
        DATABASE_URL: url.href,
        JWT_SECRETS: randomBytes(32).toString('base64url'),
        CSRF_SECRET: randomBytes(32).toString('base64url'),
      };
      one = await startTestApp(env, {
        stores: await createRedisStores(redisUrl ?? '', { keyPrefix }),
      });
      two = await startTestApp(env, {
        stores: await createRedisStores(redisUrl ?? '', { keyPrefix }),
      });
    }, 30_000);

    afterAll(async () => {
      await two.app.close();
      rmSync(two.dataDir, { recursive: true, force: true });
      await one.close();
    }, 30_000);

    it('a session ended on one instance is refused by the other within a second', async () => {
      const owner = await createUser(one, { label: 'two-instances' });
      const elsewhere = new TestClient(two);
      await elsewhere.csrf();
      expect(
        (await elsewhere.post('/api/login', { email: owner.email, password: owner.password }))
          .status,
      ).toBe(200);
      // Warm the second instance's cache, so the refusal must come from the invalidation.
      expect((await elsewhere.get('/api/profile')).status).toBe(200);
      const target = (await sessionsOf(owner.client)).find((s) => !s.current);
      expect((await owner.client.delete(`/api/account/sessions/${target?.id ?? ''}`)).status).toBe(
        204,
      );
      const ended = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - ended < 1_000) {
        status = (await elsewhere.get('/api/profile')).status;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(status).toBe(401);
    });
  },
);
