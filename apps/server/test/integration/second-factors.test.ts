import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import type { User } from '@portcullis/contract/auth';
import type {
  FactorsResponse,
  RecoveryCodesResponse,
  SignInResponse,
  TotpEnrolmentResponse,
  WebAuthnOptionsResponse,
} from '@portcullis/contract/second-factors';
import type { SessionListResponse } from '@portcullis/contract/security';
import { totpCode } from '../../src/lib/totp.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import {
  SoftAuthenticator,
  type CreationOptions,
  type RequestOptions,
} from '../support/soft-authenticator.js';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * TOTP, recovery codes and passkeys over real HTTP, with every refusal the issue lists: replayed,
 * stale, future and malformed codes; a recovery code used twice; WebAuthn responses with the wrong
 * challenge, origin or RP id, a cloned authenticator, another user's credential; a pending sign-in
 * expired or from another browser. None of them creates a session. Passkeys are played by a
 * software authenticator (the browser tests use Chromium's virtual one).
 */

const STEP_MS = 30_000;

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

interface Enrolled {
  user: TestUser;
  key: Uint8Array;
  recoveryCodes: string[];
  /** The last time a code was used, so the next one comes from a later step. */
  usedAt: number;
}

async function enrolTotp(user: TestUser): Promise<Enrolled> {
  const started = await user.client.post<TotpEnrolmentResponse>('/api/account/totp');
  expect(started.status, started.text).toBe(200);
  const key = decodeBase32IgnorePadding(started.body.secret);
  const now = Date.now();
  const confirmed = await user.client.post<RecoveryCodesResponse>('/api/account/totp/confirm', {
    code: totpCode(key, now),
  });
  expect(confirmed.status, confirmed.text).toBe(200);
  return { user, key, recoveryCodes: confirmed.body.recoveryCodes ?? [], usedAt: now };
}

/** The password step: a browser holding the pending state, or a session if none is owed. */
async function passwordStep(user: TestUser, client = new TestClient(testApp)) {
  await client.csrf();
  const res = await client.post<SignInResponse>('/api/login', {
    email: user.email,
    password: user.password,
  });
  expect(res.status, res.text).toBe(200);
  return { client, res };
}

async function secondStep(client: TestClient, body: unknown) {
  const res = await client.post<SignInResponse>('/api/login/second-factor', body);
  if (res.status === 200) await client.csrf();
  return res;
}

async function sessionMethods(client: TestClient): Promise<string[] | undefined> {
  const res = await client.get<SessionListResponse>('/api/account/sessions');
  return res.body.sessions.find((s) => s.current)?.methods;
}

describe('TOTP', () => {
  it('enrols: the secret is shown once, stored encrypted, and the first code brings ten recovery codes', async () => {
    const user = await createUser(testApp, { label: 'totp-enrol' });
    const started = await user.client.post<TotpEnrolmentResponse>('/api/account/totp');
    expect(started.status).toBe(200);
    expect(started.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(started.body.otpauthUri).toBe(
      `otpauth://totp/Portcullis:${encodeURIComponent(user.email)}?issuer=Portcullis&algorithm=SHA1&secret=${started.body.secret}&period=30&digits=6`,
    );
    // Pending until a code proves the app has the key.
    const before = await user.client.get<FactorsResponse>('/api/account/factors');
    expect(before.body.totp).toEqual({ enabled: false, createdAt: null });
    expect(before.text).not.toContain(started.body.secret);

    const key = decodeBase32IgnorePadding(started.body.secret);
    expectErrorEnvelope(
      await user.client.post('/api/account/totp/confirm', {
        code: totpCode(key, Date.now() + 10 * STEP_MS),
      }),
      401,
      'invalid_second_factor',
    );
    const confirmed = await user.client.post<RecoveryCodesResponse>('/api/account/totp/confirm', {
      code: totpCode(key, Date.now()),
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    for (const code of confirmed.body.recoveryCodes ?? [])
      expect(code).toMatch(/^[a-z2-7]{6}-[a-z2-7]{6}-[a-z2-7]{6}-[a-z2-7]{6}$/);
    const after = await user.client.get<FactorsResponse>('/api/account/factors');
    expect(after.body).toMatchObject({
      totp: { enabled: true },
      recoveryCodes: { remaining: 10, total: 10 },
      passkeys: [],
      required: false,
    });

    const stored = await testApp
      .db()
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', user.user.id)
      .execute();
    const totpRow = stored.find((row) => row.kind === 'totp');
    expect(totpRow?.secret).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(JSON.stringify(stored)).not.toContain(started.body.secret);
    expect(JSON.stringify(stored)).not.toContain(Buffer.from(key).toString('base64url'));
    for (const code of confirmed.body.recoveryCodes ?? []) {
      expect(JSON.stringify(stored)).not.toContain(code.replaceAll('-', ''));
    }
    expect(testApp.logText()).not.toContain(started.body.secret);
  });

  it('signs in with password then code: no session before the code, one after, recorded as pwd+otp', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'totp-sign-in' }));
    const { client, res } = await passwordStep(enrolled.user);
    expect(res.body).toEqual({
      secondFactor: { methods: ['totp', 'recovery'], expiresAt: expect.any(String) as string },
    });
    expect(res.setCookies.has(cookieNames.access)).toBe(false);
    expect(res.setCookies.get(cookieNames.pending)?.attributes.get('httponly')).toBe(true);
    expectErrorEnvelope(await client.get('/api/profile'), 401, 'unauthenticated');

    const code = totpCode(enrolled.key, enrolled.usedAt + STEP_MS);
    const done = await secondStep(client, { method: 'totp', code });
    expect(done.status, done.text).toBe(200);
    expect((done.body as { user: User }).user.email).toBe(enrolled.user.email);
    expect(await sessionMethods(client)).toEqual(['pwd', 'otp']);

    // The same code again (a replay within its step) is refused and starts no session.
    const { client: again } = await passwordStep(enrolled.user);
    expectErrorEnvelope(
      await secondStep(again, { method: 'totp', code }),
      401,
      'invalid_second_factor',
    );
    // So is a code from before the last one accepted, a stale one and one from the future.
    for (const at of [enrolled.usedAt, Date.now() - 3 * STEP_MS, Date.now() + 3 * STEP_MS]) {
      expectErrorEnvelope(
        await secondStep(again, { method: 'totp', code: totpCode(enrolled.key, at) }),
        401,
        'invalid_second_factor',
      );
    }
    for (const malformed of ['12345', '1234567', 'abcdef', '12 34 56x']) {
      expectErrorEnvelope(
        await secondStep(again, { method: 'totp', code: malformed }),
        400,
        'validation_failed',
      );
    }
    expectErrorEnvelope(await again.get('/api/profile'), 401, 'unauthenticated');
    const failed = (await listAudit(admin.client)).filter(
      (e) => e.type === 'login_failed' && e.actorId === enrolled.user.user.id,
    );
    expect(failed.map((e) => e.detail)).toContain('wrong authenticator code');
  });

  it('wrong codes spend the sign-in throttle: five, then 429', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'totp-throttle' }));
    const { client } = await passwordStep(enrolled.user);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push((await secondStep(client, { method: 'totp', code: '000000' })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('the pending sign-in works once, in the browser that started it, for five minutes', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'pending' }));
    // Another browser (no pending cookie) cannot finish it.
    await passwordStep(enrolled.user);
    const stranger = new TestClient(testApp);
    await stranger.csrf();
    expectErrorEnvelope(
      await secondStep(stranger, {
        method: 'totp',
        code: totpCode(enrolled.key, Date.now() + STEP_MS),
      }),
      401,
      'unauthenticated',
    );
    // Expired: the same code that would work is refused.
    const { client } = await passwordStep(enrolled.user);
    await testApp
      .db()
      .updateTable('pending_sign_ins')
      .set({ expires_at: Date.now() - 1 })
      .where('user_id', '=', enrolled.user.user.id)
      .execute();
    expectErrorEnvelope(
      await secondStep(client, {
        method: 'totp',
        code: totpCode(enrolled.key, Date.now() + STEP_MS),
      }),
      401,
      'unauthenticated',
    );
    expect(
      await testApp
        .db()
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', enrolled.user.user.id)
        .execute(),
    ).toHaveLength(1);
  });

  it('removing TOTP (after a recent sign-in) makes the password enough again and voids the recovery codes', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'totp-remove' }));
    expect((await enrolled.user.client.delete('/api/account/totp')).status).toBe(204);
    const factors = await enrolled.user.client.get<FactorsResponse>('/api/account/factors');
    expect(factors.body).toMatchObject({
      totp: { enabled: false },
      recoveryCodes: { remaining: 0, total: 0 },
    });
    const { res } = await passwordStep(enrolled.user);
    expect('user' in res.body).toBe(true);
  });
});

