import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import type { ErrorBody } from '@portcullis/contract/errors';
import { SmtpTestServer, unusedPort, type ReceivedMail } from '../support/smtp-test-server.js';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestResponse,
} from '../support/test-app.js';

/**
 * Accounts people can recover, end to end over real SMTP (an smtp-server in this process): what
 * the app mails is read back, its link followed, and every bad token refused the same way.
 */

let smtp: SmtpTestServer;
let testApp: TestApp;
let admin: TestClient;

beforeAll(async () => {
  smtp = await SmtpTestServer.start();
  testApp = await startTestApp({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    SMTP_REQUIRE_TLS: 'false',
    PUBLIC_ORIGIN: 'https://localhost:8443',
  });
  admin = (await createUser(testApp, { role: 'admin' })).client;
});

afterAll(async () => {
  await testApp.close();
  await smtp.stop();
});

/** The newest message to `to` whose subject matches, once it arrives. */
async function mailTo(to: string, subject: RegExp, after = 0): Promise<ReceivedMail> {
  return smtp.waitFor(
    (mail) =>
      mail.envelope.to.includes(to) &&
      subject.test(mail.parsed.subject ?? '') &&
      smtp.received.indexOf(mail) >= after,
  );
}

/** The token of the link to `path` in a message (both parts carry it). */
function tokenIn(mail: ReceivedMail, path: string): string {
  const text = mail.parsed.text ?? '';
  const match = new RegExp(`https://localhost:8443${path}#token=([A-Za-z0-9_-]+)`).exec(text);
  if (match?.[1] === undefined) throw new Error(`no ${path} link in: ${text}`);
  expect(String(mail.parsed.html)).toContain(`${path}#token=${match[1]}`);
  return match[1];
}

function mailCount(to: string): number {
  return smtp.received.filter((mail) => mail.envelope.to.includes(to)).length;
}

async function register(email: string, password = strongPassword()) {
  const client = new TestClient(testApp);
  const res = await client.register(email, password, 'Recoverable');
  expect(res.status).toBe(202);
  return { client, password };
}

async function registerAndVerify(email: string) {
  const account = await register(email);
  const token = tokenIn(await mailTo(email, /Confirm your email/), '/verify-email');
  expect((await new TestClient(testApp).post('/api/verify-email', { token })).status).toBe(200);
  return account;
}

function expectInvalidToken(res: TestResponse<unknown>): void {
  expectErrorEnvelope(res, 400, 'invalid_token');
}

describe('registration without enumeration, and email verification', () => {
  it('a new address gets a verification link; following it verifies the account', async () => {
    const email = uniqueEmail('verify');
    const { client, password } = await register(email);
    const mail = await mailTo(email, /Confirm your email/);
    expect(mail.parsed.from?.text).toContain('Portcullis');
    expect(mail.parsed.text).toContain('Portcullis');
    const token = tokenIn(mail, '/verify-email');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Signed in but unverified: only the session and the resend answer.
    expect((await client.login(email, password)).status).toBe(200);
    const session = await client.get<{ user: User }>('/api/session');
    expect(session.body.user.emailVerified).toBe(false);
    expectErrorEnvelope(await client.get('/api/notes'), 403, 'email_not_verified');
    expectErrorEnvelope(await client.get('/api/profile'), 403, 'email_not_verified');

    const verified = await new TestClient(testApp).post<{ user: User }>('/api/verify-email', {
      token,
    });
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ email, emailVerified: true });
    // The live session sees it at once (its cached state was dropped).
    expect((await client.get('/api/notes')).status).toBe(200);
    // Single use.
    expectInvalidToken(await new TestClient(testApp).post('/api/verify-email', { token }));
  });

  it('an address with an account gets the same 202 and a "someone tried to register" notice', async () => {
    const email = uniqueEmail('taken');
    await registerAndVerify(email);
    const before = smtp.received.length;
    const again = await new TestClient(testApp).register(
      email.toUpperCase(),
      strongPassword(),
      'Impostor',
    );
    expect(again.status).toBe(202);
    expect(again.text).toBe('{"status":"accepted"}');
    const notice = await mailTo(email, /tried to (register|create)|already/i, before);
    expect(notice.parsed.text).toContain('https://localhost:8443/forgot-password');
    expect(notice.parsed.text).not.toContain('#token=');
  });

  it('a look-alike address (Cyrillic а) is another mailbox: it never reaches the original owner', async () => {
    const local = `lookalike${Date.now()}`;
    const original = `${local}@example.test`;
    await registerAndVerify(original);
    const before = mailCount(original);
    const lookalike = `${local.replace('a', '\u0430')}@example.test`;
    const res = await new TestClient(testApp).register(lookalike, strongPassword(), 'Look');
    // The address is either refused as invalid or treated as its own, unverified mailbox.
    if (res.status === 202) {
      await mailTo(lookalike, /Confirm your email/);
    } else {
      expectErrorEnvelope(res, 400, 'validation_failed');
    }
    expect(mailCount(original)).toBe(before);
  });

  it('resend: from the signed-in unverified user and anonymously, limited per address (429 with Retry-After)', async () => {
    const email = uniqueEmail('resend');
    const { client, password } = await register(email);
    expect((await client.login(email, password)).status).toBe(200);
    const statuses: number[] = [];
    let limited: TestResponse<ErrorBody> | undefined;
    for (let i = 0; i < 100 && limited === undefined; i++) {
      const res = await client.post('/api/verify-email/resend', {});
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(limited).toBeDefined();
    if (limited === undefined) return;
    expectErrorEnvelope(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Three resends at most reached the mailbox, besides the first link.
    await mailTo(email, /Confirm your email/);
    expect(mailCount(email)).toBeLessThanOrEqual(4);
    // Anonymous resend for an unknown address: the same 202, and nothing is sent.
    const ghost = uniqueEmail('ghost');
    const anonymous = await new TestClient(testApp).post('/api/verify-email/resend', {
      email: ghost,
    });
    expect(anonymous.status).toBe(202);
    expect(mailCount(ghost)).toBe(0);
  });
});

