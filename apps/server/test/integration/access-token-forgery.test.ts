import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSigner, type Algorithm } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  startTestApp,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * RFC 8725 (JWT Best Current Practices) and RFC 9068 (JWT access tokens): the algorithm is pinned,
 * `typ` must be `at+jwt`, signature, issuer, audience and expiry are checked, the token's age is
 * bounded by the configured lifetime, and nothing is trusted because it merely decodes. Every
 * forgery below is made with the same tooling that makes the control token, which the server
 * accepts.
 */

/** The audience the server derives from PUBLIC_ORIGIN (lib/access-token.ts). */
const audience = () => `${testApp.config.publicOrigin}/api`;

let testApp: TestApp;
let victim: TestUser;
let other: TestUser;
let realSecret: string;
let victimClaims: { sub: string; sid: string };

/** Same derivation as apps/server/src/lib/access-token.ts: the kid is a digest of the key. */
function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 12);
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function sign(options: {
  key?: string;
  kid?: string;
  algorithm?: Algorithm;
  iss?: string | null;
  aud?: string | null;
  typ?: string;
  expiresInMs?: number;
  clockTimestamp?: number;
  claims?: Partial<{ sub: string; sid: string }>;
}): string {
  const key = options.key ?? realSecret;
  const signer = createSigner({
    key,
    algorithm: options.algorithm ?? 'HS256',
    kid: options.kid ?? keyId(realSecret),
    header: { alg: options.algorithm ?? 'HS256', typ: options.typ ?? 'at+jwt' },
    ...(options.iss === null ? {} : { iss: options.iss ?? testApp.config.publicOrigin }),
    ...(options.aud === null ? {} : { aud: options.aud ?? audience() }),
    expiresIn: options.expiresInMs ?? 60_000,
    ...(options.clockTimestamp !== undefined ? { clockTimestamp: options.clockTimestamp } : {}),
  });
  return signer({ ...victimClaims, ...options.claims });
}

function profileWith(accessToken: string) {
  const client = new TestClient(testApp);
  client.cookies.set(cookieNames.access, accessToken);
  return client.get<{ user: User }>('/api/profile');
}

async function expectRefused(accessToken: string): Promise<void> {
  expectErrorEnvelope(await profileWith(accessToken), 401, 'unauthenticated');
}

/**
 * The control first: the same tooling, with nothing changed, makes a token the server accepts;
 * so the refusal below is for the one thing the forgery changes.
 */
async function expectRefusedWhereControlPasses(forged: string): Promise<void> {
  expect((await profileWith(sign({}))).status).toBe(200);
  await expectRefused(forged);
}

beforeAll(async () => {
  testApp = await startTestApp();
  victim = await createUser(testApp, { label: 'victim' });
  other = await createUser(testApp, { label: 'other' });
  const stored = JSON.parse(readFileSync(path.join(testApp.dataDir, 'secrets.json'), 'utf8')) as {
    jwtSecret: string;
  };
  realSecret = stored.jwtSecret;
  const [, payload] = (victim.client.cookies.get(cookieNames.access) ?? '').split('.');
  const decoded = decodePart(payload);
  victimClaims = { sub: String(decoded.sub), sid: String(decoded.sid) };
});

afterAll(async () => {
  await testApp.close();
});

describe('control: tokens the server really issues, or signs the same way, are accepted', () => {
  it('the access cookie from login works', async () => {
    const res = await profileWith(victim.client.cookies.get(cookieNames.access) ?? '');
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(victim.user.id);
  });

  it('a token signed here with the real key, kid, issuer and audience works', async () => {
    const res = await profileWith(sign({}));
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(victim.user.id);
  });
});

