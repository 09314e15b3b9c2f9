import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AdminUserListResponse,
  AdminUserResponse,
  AuditEvent,
  AuditListResponse,
} from '@portcullis/contract/admin';
import type { ErrorBody } from '@portcullis/contract/errors';
import { SmtpTestServer, type ReceivedMail } from '../support/smtp-test-server.js';
import {
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The admin's daily tools over real HTTP, each audited with actor and target by email, and each
 * refused to anyone but an admin. Mail goes through a real SMTP server in this process. On SQLite
 * here and on PostgreSQL in the 'server-postgres' project, where the last-admin race is real.
 */

let smtp: SmtpTestServer;
let testApp: TestApp;
let admin: TestUser;

async function freshApp(): Promise<void> {
  testApp = await startTestApp({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    SMTP_REQUIRE_TLS: 'false',
    PUBLIC_ORIGIN: 'https://localhost:8443',
  });
  admin = await createUser(testApp, { role: 'admin', label: 'the-admin' });
}

beforeAll(async () => {
  smtp = await SmtpTestServer.start();
});

afterAll(async () => {
  await smtp.stop();
});

function mailTo(to: string, subject: RegExp): Promise<ReceivedMail> {
  return smtp.waitFor(
    (mail) => mail.envelope.to.includes(to) && subject.test(mail.parsed.subject ?? ''),
  );
}

function tokenIn(mail: ReceivedMail, path: string): string {
  const match = new RegExp(`https://localhost:8443${path}#token=([A-Za-z0-9_-]+)`).exec(
    mail.parsed.text ?? '',
  );
  if (match?.[1] === undefined) throw new Error(`no ${path} link in: ${mail.parsed.text ?? ''}`);
  return match[1];
}

async function lastEvent(
  type: AuditEvent['type'],
  targetId: string,
): Promise<AuditEvent | undefined> {
  return (await listAudit(admin.client)).find((e) => e.type === type && e.targetId === targetId);
}

async function listUsers(query: string) {
  const res = await admin.client.get<AdminUserListResponse>(`/api/admin/users?${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('actions on one user', () => {
  beforeAll(freshApp);
  afterAll(async () => testApp.close());

  it('disable: the signed-in user is refused at the next request; sign-in gets the generic error; enable restores', async () => {
    const user = await createUser(testApp, { label: 'disabled' });
    expect((await user.client.post(`/api/admin/users/${user.user.id}/disable`)).status).toBe(403);
    const res = await admin.client.post(`/api/admin/users/${user.user.id}/disable`);
    expect(res.status).toBe(204);
    expectErrorEnvelope(await user.client.get('/api/profile'), 401, 'unauthenticated');
    expectErrorEnvelope(await user.client.post('/api/refresh'), 401, 'unauthenticated');

    const wrong = await new TestClient(testApp).login(user.email, strongPassword());
    const right = await new TestClient(testApp).login(user.email, user.password);
    expectErrorEnvelope(right, 401, 'invalid_credentials');
    // The answer to a wrong password, one attempt further down: a disabled account says nothing
    // about itself.
    const shape = (res: typeof right) => res.body as unknown as ErrorBody;
    expect(shape(right).error.message).toBe(shape(wrong).error.message);
    expect(shape(right).error.attemptsRemaining).toBe(
      (shape(wrong).error.attemptsRemaining ?? 0) - 1,
    );

    const listed = await listUsers(`q=${encodeURIComponent(user.email)}`);
    expect(listed.users[0]).toMatchObject({ status: 'disabled' });
    expect(listed.users[0]?.disabledAt).not.toBeNull();
    expect(await lastEvent('user_disabled', user.user.id)).toMatchObject({
      outcome: 'success',
      actorEmail: admin.email,
      targetEmail: user.email,
      detail: '1 session(s) ended',
    });

    expect((await admin.client.post(`/api/admin/users/${user.user.id}/enable`)).status).toBe(204);
    expect((await new TestClient(testApp).login(user.email, user.password)).status).toBe(200);
    expect(await lastEvent('user_enabled', user.user.id)).toMatchObject({
      actorEmail: admin.email,
      targetEmail: user.email,
    });
  });

  it('sign out everywhere: every session of the user ends', async () => {
    const user = await createUser(testApp, { label: 'signed-out' });
    const res = await admin.client.post<{ revoked: number }>(
      `/api/admin/users/${user.user.id}/sign-out`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 1 });
    expectErrorEnvelope(await user.client.get('/api/profile'), 401, 'unauthenticated');
    expect(await lastEvent('session_revoked', user.user.id)).toMatchObject({
      actorEmail: admin.email,
      targetEmail: user.email,
    });
  });

  it('force a password reset: sessions end, the right password is refused with a mailed link, the reset clears it', async () => {
    const user = await createUser(testApp, { label: 'forced' });
    const res = await admin.client.post(`/api/admin/users/${user.user.id}/force-password-reset`);
    expect(res.status).toBe(204);
    expectErrorEnvelope(await user.client.get('/api/profile'), 401, 'unauthenticated');
    // A wrong password still gets the generic answer: the requirement shows only to the owner.
    expectErrorEnvelope(
      await new TestClient(testApp).login(user.email, strongPassword()),
      401,
      'invalid_credentials',
    );
    expectErrorEnvelope(
      await new TestClient(testApp).login(user.email, user.password),
      403,
      'password_reset_required',
    );
    const token = tokenIn(await mailTo(user.email, /Reset your/), '/reset-password');
    const newPassword = strongPassword();
    expect(
      (await new TestClient(testApp).post('/api/password/reset', { token, newPassword })).status,
    ).toBe(204);
    expect((await new TestClient(testApp).login(user.email, newPassword)).status).toBe(200);
    expect(await lastEvent('password_reset_forced', user.user.id)).toMatchObject({
      actorEmail: admin.email,
      targetEmail: user.email,
    });
  });

  it('resend verification mails an unverified user, and is refused for a verified one', async () => {
    const email = uniqueEmail('unverified');
    await new TestClient(testApp).register(email, strongPassword(), 'Unverified');
    const listed = await listUsers(`q=${encodeURIComponent(email)}`);
    const id = listed.users[0]?.id ?? '';
    expect(listed.users[0]?.status).toBe('unverified');
    const before = smtp.received.filter((m) => m.envelope.to.includes(email)).length;
    expect((await admin.client.post(`/api/admin/users/${id}/resend-verification`)).status).toBe(
      204,
    );
    await smtp.waitFor(
      () => smtp.received.filter((m) => m.envelope.to.includes(email)).length > before,
    );
    expect(await lastEvent('verification_resent', id)).toMatchObject({
      outcome: 'success',
      targetEmail: email,
    });
    const verified = await createUser(testApp, { label: 'verified' });
    expect(
      (await admin.client.post(`/api/admin/users/${verified.user.id}/resend-verification`)).status,
    ).toBe(204);
    expect(await lastEvent('verification_resent', verified.user.id)).toMatchObject({
      outcome: 'failure',
      detail: 'already verified',
    });
  });

  it('delete: the account and its sessions go; audited without the personal data', async () => {
    const user = await createUser(testApp, { label: 'deleted-by-admin' });
    expect((await admin.client.delete(`/api/admin/users/${user.user.id}`)).status).toBe(204);
    expectErrorEnvelope(await user.client.get('/api/profile'), 401, 'unauthenticated');
    expectErrorEnvelope(
      await admin.client.delete(`/api/admin/users/${user.user.id}`),
      404,
      'not_found',
    );
    const event = await lastEvent('account_deleted', user.user.id);
    expect(event).toMatchObject({
      outcome: 'success',
      actorEmail: admin.email,
      targetEmail: null,
      detail: 'by an admin',
    });
    expect(JSON.stringify(await listAudit(admin.client))).not.toContain(user.email);
  });

  it('every action on an unknown id is 404, and a non-admin is refused each (403)', async () => {
    const unknown = '3f0c2b1a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
    const member = await createUser(testApp, { label: 'not-admin' });
    const target = await createUser(testApp, { label: 'target' });
    for (const action of [
      'disable',
      'enable',
      'unlock',
      'sign-out',
      'force-password-reset',
      'resend-verification',
    ]) {
      expectErrorEnvelope(
        await admin.client.post(`/api/admin/users/${unknown}/${action}`),
        404,
        'not_found',
      );
      expectErrorEnvelope(
        await member.client.post(`/api/admin/users/${target.user.id}/${action}`),
        403,
        'forbidden',
      );
    }
    expectErrorEnvelope(
      await member.client.delete(`/api/admin/users/${target.user.id}`),
      403,
      'forbidden',
    );
    expectErrorEnvelope(await member.client.get('/api/admin/users'), 403, 'forbidden');
    expectErrorEnvelope(
      await member.client.get('/api/admin/audit/export?format=csv'),
      403,
      'forbidden',
    );
    expectErrorEnvelope(
      await member.client.post('/api/admin/users', {
        email: uniqueEmail('x'),
        name: 'X',
        role: 'admin',
      }),
      403,
      'forbidden',
    );
    // Still there and signed in: nothing happened.
    expect((await target.client.get('/api/profile')).status).toBe(200);
  });
});

describe('create and invite', () => {
  beforeAll(freshApp);
  afterAll(async () => testApp.close());

  it('an invitation mails a link; the invitee chooses a password, is verified, and signs in', async () => {
    const email = uniqueEmail('invitee');
    const res = await admin.client.post<AdminUserResponse>('/api/admin/users', {
      email,
      name: 'Invited Person',
      role: 'user',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({
      email,
      role: 'user',
      status: 'unverified',
      lastSignInAt: null,
    });
    const mail = await mailTo(email, /invited/);
    expect(mail.parsed.text).toContain(admin.email);
    const token = tokenIn(mail, '/accept-invite');

    // No password yet: nothing signs in.
    expectErrorEnvelope(
      await new TestClient(testApp).login(email, strongPassword()),
      401,
      'invalid_credentials',
    );
    // The policy applies; a refused password keeps the link usable.
    expectErrorEnvelope(
      await new TestClient(testApp).post('/api/account/accept-invite', {
        token,
        newPassword: 'password1234',
      }),
      400,
      'breached_password',
    );
    const password = strongPassword();
    const accepted = await new TestClient(testApp).post('/api/account/accept-invite', {
      token,
      newPassword: password,
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ status: 'accepted' });
    expectErrorEnvelope(
      await new TestClient(testApp).post('/api/account/accept-invite', {
        token,
        newPassword: strongPassword(),
      }),
      400,
      'invalid_token',
    );
    const login = await new TestClient(testApp).login(email, password);
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ email, emailVerified: true });

    const invited = await lastEvent('user_invited', res.body.user.id);
    expect(invited).toMatchObject({
      actorEmail: admin.email,
      targetEmail: email,
      detail: 'as user',
    });
    expect(
      (await listAudit(admin.client)).some(
        (e) => e.type === 'invitation_accepted' && e.actorId === res.body.user.id,
      ),
    ).toBe(true);
  });

  it('with a password: the account exists at once, its address still to be confirmed by mail', async () => {
    const email = uniqueEmail('created');
    const password = strongPassword();
    const res = await admin.client.post<AdminUserResponse>('/api/admin/users', {
      email,
      name: 'Created Person',
      role: 'guest',
      password,
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ role: 'guest', emailVerified: false });
    await mailTo(email, /Confirm your email/);
    expect(await lastEvent('user_created', res.body.user.id)).toMatchObject({
      actorEmail: admin.email,
      targetEmail: email,
      detail: 'as guest',
    });
    expect(JSON.stringify(await listAudit(admin.client))).not.toContain(password);
  });

  it('refuses a taken address (409), a weak password (400) and unknown fields (400)', async () => {
    expectErrorEnvelope(
      await admin.client.post('/api/admin/users', {
        email: admin.email,
        name: 'Dup',
        role: 'user',
      }),
      409,
      'email_taken',
    );
    expectErrorEnvelope(
      await admin.client.post('/api/admin/users', {
        email: uniqueEmail('weak'),
        name: 'Weak',
        role: 'user',
        password: 'password1234',
      }),
      400,
      'breached_password',
    );
    expectErrorEnvelope(
      await admin.client.post('/api/admin/users', {
        email: uniqueEmail('extra'),
        name: 'Extra',
        role: 'user',
        emailVerified: true,
      }),
      400,
      'validation_failed',
    );
  });
});

describe('search and filters', () => {
  beforeAll(freshApp);
  afterAll(async () => testApp.close());

  it('by email or name (case-insensitive), role, status and last sign-in, paged', async () => {
    const tag = `zq${Date.now().toString(36)}`;
    const alice = await createUser(testApp, { label: `${tag}-alice`, name: 'Alice Liddell' });
    const bob = await createUser(testApp, {
      label: `${tag}-bob`,
      role: 'guest',
      name: 'Bob Guest',
    });
    const carol = await createUser(testApp, { label: `${tag}-carol`, name: 'Carol 100%_match' });
    await admin.client.post(`/api/admin/users/${carol.user.id}/disable`);
    const never = uniqueEmail(`${tag}-never`);
    await admin.client.post('/api/admin/users', {
      email: never,
      name: 'Never Signed',
      role: 'user',
    });

    const ids = (body: AdminUserListResponse) => body.users.map((u) => u.email);
    expect(ids(await listUsers(`q=${tag}`))).toEqual([never, carol.email, bob.email, alice.email]);
    expect(ids(await listUsers(`q=${tag.toUpperCase()}-ALICE`))).toEqual([alice.email]);
    expect(ids(await listUsers('q=liddell'))).toEqual([alice.email]);
    // LIKE wildcards in the query are text, not patterns.
    expect(ids(await listUsers(`q=${encodeURIComponent('100%_m')}`))).toEqual([carol.email]);
    expect(ids(await listUsers(`q=${encodeURIComponent('0%_')}`))).toEqual([carol.email]);
    expect(ids(await listUsers(`q=${tag}&role=guest`))).toEqual([bob.email]);
    expect(ids(await listUsers(`q=${tag}&status=disabled`))).toEqual([carol.email]);
    expect(ids(await listUsers(`q=${tag}&status=unverified`))).toEqual([never]);
    expect(ids(await listUsers(`q=${tag}&status=active`))).toEqual([bob.email, alice.email]);
    expect(ids(await listUsers(`q=${tag}&lastSignIn=never`))).toEqual([never]);
    expect(ids(await listUsers(`q=${tag}&lastSignIn=within-7d`))).toEqual([
      carol.email,
      bob.email,
      alice.email,
    ]);
    expect(ids(await listUsers(`q=${tag}&lastSignIn=over-30d`))).toEqual([]);

    const first = await listUsers(`q=${tag}&limit=3`);
    expect(first.users).toHaveLength(3);
    const second = await listUsers(
      `q=${tag}&limit=3&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
    );
    expect([...ids(first), ...ids(second)]).toEqual([never, carol.email, bob.email, alice.email]);
    expect(second.nextCursor).toBeNull();
    // A filtered page that is full but has nothing after it still says so.
    const active = await listUsers(`q=${tag}&status=active&limit=2`);
    expect(ids(active)).toEqual([bob.email, alice.email]);
    expect(active.nextCursor).toBeNull();

    expectErrorEnvelope(
      await admin.client.get('/api/admin/users?status=sleeping'),
      400,
      'validation_failed',
    );
    // The read itself is audited: who looked, for what, how many rows.
    const read = (await listAudit(admin.client)).find(
      (e) => e.type === 'admin_read' && e.detail?.startsWith(`users q=${tag} role=guest`) === true,
    );
    expect(read).toMatchObject({
      actorEmail: admin.email,
      detail: `users q=${tag} role=guest: 1 row(s)`,
    });
  });
});