describe('recovery codes', () => {
  it('sign in once each, in place of a code; the owner is mailed; a used one is refused', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'recovery' }));
    const [first = '', second = ''] = enrolled.recoveryCodes;
    const { client } = await passwordStep(enrolled.user);
    // Typed as people type them: upper case, spaces instead of the dash.
    const done = await secondStep(client, {
      method: 'recovery',
      code: first.toUpperCase().replaceAll('-', ' '),
    });
    expect(done.status, done.text).toBe(200);
    expect(await sessionMethods(client)).toEqual(['pwd', 'otp']);
    const mail = await smtp.waitFor(
      (m) =>
        m.envelope.to.includes(enrolled.user.email) &&
        /recovery code was used/.test(m.parsed.subject ?? ''),
    );
    expect(mail.parsed.text).toContain('9 code(s) remain');

    const { client: again } = await passwordStep(enrolled.user);
    expectErrorEnvelope(
      await secondStep(again, { method: 'recovery', code: first }),
      401,
      'invalid_second_factor',
    );
    expectErrorEnvelope(
      await secondStep(again, { method: 'recovery', code: 'aaaaa-aaaaa' }),
      401,
      'invalid_second_factor',
    );
    expect((await secondStep(again, { method: 'recovery', code: second })).status).toBe(200);
    const factors = await again.get<FactorsResponse>('/api/account/factors');
    expect(factors.body.recoveryCodes).toEqual({ remaining: 8, total: 10 });
    const used = (await listAudit(admin.client)).filter(
      (e) => e.type === 'recovery_code_used' && e.actorId === enrolled.user.user.id,
    );
    expect(used.map((e) => e.detail).sort()).toEqual(['8 left', '9 left']);
  });

  it('carry 120 random bits each, stored as a plain SHA-256; a 10-character code of earlier versions still works once', async () => {
    // ASVS 5.0 6.5.2: a lookup secret under 112 bits needs a salted password hash; at 120 it does not.
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'recovery-bits' }));
    const codes = enrolled.recoveryCodes;
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code.replaceAll('-', '')).toMatch(/^[a-z2-7]{24}$/);
    const db = testApp.db();
    const stored = await db
      .selectFrom('credentials')
      .selectAll()
      .where('user_id', '=', enrolled.user.user.id)
      .where('kind', '=', 'recovery')
      .execute();
    const digest = (code: string) =>
      createHash('sha256').update(code.replaceAll('-', '')).digest('base64url');
    expect(stored.map((row) => row.secret).sort()).toEqual(codes.map(digest).sort());

    // A set made before codes grew keeps working until its owner makes a new one.
    const legacy = 'k7vq2-mx4pd';
    const [template] = stored;
    if (template === undefined) throw new Error('no stored recovery code');
    await db
      .insertInto('credentials')
      .values({ ...template, id: randomUUID(), secret: digest(legacy) })
      .execute();
    const { client } = await passwordStep(enrolled.user);
    expect((await secondStep(client, { method: 'recovery', code: legacy })).status).toBe(200);
    const { client: again } = await passwordStep(enrolled.user);
    expectErrorEnvelope(
      await secondStep(again, { method: 'recovery', code: legacy }),
      401,
      'invalid_second_factor',
    );
  });

  it('regenerating voids the old set', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'regenerate' }));
    const fresh = await enrolled.user.client.post<RecoveryCodesResponse>(
      '/api/account/recovery-codes',
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    const { client } = await passwordStep(enrolled.user);
    expectErrorEnvelope(
      await secondStep(client, { method: 'recovery', code: enrolled.recoveryCodes[0] }),
      401,
      'invalid_second_factor',
    );
    expect(
      (await secondStep(client, { method: 'recovery', code: fresh.body.recoveryCodes?.[0] }))
        .status,
    ).toBe(200);
  });
});

