import { createHash, createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessTokenService, accessTokenAudience } from '../../src/lib/access-token.js';

const issuer = 'https://localhost';
const audience = accessTokenAudience(issuer);
const current = 'c'.repeat(64);
const previous = 'p'.repeat(64);
const claims = { sub: 'user-1', sid: 'session-1' };

function service(secrets: string[], ttlSeconds = 900) {
  return new AccessTokenService({ secrets, issuer, audience, ttlSeconds });
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A token signed by hand with the service's own key and kid, so only the part under test differs
 * from one the service issues.
 */
function handMade(
  secret: string,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const kid = createHash('sha256').update(secret).digest('base64url').slice(0, 12);
  const head = encodePart({ alg: 'HS256', typ: 'at+jwt', kid, ...header });
  const body = encodePart(payload);
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

function validPayload(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { ...claims, iss: issuer, aud: audience, iat: now, exp: now + 900 };
}

function withPayload(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  change(decoded);
  return `${header}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
}

describe('AccessTokenService', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('verifies its own tokens, again from the cache', () => {
    const tokens = service([current]);
    const token = tokens.issue(claims);
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.verify(token)).toEqual(claims);
  });

  it('refuses a token whose payload was changed after a verified copy was cached', () => {
    const tokens = service([current]);
    const token = tokens.issue(claims);
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.verify(withPayload(token, (p) => (p.sub = 'admin-1')))).toBeUndefined();
  });

  it('refuses a cached token once it has expired', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokens = service([current], 60);
    const token = tokens.issue(claims);
    expect(tokens.verify(token)).toEqual(claims);
    vi.setSystemTime(Date.now() + 61_000);
    expect(tokens.verify(token)).toBeUndefined();
  });

  it('verifies tokens of a previous key after rotation, and refuses unknown keys', () => {
    const before = service([previous]).issue(claims);
    const rotated = service([current, previous]);
    expect(rotated.verify(before)).toEqual(claims);
    expect(service([current]).verify(before)).toBeUndefined();
    expect(service(['u'.repeat(64)]).verify(rotated.issue(claims))).toBeUndefined();
  });

  it('refuses alg none and headers it does not produce', () => {
    const tokens = service([current]);
    const [, payload] = tokens.issue(claims).split('.') as [string, string];
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(tokens.verify(`${none}.${payload}.`)).toBeUndefined();
    expect(tokens.verify('not-a-token')).toBeUndefined();
    expect(tokens.verify('')).toBeUndefined();
  });

  it('writes typ at+jwt in the header (RFC 9068 §2.1) and the derived audience', () => {
    const [header, payload] = service([current]).issue(claims).split('.') as [string, string];
    expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toMatchObject({
      alg: 'HS256',
      typ: 'at+jwt',
    });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toMatchObject({
      iss: 'https://localhost',
      aud: 'https://localhost/api',
    });
  });

  describe('tokens signed with the right key and kid, refused for one claim or header each', () => {
    const tokens = service([current]);
    /** Verifies `forged` after showing the same token with every claim right is accepted. */
    const verifyBesideControl = (forged: string) => {
      expect(tokens.verify(handMade(current, validPayload()))).toEqual(claims);
      return tokens.verify(forged);
    };

    it('control: the hand-made token with every claim right is accepted', () => {
      expect(verifyBesideControl(handMade(current, validPayload()))).toEqual(claims);
    });

    it('without iss (RFC 7519 §4.1.1 required here)', () => {
      const payload = validPayload();
      delete payload.iss;
      expect(verifyBesideControl(handMade(current, payload))).toBeUndefined();
    });

    it('without aud (RFC 9068 §2.2)', () => {
      const payload = validPayload();
      delete payload.aud;
      expect(verifyBesideControl(handMade(current, payload))).toBeUndefined();
    });

    it('with another audience', () => {
      expect(
        verifyBesideControl(handMade(current, { ...validPayload(), aud: 'portcullis-api' })),
      ).toBeUndefined();
    });

    it('with iat a year in the future', () => {
      const inAYear = Math.floor(Date.now() / 1000) + 365 * 24 * 3600;
      const token = handMade(current, { ...validPayload(), iat: inAYear, exp: inAYear + 900 });
      expect(verifyBesideControl(token)).toBeUndefined();
    });

    it('with iat 31 s ahead (beyond the 30 s skew), while 29 s ahead is accepted', () => {
      const now = Math.floor(Date.now() / 1000);
      expect(
        verifyBesideControl(
          handMade(current, { ...validPayload(), iat: now + 29, exp: now + 29 + 900 }),
        ),
      ).toEqual(claims);
      expect(
        verifyBesideControl(
          handMade(current, { ...validPayload(), iat: now + 31, exp: now + 31 + 900 }),
        ),
      ).toBeUndefined();
    });

    it('with exp ten years out (exp - iat above the 900 s lifetime)', () => {
      const now = Math.floor(Date.now() / 1000);
      const token = handMade(current, { ...validPayload(), exp: now + 10 * 365 * 24 * 3600 });
      expect(verifyBesideControl(token)).toBeUndefined();
    });

    it('with exp - iat one second above the lifetime', () => {
      const now = Math.floor(Date.now() / 1000);
      expect(
        verifyBesideControl(handMade(current, { ...validPayload(), exp: now + 901 })),
      ).toBeUndefined();
    });

    it('issued longer ago than the lifetime (now - iat), even with exp still ahead', () => {
      const now = Math.floor(Date.now() / 1000);
      const token = handMade(current, { ...validPayload(), iat: now - 901, exp: now + 60 });
      expect(verifyBesideControl(token)).toBeUndefined();
    });

    it('with typ JWT instead of at+jwt', () => {
      expect(
        verifyBesideControl(handMade(current, validPayload(), { typ: 'JWT' })),
      ).toBeUndefined();
    });

    it('with no typ at all', () => {
      expect(
        verifyBesideControl(handMade(current, validPayload(), { typ: undefined })),
      ).toBeUndefined();
    });
  });
});