describe('password reset', () => {
  it('known and unknown addresses get the same answer; only the account is mailed', async () => {
    const email = uniqueEmail('forgot');
    await registerAndVerify(email);
    const ghost = uniqueEmail('nobody');
    const known = await new TestClient(testApp).post('/api/password/forgot', { email });
    const unknown = await new TestClient(testApp).post('/api/password/forgot', { email: ghost });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(known.text).toBe(unknown.text);
    await mailTo(email, /Reset your/);
    expect(mailCount(ghost)).toBe(0);
  });

  it('the link sets a new password under the policy, ends every session, lifts the lock, tells the owner; single use', async () => {
    const email = uniqueEmail('reset');
    const { password } = await registerAndVerify(email);
    const signedIn = new TestClient(testApp);
    expect((await signedIn.login(email, password)).status).toBe(200);
    await new TestClient(testApp).post('/api/password/forgot', { email });
    const token = tokenIn(await mailTo(email, /Reset your/), '/reset-password');

    const weak = await new TestClient(testApp).post('/api/password/reset', {
      token,
      newPassword: 'password1234',
    });
    expectErrorEnvelope(weak, 400, 'breached_password');

    const newPassword = strongPassword();
    const before = smtp.received.length;
    const reset = await new TestClient(testApp).post('/api/password/reset', {
      token,
      newPassword,
    });
    expect(reset.status).toBe(204);
    // The session from before is gone at its next request.
    expectErrorEnvelope(await signedIn.get('/api/notes'), 401, 'unauthenticated');
    expect((await new TestClient(testApp).login(email, password)).status).toBe(401);
    expect((await new TestClient(testApp).login(email, newPassword)).status).toBe(200);
    const changed = await mailTo(email, /password was changed|password changed/i, before);
    expect(changed.parsed.text).toContain('/not-me#token=');
    expectInvalidToken(
      await new TestClient(testApp).post('/api/password/reset', {
        token,
        newPassword: strongPassword(),
      }),
    );
    const events = await listAudit(admin);
    expect(events.some((e) => e.type === 'password_reset' && e.actorEmail === email)).toBe(true);
  });

  it('the reset lifts an account-wide lock set by guesses from many addresses', async () => {
    const proxied = await startTestApp({
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SMTP_REQUIRE_TLS: 'false',
      PUBLIC_ORIGIN: 'https://localhost:8443',
      TRUST_PROXY: '127.0.0.1',
    });
    try {
      const email = uniqueEmail('unlock');
      const password = strongPassword();
      expect((await new TestClient(proxied).register(email, password, 'Locked')).status).toBe(202);
      const verify = tokenIn(await mailTo(email, /Confirm your email/), '/verify-email');
      expect(
        (await new TestClient(proxied).post('/api/verify-email', { token: verify })).status,
      ).toBe(200);
      const from = (n: number) => ({ headers: { 'x-forwarded-for': `198.51.100.${n}` } });
      for (let n = 1; n <= 21; n++) {
        const guess = new TestClient(proxied);
        await guess.csrf();
        await guess.post('/api/login', { email, password: strongPassword() }, from(n));
      }
      const owner = new TestClient(proxied);
      await owner.csrf();
      expectErrorEnvelope(
        await owner.post('/api/login', { email, password }, from(99)),
        429,
        'too_many_attempts',
      );
      const before = smtp.received.length;
      await new TestClient(proxied).post('/api/password/forgot', { email }, from(98));
      const token = tokenIn(await mailTo(email, /Reset your/, before), '/reset-password');
      const newPassword = strongPassword();
      expect(
        (
          await new TestClient(proxied).post(
            '/api/password/reset',
            { token, newPassword },
            from(97),
          )
        ).status,
      ).toBe(204);
      expect(
        (await owner.post('/api/login', { email, password: newPassword }, from(99))).status,
      ).toBe(200);
    } finally {
      await proxied.close();
    }
  });

  it('a newer link voids the older; a password change voids an open link', async () => {
    const email = uniqueEmail('newer');
    const { password } = await registerAndVerify(email);
    await new TestClient(testApp).post('/api/password/forgot', { email });
    const first = tokenIn(await mailTo(email, /Reset your/), '/reset-password');
    const before = smtp.received.length;
    await new TestClient(testApp).post('/api/password/forgot', { email });
    const second = tokenIn(await mailTo(email, /Reset your/, before), '/reset-password');
    expect(second).not.toBe(first);
    expectInvalidToken(
      await new TestClient(testApp).post('/api/password/reset', {
        token: first,
        newPassword: strongPassword(),
      }),
    );
    const owner = new TestClient(testApp);
    expect((await owner.login(email, password)).status).toBe(200);
    expect(
      (
        await owner.post('/api/profile/password', {
          currentPassword: password,
          newPassword: strongPassword(),
        })
      ).status,
    ).toBe(204);
    expectInvalidToken(
      await new TestClient(testApp).post('/api/password/reset', {
        token: second,
        newPassword: strongPassword(),
      }),
    );
  });

  it('tampered, truncated, other-purpose and made-up tokens all get the one generic refusal', async () => {
    const email = uniqueEmail('tamper');
    await register(email);
    const verifyToken = tokenIn(await mailTo(email, /Confirm your email/), '/verify-email');
    const flipped = `${verifyToken.slice(0, -1)}${verifyToken.endsWith('A') ? 'B' : 'A'}`;
    const client = new TestClient(testApp);
    for (const token of [flipped, verifyToken.slice(0, 20), 'x'.repeat(43)]) {
      expectInvalidToken(
        await client.post('/api/password/reset', { token, newPassword: strongPassword() }),
      );
      expectInvalidToken(await client.post('/api/verify-email', { token }));
    }
    // A verification token is no reset token, nor an undo token.
    expectInvalidToken(
      await client.post('/api/password/reset', {
        token: verifyToken,
        newPassword: strongPassword(),
      }),
    );
    expectInvalidToken(await client.post('/api/email-change/undo', { token: verifyToken }));
    // Malformed tokens are refused by the schema before any lookup.
    expectErrorEnvelope(
      await client.post('/api/verify-email', { token: 'not a token!' }),
      400,
      'validation_failed',
    );
    // It still works for its own purpose.
    expect((await client.post('/api/verify-email', { token: verifyToken })).status).toBe(200);
  });
});