describe('passkeys', () => {
  async function registerPasskey(user: TestUser, name = 'Laptop') {
    const authenticator = new SoftAuthenticator(testApp.config.publicOrigin);
    const options = await user.client.post<WebAuthnOptionsResponse>(
      '/api/account/passkeys/options',
    );
    expect(options.status, options.text).toBe(200);
    const created = await user.client.post<{
      passkey: { id: string; name: string };
      recoveryCodes: string[] | null;
    }>('/api/account/passkeys', {
      name,
      response: authenticator.create(options.body.options as unknown as CreationOptions),
    });
    expect(created.status, created.text).toBe(201);
    return { authenticator, created: created.body };
  }

  async function passkeyOptions(client: TestClient) {
    const res = await client.post<WebAuthnOptionsResponse>('/api/login/passkey/options');
    expect(res.status, res.text).toBe(200);
    return res.body.options as unknown as RequestOptions & { allowCredentials?: { id: string }[] };
  }

  async function passkeySignIn(client: TestClient, response: unknown) {
    const res = await client.post<SignInResponse>('/api/login/passkey', { response });
    if (res.status === 200) await client.csrf();
    return res;
  }

  it('registers a passkey (first factor: recovery codes too) and signs in with it alone', async () => {
    const user = await createUser(testApp, { label: 'passkey' });
    const { authenticator, created } = await registerPasskey(user);
    expect(created.passkey.name).toBe('Laptop');
    expect(created.recoveryCodes).toHaveLength(10);

    const client = new TestClient(testApp);
    await client.csrf();
    const options = await passkeyOptions(client);
    // Nobody is known yet: any discoverable passkey of this site may answer.
    expect(options.allowCredentials ?? []).toEqual([]);
    const res = await passkeySignIn(client, authenticator.get(options));
    expect(res.status, res.text).toBe(200);
    expect((res.body as { user: User }).user.id).toBe(user.user.id);
    expect(await sessionMethods(client)).toEqual(['hwk']);
    const factors = await client.get<FactorsResponse>('/api/account/factors');
    expect(factors.body.passkeys[0]?.lastUsedAt).not.toBeNull();
  });

  it('is a second factor after the password, limited to that user’s passkeys', async () => {
    const user = await createUser(testApp, { label: 'passkey-2fa' });
    const { authenticator } = await registerPasskey(user);
    const { client, res } = await passwordStep(user);
    expect(res.body).toMatchObject({ secondFactor: { methods: ['passkey', 'recovery'] } });
    const options = await passkeyOptions(client);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    const done = await passkeySignIn(client, authenticator.get(options));
    expect(done.status, done.text).toBe(200);
    expect(await sessionMethods(client)).toEqual(['pwd', 'hwk']);
  });

  it('refuses a wrong challenge, origin or RP id, a reused challenge, a counter that went back, and another user’s passkey', async () => {
    const owner = await createUser(testApp, { label: 'passkey-refusals' });
    const { authenticator } = await registerPasskey(owner);
    const fresh = async () => {
      const client = new TestClient(testApp);
      await client.csrf();
      return { client, options: await passkeyOptions(client) };
    };
    const refused = async (client: TestClient, response: unknown) => {
      expectErrorEnvelope(await passkeySignIn(client, response), 401, 'invalid_second_factor');
      expectErrorEnvelope(await client.get('/api/profile'), 401, 'unauthenticated');
    };

    let attempt = await fresh();
    await refused(
      attempt.client,
      authenticator.get({ ...attempt.options, challenge: 'c29tZXRoaW5nIGVsc2U' }),
    );
    attempt = await fresh();
    await refused(
      attempt.client,
      authenticator.get(attempt.options, { origin: 'https://evil.example' }),
    );
    attempt = await fresh();
    await refused(attempt.client, authenticator.get(attempt.options, { rpId: 'evil.example' }));

    // A good assertion, then the same challenge again: single use.
    attempt = await fresh();
    const good = authenticator.get(attempt.options);
    expect((await passkeySignIn(attempt.client, good)).status).toBe(200);
    const replayer = new TestClient(testApp);
    await replayer.csrf();
    replayer.cookies.set(
      cookieNames.webauthn,
      attempt.client.cookies.get(cookieNames.webauthn) ?? 'gone',
    );
    await refused(replayer, good);

    // A cloned authenticator: its counter is behind the one the server saw last.
    attempt = await fresh();
    await refused(attempt.client, authenticator.get(attempt.options, { counter: 1 }));

    // The pending sign-in is Alice's; Mallory's passkey cannot finish it.
    const mallory = await createUser(testApp, { label: 'mallory' });
    const { authenticator: mallorys } = await registerPasskey(mallory);
    const { client } = await passwordStep(owner);
    const options = await passkeyOptions(client);
    await refused(client, mallorys.get(options));

    const failures = (await listAudit(admin.client)).filter(
      (e) =>
        e.type === 'login_failed' &&
        e.actorId === owner.user.id &&
        e.detail?.startsWith('passkey') === true,
    );
    expect(failures.length).toBeGreaterThanOrEqual(4);
  });

  it('renames and removes a passkey; another user’s is 404', async () => {
    const user = await createUser(testApp, { label: 'passkey-manage' });
    const { created } = await registerPasskey(user, 'Old name');
    const stranger = await createUser(testApp, { label: 'passkey-stranger' });
    expectErrorEnvelope(
      await stranger.client.patch(`/api/account/passkeys/${created.passkey.id}`, {
        name: 'Mine now',
      }),
      404,
      'not_found',
    );
    expectErrorEnvelope(
      await stranger.client.delete(`/api/account/passkeys/${created.passkey.id}`),
      404,
      'not_found',
    );
    expect(
      (await user.client.patch(`/api/account/passkeys/${created.passkey.id}`, { name: 'Phone' }))
        .status,
    ).toBe(204);
    const listed = await user.client.get<FactorsResponse>('/api/account/factors');
    expect(listed.body.passkeys.map((p) => p.name)).toEqual(['Phone']);
    expect((await user.client.delete(`/api/account/passkeys/${created.passkey.id}`)).status).toBe(
      204,
    );
    const after = await user.client.get<FactorsResponse>('/api/account/factors');
    expect(after.body).toMatchObject({ passkeys: [], recoveryCodes: { total: 0 } });
  });
});

