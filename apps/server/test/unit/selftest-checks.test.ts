import { describe, expect, it } from 'vitest';
import { cookieProblems, parseSetCookie } from '../../src/selftest/cookie-checks.js';
import { errorBodyProblems } from '../../src/selftest/error-checks.js';
import type { ProbeReply } from '../../src/selftest/probe-client.js';
import { selftestOptions } from '../../src/selftest/selftest-command.js';
import { securityTxtProblems } from '../../src/selftest/security-txt-checks.js';
import { unsignedToken, wrongKeyToken } from '../../src/selftest/token-checks.js';
import { hstsProblems } from '../../src/selftest/transport-checks.js';
import { securityTxt } from '../../src/modules/security-txt/security-txt-routes.js';

/** The self-test's verdicts on given answers (the checks against live servers: process tests). */

const reply = (body: string, status = 400): ProbeReply => ({ status, headers: {}, body });

describe('hstsProblems (ASVS 3.4.1)', () => {
  it('accepts a year or more with includeSubDomains, in any case and order', () => {
    expect(hstsProblems(['max-age=63072000; includeSubDomains'])).toEqual([]);
    expect(hstsProblems(['includesubdomains; MAX-AGE="31536000"; preload'])).toEqual([]);
  });

  it('says what to set for each weakness', () => {
    expect(hstsProblems(['max-age=300; includeSubDomains'])).toEqual([
      'HSTS max-age is 300; set at least 31536000',
    ]);
    expect(hstsProblems(['max-age=31536000'])).toEqual([
      'HSTS lacks includeSubDomains; add it so no subdomain can be reached over HTTP',
    ]);
    expect(hstsProblems([])[0]).toMatch(/^no Strict-Transport-Security header/);
    expect(hstsProblems(['max-age=a; includeSubDomains'])[0]).toMatch(/no valid max-age/);
    expect(hstsProblems(['max-age=1', 'max-age=2'])).toEqual([
      'Strict-Transport-Security is sent twice; send it once',
    ]);
  });
});

describe('cookieProblems (ASVS 3.3.1-3.3.5)', () => {
  const strong = '__Host-a=1; Path=/; HttpOnly; Secure; SameSite=Strict';

  it('passes the server’s cookies, the scoped refresh cookie and deletions', () => {
    const problems = cookieProblems([
      strong,
      '__Secure-portcullis-refresh=x; Path=/api/refresh; HttpOnly; Secure; SameSite=Strict',
      'legacy=; Max-Age=0; Path=/',
    ]);
    expect(Object.values(problems).flat()).toEqual([]);
  });

  it('names each missing flag and prefix under its requirement', () => {
    const problems = cookieProblems(['session=1; Path=/; SameSite=Lax']);
    expect(problems['3.3.1']).toEqual([
      'session lacks Secure; add it',
      'session has neither the __Host- nor the __Secure- prefix; rename it __Host-session',
    ]);
    expect(problems['3.3.2']).toEqual(['session has SameSite=lax; set SameSite=Strict']);
    expect(problems['3.3.3']).toEqual([
      'session is not __Host-; rename it __Host-… (Path=/, no Domain)',
    ]);
    expect(problems['3.3.4']).toEqual(['session lacks HttpOnly; add it']);
  });

  it('refuses a __Host- cookie with a Domain, and an oversized one', () => {
    const problems = cookieProblems([
      '__Host-a=1; Path=/; Domain=example.test; HttpOnly; Secure; SameSite=Strict',
      `__Host-b=${'x'.repeat(4100)}; Path=/; HttpOnly; Secure; SameSite=Strict`,
    ]);
    expect(problems['3.3.3']?.[0]).toMatch(/^__Host-a is __Host- but has a Domain/);
    expect(problems['3.3.5']).toEqual(['__Host-b is over 4096 bytes; browsers drop it']);
  });

  it('parses attributes case-insensitively', () => {
    expect(parseSetCookie('n=v; HTTPONLY; samesite=Strict').attributes.get('httponly')).toBe('');
  });
});