describe('email change with confirmation and undo', () => {
  it('changes only once the new address confirms; the old one can undo and every session ends', async () => {
    const email = uniqueEmail('move');
    const { password } = await registerAndVerify(email);
    const owner = new TestClient(testApp);
    expect((await owner.login(email, password)).status).toBe(200);

    const wrong = await owner.post('/api/profile/email', {
      currentPassword: strongPassword(),
      newEmail: uniqueEmail('x'),
    });
    expectErrorEnvelope(wrong, 401, 'invalid_credentials');

    const newEmail = uniqueEmail('moved');
    const requested = await owner.post('/api/profile/email', {
      currentPassword: password,
      newEmail,
    });
    expect(requested.status).toBe(202);
    // Nothing changed yet.
    expect((await owner.get<{ user: User }>('/api/profile')).body.user.email).toBe(email);

    const confirmToken = tokenIn(await mailTo(newEmail, /Confirm your new/i), '/confirm-email');
    const confirmed = await new TestClient(testApp).post<{ user: User }>(
      '/api/email-change/confirm',
      { token: confirmToken },
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.user.email).toBe(newEmail);
    expect((await owner.get<{ user: User }>('/api/profile')).body.user.email).toBe(newEmail);

    const notice = await mailTo(email, /email address of your .+ was changed/);
    expect(notice.parsed.text).not.toContain(newEmail);
    const undoToken = tokenIn(notice, '/undo-email-change');
    const undone = await new TestClient(testApp).post('/api/email-change/undo', {
      token: undoToken,
    });
    expect(undone.status).toBe(204);
    expectErrorEnvelope(await owner.get('/api/profile'), 401, 'unauthenticated');
    expect((await new TestClient(testApp).login(email, password)).status).toBe(200);
    expect((await new TestClient(testApp).login(newEmail, password)).status).toBe(401);
    expectInvalidToken(
      await new TestClient(testApp).post('/api/email-change/undo', { token: undoToken }),
    );
  });

  it('an address that belongs to another account gets the same 202 and no link', async () => {
    const taken = uniqueEmail('occupied');
    await registerAndVerify(taken);
    const mover = await createUser(testApp, { label: 'mover' });
    const before = mailCount(taken);
    const res = await mover.client.post('/api/profile/email', {
      currentPassword: mover.password,
      newEmail: taken,
    });
    expect(res.status).toBe(202);
    expect(mailCount(taken)).toBe(before);
  });
});