describe('step-up for sensitive actions', () => {
  async function ageAuthentication(user: TestUser) {
    await testApp
      .db()
      .updateTable('sessions')
      .set({ auth_time: Date.now() - 11 * 60_000 })
      .where('user_id', '=', user.user.id)
      .execute();
    // The cached session state holds auth_time: a sign-out elsewhere is not needed, the cache
    // entry expires with the user's, so drop it the way a profile change does.
    expect((await user.client.patch('/api/profile', { name: user.name })).status).toBe(200);
  }

  it('an old authentication → 403 reauthentication_required; the password renews the session and the action goes through', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'step-up' }));
    const { user } = enrolled;
    await ageAuthentication(user);
    expectErrorEnvelope(
      await user.client.post('/api/account/recovery-codes'),
      403,
      'reauthentication_required',
    );
    expectErrorEnvelope(
      await user.client.get('/api/account/export'),
      403,
      'reauthentication_required',
    );
    // Ending sessions too: a stolen session cannot sign its owner out everywhere else.
    const listed = await user.client.get<SessionListResponse>('/api/account/sessions');
    expect(listed.status).toBe(200);
    const own = listed.body.sessions[0]?.id ?? '';
    expectErrorEnvelope(
      await user.client.delete(`/api/account/sessions/${own}`),
      403,
      'reauthentication_required',
    );
    expectErrorEnvelope(
      await user.client.post('/api/account/sessions/revoke-others', {}),
      403,
      'reauthentication_required',
    );

    expectErrorEnvelope(
      await user.client.post('/api/session/reauthenticate', {
        method: 'password',
        password: strongPassword(),
      }),
      401,
      'invalid_credentials',
    );
    const oldAccess = user.client.cookies.get(cookieNames.access) ?? '';
    const renewed = await user.client.post('/api/session/reauthenticate', {
      method: 'password',
      password: user.password,
    });
    expect(renewed.status, renewed.text).toBe(200);
    expect(renewed.setCookies.get(cookieNames.access)?.value).not.toBe(oldAccess);
    await user.client.csrf();
    expect((await user.client.post('/api/account/recovery-codes')).status).toBe(200);
    // The session before the step-up is over.
    const stale = new TestClient(testApp);
    stale.cookies.set(cookieNames.access, oldAccess);
    expectErrorEnvelope(await stale.get('/api/profile'), 401, 'unauthenticated');
  });

  it('a TOTP code or a passkey does as well', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'step-up-code' }));
    const { user } = enrolled;
    await ageAuthentication(user);
    const byCode = await user.client.post('/api/session/reauthenticate', {
      method: 'totp',
      code: totpCode(enrolled.key, enrolled.usedAt + STEP_MS),
    });
    expect(byCode.status, byCode.text).toBe(200);
    await user.client.csrf();

    const authenticator = new SoftAuthenticator(testApp.config.publicOrigin);
    const options = await user.client.post<WebAuthnOptionsResponse>(
      '/api/account/passkeys/options',
    );
    expect(
      (
        await user.client.post('/api/account/passkeys', {
          name: 'Key',
          response: authenticator.create(options.body.options as unknown as CreationOptions),
        })
      ).status,
    ).toBe(201);
    await ageAuthentication(user);
    const stepOptions = await user.client.post<WebAuthnOptionsResponse>(
      '/api/session/reauthenticate/passkey/options',
    );
    const byKey = await user.client.post('/api/session/reauthenticate/passkey', {
      response: authenticator.get(stepOptions.body.options as unknown as RequestOptions),
    });
    expect(byKey.status, byKey.text).toBe(200);
    await user.client.csrf();
    expect((await user.client.post('/api/account/recovery-codes')).status).toBe(200);
  });

  it('admin actions that grant or take away need it too', async () => {
    const other = await createUser(testApp, { role: 'admin', label: 'stepping-admin' });
    const target = await createUser(testApp, { label: 'step-target' });
    await ageAuthentication(other);
    expectErrorEnvelope(
      await other.client.patch(`/api/admin/users/${target.user.id}`, { role: 'admin' }),
      403,
      'reauthentication_required',
    );
    expectErrorEnvelope(
      await other.client.post(`/api/admin/users/${target.user.id}/disable`),
      403,
      'reauthentication_required',
    );
    // Reads and harmless actions do not.
    expect((await other.client.get('/api/admin/users')).status).toBe(200);
    expect((await other.client.post(`/api/admin/users/${target.user.id}/unlock`)).status).toBe(204);
  });
});