describe('the audit log', () => {
  beforeAll(freshApp);
  afterAll(async () => testApp.close());

  it('filters by type, actor, target, outcome and time; exports the view as CSV and JSON Lines', async () => {
    const user = await createUser(testApp, { label: 'audited' });
    const start = new Date(Date.now() - 1).toISOString();
    await new TestClient(testApp).login(user.email, strongPassword());
    await admin.client.post(`/api/admin/users/${user.user.id}/unlock`);
    // A user agent a spreadsheet would run as a formula.
    const formula = '=HYPERLINK("https://attacker.example","x")';
    const client = new TestClient(testApp);
    await client.csrf();
    await client.post(
      '/api/login',
      { email: user.email, password: strongPassword() },
      { headers: { 'user-agent': formula } },
    );
    const end = new Date(Date.now() + 1).toISOString();

    const get = async (query: string) => {
      const res = await admin.client.get<AuditListResponse>(`/api/admin/audit?${query}`);
      expect(res.status, res.text).toBe(200);
      return res.body.events;
    };
    const failed = await get(`type=login_failed&actor=${encodeURIComponent(user.email)}`);
    expect(failed).toHaveLength(2);
    expect(failed.every((e) => e.type === 'login_failed' && e.outcome === 'failure')).toBe(true);
    const byTarget = await get(`target=${encodeURIComponent(user.email.toUpperCase())}`);
    expect(byTarget.map((e) => e.type)).toEqual(['user_unlocked']);
    expect(byTarget[0]).toMatchObject({ actorEmail: admin.email, targetEmail: user.email });
    const window = await get(
      `actor=${encodeURIComponent(user.email)}&outcome=failure&from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`,
    );
    expect(window).toHaveLength(2);
    expect(
      await get(`actor=${encodeURIComponent(user.email)}&from=${encodeURIComponent(end)}`),
    ).toEqual([]);
    expectErrorEnvelope(
      await admin.client.get('/api/admin/audit?from=yesterday'),
      400,
      'validation_failed',
    );

    const query = `type=login_failed&actor=${encodeURIComponent(user.email)}`;
    const csv = await admin.client.get(`/api/admin/audit/export?format=csv&${query}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="portcullis-audit-\d{4}-\d{2}-\d{2}T\d{6}\.csv"$/,
    );
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'at,type,outcome,actorEmail,actorId,targetEmail,targetId,ip,userAgent,detail,id',
    );
    expect(lines).toHaveLength(3);
    // The formula is defused with a leading quote and quoted as RFC 4180 asks.
    expect(lines[1]).toContain(`,"'=HYPERLINK(""https://attacker.example"",""x"")",`);

    const jsonl = await admin.client.get(`/api/admin/audit/export?format=jsonl&${query}`);
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const rows = jsonl.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent);
    expect(rows.map((e) => e.id)).toEqual(failed.map((e) => e.id));
    expect(rows[0]?.userAgent).toBe(formula);

    const exportRead = (await listAudit(admin.client)).find(
      (e) => e.type === 'admin_read' && e.detail?.startsWith('audit export jsonl') === true,
    );
    expect(exportRead?.detail).toBe(
      `audit export jsonl type=login_failed actor=${user.email}: 2 row(s)`,
    );
  });
});

describe('the last active admin', () => {
  beforeAll(freshApp);
  afterAll(async () => testApp.close());

  it('cannot be demoted, disabled or deleted (409), by itself or anyone', async () => {
    const id = admin.user.id;
    expectErrorEnvelope(
      await admin.client.patch(`/api/admin/users/${id}`, { role: 'user' }),
      409,
      'last_admin',
    );
    expectErrorEnvelope(
      await admin.client.post(`/api/admin/users/${id}/disable`),
      409,
      'last_admin',
    );
    expectErrorEnvelope(await admin.client.delete(`/api/admin/users/${id}`), 409, 'last_admin');
    expect((await admin.client.get('/api/admin/users')).status).toBe(200);
    expect(await lastEvent('user_disabled', id)).toMatchObject({
      outcome: 'failure',
      detail: 'refused: last active admin',
    });
  });

  it('a disabled admin does not count: with the other one disabled, the last active one is kept', async () => {
    const second = await createUser(testApp, { role: 'admin', label: 'second-admin' });
    expect((await admin.client.post(`/api/admin/users/${second.user.id}/disable`)).status).toBe(
      204,
    );
    expectErrorEnvelope(
      await admin.client.patch(`/api/admin/users/${admin.user.id}`, { role: 'guest' }),
      409,
      'last_admin',
    );
    expect((await admin.client.post(`/api/admin/users/${second.user.id}/enable`)).status).toBe(204);
  });

  it('two admins acting on each other at the same instant: exactly one wins', async () => {
    for (const [label, act] of [
      [
        'demote',
        (client: TestClient, id: string) =>
          client.patch(`/api/admin/users/${id}`, { role: 'user' }),
      ],
      [
        'disable',
        (client: TestClient, id: string) => client.post(`/api/admin/users/${id}/disable`),
      ],
      ['delete', (client: TestClient, id: string) => client.delete(`/api/admin/users/${id}`)],
    ] as const) {
      const a = await createUser(testApp, { role: 'admin', label: `${label}-a` });
      const b = await createUser(testApp, { role: 'admin', label: `${label}-b` });
      // Only a and b are active admins now.
      const others = (
        await testApp
          .db()
          .selectFrom('users')
          .select('id')
          .where('role', '=', 'admin')
          .where('disabled_at', 'is', null)
          .where('id', 'not in', [a.user.id, b.user.id])
          .execute()
      ).map((row) => row.id);
      await testApp
        .db()
        .updateTable('users')
        .set({ disabled_at: Date.now() })
        .where('id', 'in', others)
        .execute();
      try {
        const [ab, ba] = await Promise.all([act(a.client, b.user.id), act(b.client, a.user.id)]);
        const statuses = [ab.status, ba.status].sort();
        // The winner's change ends the loser's sessions too, so the loser's request is refused
        // either by the guard (409) or, if it came a moment later, as signed out (401).
        expect(statuses[0], label).toBe(label === 'demote' ? 200 : 204);
        expect([401, 409], label).toContain(statuses[1]);
        const activeAdmins = await testApp
          .db()
          .selectFrom('users')
          .select('id')
          .where('role', '=', 'admin')
          .where('disabled_at', 'is', null)
          .execute();
        expect(activeAdmins, label).toHaveLength(1);
      } finally {
        await testApp
          .db()
          .updateTable('users')
          .set({ disabled_at: null })
          .where('id', '=', admin.user.id)
          .execute();
        await testApp
          .db()
          .updateTable('users')
          .set({ role: 'user' })
          .where('id', 'in', [a.user.id, b.user.id])
          .execute();
      }
    }
  });
});
