import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** The signature algorithms a provider's token may use: an allow-list, never `none` or HMAC. */
export const ACCEPTED_SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A logout token older than this is refused (its `iat`), which bounds how long a `jti` is kept. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 120;

export class LogoutTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid logout token: ${reason}`);
    this.name = 'LogoutTokenError';
  }
}

export interface VerifiedLogoutToken {
  jti: string;
  sid: string | undefined;
  sub: string | undefined;
  iat: number;
}

/**
 * Validates a logout token as OpenID Connect Back-Channel Logout 1.0 §2.6 requires: signature by
 * the provider's keys (an allow-listed algorithm, never `none`), `iss` exactly the issuer, `aud`
 * our client id, `iat` present and recent, `jti` present (its single use is the caller's), the
 * `events` claim with the back-channel-logout member holding a JSON object, `sid` or `sub`, and
 * no `nonce` (so an ID token can never be replayed as a logout token).
 */
export async function verifyLogoutToken(
  token: string,
  keys: JWTVerifyGetKey,
  expected: { issuer: string; audience: string },
): Promise<VerifiedLogoutToken> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: expected.issuer,
      audience: expected.audience,
      algorithms: [...ACCEPTED_SIGNING_ALGORITHMS],
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
      requiredClaims: ['iat', 'jti'],
    }));
  } catch (error) {
    const reason = error instanceof errors.JOSEError ? error.code : 'unreadable';
    throw new LogoutTokenError(reason);
  }
  const events = payload.events;
  const event =
    typeof events === 'object' && events !== null && !Array.isArray(events)
      ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new LogoutTokenError('events claim');
  }
  if ('nonce' in payload) throw new LogoutTokenError('nonce present');
  const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
  const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
  if (sid === undefined && sub === undefined) throw new LogoutTokenError('neither sid nor sub');
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) {
    throw new LogoutTokenError('jti');
  }
  return { jti: payload.jti, sid, sub, iat: payload.iat ?? 0 };
}