describe('security notices', () => {
  it('a sign-in from a new device is mailed with a "this wasn’t me" link that ends every session', async () => {
    const email = uniqueEmail('device');
    const { password } = await registerAndVerify(email);
    const first = new TestClient(testApp);
    expect((await first.login(email, password)).status).toBe(200);
    const device = first.cookies.get(cookieNames.device);
    expect(device).toMatch(/^[\w-]{43}$/);
    // The first device is where the account began: nothing to report. The same device again: none.
    const quiet = mailCount(email);
    expect((await first.login(email, password)).status).toBe(200);

    const other = new TestClient(testApp);
    expect((await other.login(email, password)).status).toBe(200);
    const notice = await mailTo(email, /new (device|sign-in)/i);
    expect(mailCount(email)).toBe(quiet + 1);
    expect(notice.parsed.text).toContain('127.0.0.1');
    const token = tokenIn(notice, '/not-me');
    expect((await new TestClient(testApp).post('/api/security/not-me', { token })).status).toBe(
      204,
    );
    expectErrorEnvelope(await first.get('/api/notes'), 401, 'unauthenticated');
    expectErrorEnvelope(await other.get('/api/notes'), 401, 'unauthenticated');
  });

  it('a lockout is mailed to the owner once', async () => {
    const email = uniqueEmail('lockmail');
    await registerAndVerify(email);
    const attacker = new TestClient(testApp);
    for (let i = 0; i < 6; i++) await attacker.login(email, strongPassword());
    const locked = await mailTo(email, /is paused/);
    expect(locked.parsed.text).toContain('https://localhost:8443/forgot-password');
  });
});

describe('mail server down', () => {
  it('the request succeeds and the message goes out when the server returns', async () => {
    const port = await unusedPort();
    const offline = await startTestApp({
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      SMTP_REQUIRE_TLS: 'false',
      PUBLIC_ORIGIN: 'https://localhost:8443',
    });
    try {
      const email = uniqueEmail('queued');
      const res = await new TestClient(offline).register(email, strongPassword(), 'Queued');
      expect(res.status).toBe(202);
      const back = await SmtpTestServer.start({ port });
      try {
        const mail = await back.waitFor((m) => m.envelope.to.includes(email), 30_000);
        expect(mail.parsed.subject).toMatch(/Confirm your email/);
      } finally {
        await back.stop();
      }
    } finally {
      await offline.close();
    }
  }, 60_000);
});
