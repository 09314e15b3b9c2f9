import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessTokenService } from '../../src/lib/access-token.js';

const issuer = 'https://localhost';
const current = 'c'.repeat(64);
const previous = 'p'.repeat(64);
const claims = { sub: 'user-1', sid: 'session-1' };

function service(secrets: string[], ttlSeconds = 900) {
  return new AccessTokenService({ secrets, issuer, ttlSeconds });
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
});