describe('forged access tokens on GET /api/profile → 401 unauthenticated', () => {
  it('tampered payload (sub changed to another user, signature kept)', async () => {
    const [header, payload, signature] = sign({}).split('.');
    const claims = decodePart(payload);
    const tampered = `${header}.${encodePart({ ...claims, sub: other.user.id })}.${signature}`;
    await expectRefused(tampered);
  });

  it('alg: none (unsigned)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = encodePart({ alg: 'none', typ: 'at+jwt', kid: keyId(realSecret) });
    const payload = encodePart({
      ...victimClaims,
      iss: testApp.config.publicOrigin,
      aud: audience(),
      iat: now,
      exp: now + 60,
    });
    await expectRefused(`${header}.${payload}.`);
    await expectRefused(`${header}.${payload}`);
  });

  it('alg: "None" and "NONE" spellings', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = encodePart({
      ...victimClaims,
      iss: testApp.config.publicOrigin,
      aud: audience(),
      iat: now,
      exp: now + 60,
    });
    for (const alg of ['None', 'NONE', 'nOnE']) {
      await expectRefused(
        `${encodePart({ alg, typ: 'at+jwt', kid: keyId(realSecret) })}.${payload}.`,
      );
    }
  });

  it('signed with a wrong key (real kid)', async () => {
    await expectRefused(sign({ key: 'an-attacker-chosen-secret-of-enough-length-0123456789' }));
  });

  it('signed with a wrong key (its own kid)', async () => {
    const key = 'an-attacker-chosen-secret-of-enough-length-0123456789';
    await expectRefused(sign({ key, kid: keyId(key) }));
  });

  it('expired (real key, exp in the past)', async () => {
    const anHourAgo = Date.now() - 3_600_000;
    await expectRefused(sign({ clockTimestamp: anHourAgo, expiresInMs: 60_000 }));
  });

  it('HS512 with the real key instead of HS256', async () => {
    await expectRefused(sign({ algorithm: 'HS512' }));
  });

  it('HS384 with the real key instead of HS256', async () => {
    await expectRefused(sign({ algorithm: 'HS384' }));
  });

  it('wrong issuer', async () => {
    await expectRefused(sign({ iss: 'https://evil.example' }));
  });

  it('wrong audience', async () => {
    await expectRefused(sign({ aud: 'some-other-api' }));
  });

  it('the audience the server used before it was derived from PUBLIC_ORIGIN', async () => {
    await expectRefusedWhereControlPasses(sign({ aud: 'portcullis-api' }));
  });

  it('without iss (real key and kid)', async () => {
    await expectRefusedWhereControlPasses(sign({ iss: null }));
  });

  it('without aud (real key and kid)', async () => {
    await expectRefusedWhereControlPasses(sign({ aud: null }));
  });

  it('iat a year in the future (real key and kid, exp a minute after it)', async () => {
    await expectRefusedWhereControlPasses(
      sign({ clockTimestamp: Date.now() + 365 * 24 * 3_600_000 }),
    );
  });

  it('exp ten years out (real key and kid, iat now)', async () => {
    await expectRefusedWhereControlPasses(sign({ expiresInMs: 10 * 365 * 24 * 3_600_000 }));
  });

  it('typ JWT instead of at+jwt (real key and kid): another kind of token cannot stand in', async () => {
    await expectRefusedWhereControlPasses(sign({ typ: 'JWT' }));
  });

  it("a valid signature whose sid belongs to another user's session", async () => {
    await expectRefused(sign({ claims: { sub: other.user.id } }));
  });

  it('a session id that does not exist', async () => {
    await expectRefused(sign({ claims: { sid: '00000000-0000-4000-8000-000000000000' } }));
  });

  it('a hand-made HS256 token without the sid claim', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = encodePart({ alg: 'HS256', typ: 'at+jwt', kid: keyId(realSecret) });
    const payload = encodePart({
      sub: victimClaims.sub,
      iss: testApp.config.publicOrigin,
      aud: audience(),
      iat: now,
      exp: now + 60,
    });
    const signature = createHmac('sha256', realSecret)
      .update(`${header}.${payload}`)
      .digest('base64url');
    await expectRefused(`${header}.${payload}.${signature}`);
  });

  it('garbage in the cookie', async () => {
    for (const junk of [
      '',
      'x',
      'a.b.c',
      '....',
      'eyJ.eyJ.',
      '\u00e9\u00e9.\u00e9',
      'e'.repeat(8000),
    ]) {
      const res = await profileWith(junk);
      expect(res.status, junk.slice(0, 20)).toBe(401);
    }
  });
});