describe('admin reset of a user’s factors', () => {
  it('removes every factor, mails the user, is audited; the password signs in alone again', async () => {
    const enrolled = await enrolTotp(await createUser(testApp, { label: 'lost-phone' }));
    const res = await admin.client.post(`/api/admin/users/${enrolled.user.user.id}/reset-factors`);
    expect(res.status).toBe(204);
    await smtp.waitFor(
      (m) =>
        m.envelope.to.includes(enrolled.user.email) &&
        /second factors were reset/.test(m.parsed.subject ?? ''),
    );
    const { res: signIn } = await passwordStep(enrolled.user);
    expect('user' in signIn.body).toBe(true);
    const event = (await listAudit(admin.client)).find(
      (e) => e.type === 'factors_reset' && e.targetId === enrolled.user.user.id,
    );
    expect(event).toMatchObject({
      actorEmail: admin.email,
      targetEmail: enrolled.user.email,
      detail: '11 factor(s) and code(s) removed',
    });
  });
});

describe('MFA_REQUIRED_ROLES', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp({ MFA_REQUIRED_ROLES: 'admin' });
  });
  afterAll(async () => strict.close());

  it('an admin without a second factor can do nothing but enrol; then everything; the last factor stays', async () => {
    const boss = await createUser(strict, { role: 'admin', label: 'must-enrol' });
    expectErrorEnvelope(await boss.client.get('/api/admin/users'), 403, 'mfa_enrollment_required');
    expectErrorEnvelope(
      await boss.client.post('/api/notes', { title: 't', body: 'b' }),
      403,
      'mfa_enrollment_required',
    );
    expect((await boss.client.get('/api/profile')).status).toBe(200);
    const factors = await boss.client.get<FactorsResponse>('/api/account/factors');
    expect(factors.body.required).toBe(true);

    const started = await boss.client.post<TotpEnrolmentResponse>('/api/account/totp');
    const key = decodeBase32IgnorePadding(started.body.secret);
    expect(
      (await boss.client.post('/api/account/totp/confirm', { code: totpCode(key, Date.now()) }))
        .status,
    ).toBe(200);
    expect((await boss.client.get('/api/admin/users')).status).toBe(200);
    // Removing the only factor a role requires is refused.
    expectErrorEnvelope(
      await boss.client.delete('/api/account/totp'),
      403,
      'mfa_enrollment_required',
    );
    // Users are not affected.
    const member = await createUser(strict, { label: 'free' });
    expect((await member.client.post('/api/notes', { title: 't', body: 'b' })).status).toBe(201);
  });
});
