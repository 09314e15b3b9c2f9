import { randomBytes } from 'node:crypto';
import { type Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '@portcullis/contract/errors';
import { PASSWORD_ILL_FORMED_MESSAGE } from '@portcullis/contract/password-policy';
import { ARGON2ID_PARAMS } from '../../src/lib/password-hasher.js';
import { SmtpTestServer, type ReceivedMail } from '../support/smtp-test-server.js';
import {
  createUser,
  expectErrorEnvelope,
  markVerified,
  startTestApp,
  TestClient,
  uniqueEmail,
  type TestApp,
  type TestResponse,
} from '../support/test-app.js';

/**
 * NIST SP 800-63B §5.1.1.2: passwords are compared in one canonical form (NFKC), and text that is
 * not well-formed Unicode is refused rather than hashed as U+FFFD. Hashes stored before the
 * canonical form (marked `raw`) still sign in, and are upgraded by that sign-in.
 */

let smtp: SmtpTestServer;
let testApp: TestApp;

beforeAll(async () => {
  smtp = await SmtpTestServer.start();
  testApp = await startTestApp({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    SMTP_REQUIRE_TLS: 'false',
    PUBLIC_ORIGIN: 'https://localhost:8443',
  });
});

afterAll(async () => {
  await testApp.close();
  await smtp.stop();
});

/** "café" precomposed (NFC, U+00E9) or decomposed (NFD, "e" + U+0301): the same to a reader. */
function accented(form: 'NFC' | 'NFD'): string {
  return `caf\u00e9-plinth-quarry-${randomBytes(4).toString('hex')}`.normalize(form);
}

const loneSurrogates = '\uD800'.repeat(12);
const withLoneSurrogate = `plinth-quarry-velvet-\uDC00`;

function expectIllFormed(res: TestResponse<ErrorBody>, field: string): void {
  expectErrorEnvelope(res, 400, 'validation_failed');
  expect(res.body.error.fields).toEqual([{ path: field, message: PASSWORD_ILL_FORMED_MESSAGE }]);
}

function storedPassword(email: string) {
  return testApp
    .db()
    .selectFrom('credentials')
    .innerJoin('users', 'users.id', 'credentials.user_id')
    .select(['credentials.secret', 'credentials.secret_form'])
    .where('users.email', '=', email)
    .where('credentials.kind', '=', 'password')
    .executeTakeFirstOrThrow();
}

async function registerVerified(password: string): Promise<string> {
  const email = uniqueEmail('canonical');
  const res = await new TestClient(testApp).register(email, password, 'Canonical Form');
  expect(res.status).toBe(202);
  await markVerified(testApp, email);
  return email;
}

describe('one canonical form (NFKC) for every hash and verify', () => {
  it('a password registered in NFC signs in typed in NFD (and the reverse)', async () => {
    const nfc = accented('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const email = await registerVerified(nfc);
    expect((await storedPassword(email)).secret_form).toBe('nfkc');
    expect((await new TestClient(testApp).login(email, nfd)).status).toBe(200);

    const decomposed = accented('NFD');
    const otherEmail = await registerVerified(decomposed);
    const signIn = await new TestClient(testApp).login(otherEmail, decomposed.normalize('NFC'));
    expect(signIn.status).toBe(200);
  });

  it('a new password set by a change is hashed in NFKC: typed in NFD afterwards, it signs in', async () => {
    const owner = await createUser(testApp, { label: 'change-nfc' });
    const newPassword = accented('NFC');
    const res = await owner.client.post('/api/profile/password', {
      currentPassword: owner.password,
      newPassword,
    });
    expect(res.status).toBe(204);
    const again = new TestClient(testApp);
    expect((await again.login(owner.email, newPassword.normalize('NFD'))).status).toBe(200);
  });
});

describe('ill-formed Unicode is refused: 400 validation_failed with the contract message', () => {
  it('at registration: twelve lone surrogates, and one lone surrogate after good text', async () => {
    for (const password of [loneSurrogates, withLoneSurrogate]) {
      const res = await new TestClient(testApp).post('/api/register', {
        email: uniqueEmail('lone'),
        password,
        name: 'Lone Surrogate',
      });
      expectIllFormed(res, 'password');
    }
  });

  it('at a password change (new password), and as the current password', async () => {
    const owner = await createUser(testApp, { label: 'change-lone' });
    expectIllFormed(
      await owner.client.post('/api/profile/password', {
        currentPassword: owner.password,
        newPassword: withLoneSurrogate,
      }),
      'newPassword',
    );
    expectIllFormed(
      await owner.client.post('/api/profile/password', {
        currentPassword: loneSurrogates,
        newPassword: accented('NFC'),
      }),
      'currentPassword',
    );
    // Nothing changed: the old password still signs in.
    expect((await new TestClient(testApp).login(owner.email, owner.password)).status).toBe(200);
  });

  it('at a reset, and the link stays usable for a well-formed password', async () => {
    const owner = await createUser(testApp, { label: 'reset-lone' });
    const before = smtp.received.length;
    await new TestClient(testApp).post('/api/password/forgot', { email: owner.email });
    const token = tokenIn(
      await smtp.waitFor(
        (mail) => mail.envelope.to.includes(owner.email) && smtp.received.indexOf(mail) >= before,
      ),
    );
    expectIllFormed(
      await new TestClient(testApp).post('/api/password/reset', {
        token,
        newPassword: withLoneSurrogate,
      }),
      'newPassword',
    );
    const good = accented('NFD');
    const reset = await new TestClient(testApp).post('/api/password/reset', {
      token,
      newPassword: good,
    });
    expect(reset.status).toBe(204);
    expect((await new TestClient(testApp).login(owner.email, good.normalize('NFC'))).status).toBe(
      200,
    );
  });

  it('at sign-in: twelve lone surrogates are not "\\uFFFD" twelve times', async () => {
    const email = await registerVerified('\uFFFD'.repeat(6) + 'plinth');
    const client = new TestClient(testApp);
    await client.csrf();
    expectIllFormed(
      await client.post('/api/login', { email, password: '\uD800'.repeat(6) + 'plinth' }),
      'password',
    );
  });
});

describe('hashes stored before the canonical form (secret_form raw)', () => {
  it('verify against the string as typed, then are rehashed in NFKC at that sign-in', async () => {
    const owner = await createUser(testApp, { label: 'legacy' });
    const nfc = accented('NFC');
    // A hash as the server made it before: Argon2id of the password exactly as it was typed.
    // `Algorithm` is an ambient const enum; 2 is Argon2id (as in src/lib/password-hasher.ts).
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- see above
    const algorithm = 2 as Algorithm.Argon2id;
    const legacyHash = await argon2Hash(nfc, { ...ARGON2ID_PARAMS, algorithm });
    await testApp
      .db()
      .updateTable('credentials')
      .set({ secret: legacyHash, secret_form: 'raw' })
      .where('user_id', '=', owner.user.id)
      .where('kind', '=', 'password')
      .execute();

    // Typed in another form, a raw hash cannot match (one verify, against the raw string).
    expect((await new TestClient(testApp).login(owner.email, nfc.normalize('NFD'))).status).toBe(
      401,
    );
    expect(await storedPassword(owner.email)).toEqual({ secret: legacyHash, secret_form: 'raw' });

    expect((await new TestClient(testApp).login(owner.email, nfc)).status).toBe(200);
    const upgraded = await storedPassword(owner.email);
    expect(upgraded.secret_form).toBe('nfkc');
    expect(upgraded.secret).not.toBe(legacyHash);
    expect(upgraded.secret).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    expect((await new TestClient(testApp).login(owner.email, nfc.normalize('NFD'))).status).toBe(
      200,
    );
  });
});

/** The token of the reset link in a message. */
function tokenIn(mail: ReceivedMail): string {
  const match = /https:\/\/localhost:8443\/reset-password#token=([A-Za-z0-9_-]+)/.exec(
    mail.parsed.text ?? '',
  );
  if (match?.[1] === undefined) throw new Error('no reset link');
  return match[1];
}