describe('errorBodyProblems (ASVS 16.5.1)', () => {
  it('accepts the envelope alone', () => {
    expect(
      errorBodyProblems(
        reply('{"error":{"code":"not_found","message":"Not found.","requestId":"r"}}'),
      ),
    ).toEqual([]);
  });

  it('finds stacks, SQL, extra fields and non-JSON', () => {
    expect(
      errorBodyProblems(
        reply(
          '{"error":{"code":"x","message":"m","requestId":"r","stack":"at f (/app/src/a.ts:1:2)"}}',
        ),
      ),
    ).toEqual(['it contains a stack trace', 'it contains a source path', 'it carries stack']);
    expect(errorBodyProblems(reply('SQLITE_ERROR: near "select": syntax error'))).toContain(
      'it contains a database name or error',
    );
    expect(errorBodyProblems(reply('<html>oops</html>'))).toEqual(['it is not JSON']);
  });
});

describe('security.txt (RFC 9116)', () => {
  const origin = 'https://portcullis.example';
  const now = new Date('2026-01-01T00:00:00Z');

  it('the server’s file passes the self-test’s reading of the RFC', () => {
    const body = securityTxt({
      contacts: ['mailto:security@example.test'],
      publicOrigin: origin,
      now,
    });
    expect(body).toBe(
      'Contact: mailto:security@example.test\r\nExpires: 2026-06-30T00:00:00Z\r\nPreferred-Languages: en\r\n' +
        `Canonical: ${origin}/.well-known/security.txt\r\n`,
    );
    expect(securityTxtProblems(body, origin, now.getTime())).toEqual([]);
  });

  it('flags an expired file, a missing contact and a foreign Canonical', () => {
    const body =
      'Expires: 2025-01-01T00:00:00Z\nCanonical: https://elsewhere.example/.well-known/security.txt\n';
    expect(securityTxtProblems(body, origin, now.getTime())).toEqual([
      'no Contact field; set SECURITY_CONTACT',
      'the file expired on 2025-01-01T00:00:00Z; renew it',
      `no Canonical: ${origin}/.well-known/security.txt; the file must name where it lives`,
      'no Preferred-Languages field; add one (e.g. "en")',
    ]);
  });
});

describe('forged tokens (ASVS 9.1.1, 9.1.2)', () => {
  it('alg none has an empty signature; the wrong-key token is a well-formed HS256 JWS', () => {
    const none = unsignedToken({ typ: 'at+jwt', kid: 'k' }, { sub: 's' });
    expect(none.endsWith('.')).toBe(true);
    expect(JSON.parse(Buffer.from(none.split('.')[0] ?? '', 'base64url').toString())).toEqual({
      typ: 'at+jwt',
      kid: 'k',
      alg: 'none',
    });
    expect(wrongKeyToken({ typ: 'at+jwt' }, { sub: 's' }).split('.')[2]).toMatch(/^[\w-]{43}$/);
  });
});

describe('selftest command line', () => {
  it('assumes port 80 for HTTP only when the URL is on 443, and 0 turns it off', async () => {
    expect((await selftestOptions({ url: 'https://example.test' })).httpPort).toBe(80);
    expect((await selftestOptions({ url: 'https://example.test:8443' })).httpPort).toBeUndefined();
    expect(
      (await selftestOptions({ url: 'https://example.test', 'http-port': '0' })).httpPort,
    ).toBeUndefined();
  });

  it('splits the account at the first colon, so a password may contain one', async () => {
    const options = await selftestOptions({ url: 'https://example.test', account: 'a@b.test:x:y' });
    expect(options.account).toEqual({ email: 'a@b.test', password: 'x:y' });
  });

  it('refuses http://, a lockout without an account and a bad port', async () => {
    await expect(selftestOptions({ url: 'http://example.test' })).rejects.toThrow('https://');
    await expect(
      selftestOptions({ url: 'https://example.test', 'allow-lockout': 'true' }),
    ).rejects.toThrow('--allow-lockout needs --account');
    await expect(
      selftestOptions({ url: 'https://example.test', 'http-port': '99999' }),
    ).rejects.toThrow('--http-port must be a port number');
  });
});
