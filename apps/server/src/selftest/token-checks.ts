import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { cookieNames } from '../plugins/cookies.js';
import { ProbeBrowser } from './probe-browser.js';
import { fail, pass, type CheckGroup, type CheckResult } from './selftest-types.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An unsigned token (`alg: none`, empty signature; RFC 7519 §6.1). */
export function unsignedToken(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): string {
  return `${encode({ ...header, alg: 'none' })}.${encode(claims)}.`;
}

/** A token signed with HS256 under a key the server has never seen. */
export function wrongKeyToken(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): string {
  const signingInput = `${encode({ ...header, alg: 'HS256' })}.${encode(claims)}`;
  const signature = createHmac('sha256', randomBytes(32)).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/**
 * ASVS 9.1.1 and 9.1.2: a forged access token must not authenticate. With an account, the forgeries
 * carry the real token's header and claims, and the real token is shown to work first, so a
 * refusal is the signature check's doing; without one, plausible claims are forged.
 */
export const tokenChecks: CheckGroup = async ({ client, options }) => {
  const browser = new ProbeBrowser(client);
  const now = Math.floor(Date.now() / 1000);
  let header: Record<string, unknown> = { typ: 'at+jwt' };
  let claims: Record<string, unknown> = {
    iss: client.origin,
    aud: client.origin,
    sub: randomUUID(),
    sid: randomUUID(),
    iat: now,
    exp: now + 600,
  };
  let control = 'no --account: forged claims, not compared with a genuine token';
  if (options.account !== undefined) {
    const login = await browser.signIn(options.account);
    const genuine = browser.accessToken;
    if (login.status !== 200 || genuine === undefined) {
      const why = `signing in with --account answered ${login.status}; check the account`;
      return [
        fail('jwt-alg-none', 'forged access token (alg none) refused', ['9.1.2'], why),
        fail('jwt-wrong-key', 'forged access token (wrong key) refused', ['9.1.1'], why),
      ];
    }
    const accepted = await browser.send('GET', '/api/profile');
    if (accepted.status === 401) {
      const why = 'the genuine access token was refused by GET /api/profile; nothing can be judged';
      return [
        fail('jwt-alg-none', 'forged access token (alg none) refused', ['9.1.2'], why),
        fail('jwt-wrong-key', 'forged access token (wrong key) refused', ['9.1.1'], why),
      ];
    }
    const [headerSegment, claimsSegment] = genuine.split('.');
    header = decodeSegment(headerSegment) ?? header;
    claims = decodeSegment(claimsSegment) ?? claims;
    control = `the genuine token answered ${accepted.status}`;
  }

  const results: CheckResult[] = [];
  for (const [id, title, requirement, token] of [
    [
      'jwt-alg-none',
      'forged access token (alg none) refused',
      '9.1.2',
      unsignedToken(header, claims),
    ],
    [
      'jwt-wrong-key',
      'forged access token (wrong key) refused',
      '9.1.1',
      wrongKeyToken(header, claims),
    ],
  ] as const) {
    const reply = await client.request({
      target: '/api/profile',
      headers: { cookie: `${cookieNames.access}=${token}` },
    });
    results.push(
      reply.status === 401
        ? pass(id, title, [requirement], `401; ${control}`)
        : fail(
            id,
            title,
            [requirement],
            `GET /api/profile with a forged token answered ${reply.status}; verify the signature with an allow-listed algorithm (HS256) before reading any claim`,
          ),
    );
  }
  return results;
};
