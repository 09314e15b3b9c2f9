import { createHash } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { BoundedCache } from './bounded-cache.js';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Session id: checked against the session store on every request, so revocation is immediate. */
  sid: string;
}

const ALGORITHM = 'HS256';
/**
 * RFC 9068 §2.1: an access token says what it is in its header, so no other JWT this product
 * signs, now or later (an ID token, a mailed link, another service's token), can stand in for one.
 */
const TOKEN_TYPE = 'at+jwt';
/** A token issued by a clock this far ahead of ours is still accepted; further ahead is refused. */
export const ACCESS_TOKEN_CLOCK_SKEW_SECONDS = 30;

/** Who accepts these tokens: the API under the public origin (RFC 7519 §4.1.3). */
export function accessTokenAudience(publicOrigin: string): string {
  return `${publicOrigin}/api`;
}

/** A short id derived from the key, so rotating keys needs no separate kid setting. */
function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 12);
}

type Verify = (token: string) => Record<string, unknown>;

/** At most this many verified tokens are remembered; a flood of new ones evicts the oldest. */
const VERIFIED_CACHE_ENTRIES = 100_000;

/**
 * Short-lived HS256 access tokens (RFC 8725, RFC 9068). Allow-listed, nothing accepted because it
 * was not refused: the header must be exactly one this service writes (`alg` HS256 pinned, so no
 * `alg: none` or RS/HS confusion; `typ: at+jwt`; the `kid` of a configured key, so a new key can
 * sign while old tokens verify until they expire); `iss`, `aud`, `sub`, `sid`, `iat` and `exp` are
 * required, `iss` and `aud` must be ours; and the token's age is bounded by the configured
 * lifetime however its claims were filled in: `exp - iat` and `now - iat` at most the lifetime,
 * `iat` at most ACCESS_TOKEN_CLOCK_SKEW_SECONDS in the future. A leaked key used to mint a token
 * that lives ten years, or one dated next year, gets nothing.
 */
export class AccessTokenService {
  private readonly sign: (claims: AccessClaims) => string;
  /**
   * Keyed by the exact header segment each key signs with. Only headers this service produces are
   * looked at, so the header is never decoded or parsed (a forged header simply finds no key).
   */
  private readonly verifiers = new Map<string, Verify>();
  /**
   * Tokens already verified, by their exact text, until they expire: a repeat request costs one
   * Map lookup instead of an HMAC and two JSON parses. A tampered token is a different string.
   */
  private readonly verified = new BoundedCache<AccessClaims>(VERIFIED_CACHE_ENTRIES, 0);

  private readonly ttlSeconds: number;

  constructor(options: {
    secrets: string[];
    issuer: string;
    audience: string;
    ttlSeconds: number;
  }) {
    const [signingSecret] = options.secrets;
    if (signingSecret === undefined) throw new Error('no signing secret');
    this.ttlSeconds = options.ttlSeconds;
    const signerFor = (secret: string) =>
      createSigner<AccessClaims>({
        key: secret,
        algorithm: ALGORITHM,
        kid: keyId(secret),
        header: { alg: ALGORITHM, typ: TOKEN_TYPE },
        iss: options.issuer,
        aud: options.audience,
        expiresIn: options.ttlSeconds * 1000,
      });
    this.sign = signerFor(signingSecret);
    for (const secret of options.secrets) {
      const header = headerSegment(signerFor(secret)({ sub: '', sid: '' }));
      this.verifiers.set(
        header,
        createVerifier({
          key: secret,
          algorithms: [ALGORITHM],
          checkTyp: TOKEN_TYPE,
          allowedIss: options.issuer,
          allowedAud: options.audience,
          requiredClaims: ['iss', 'aud', 'sub', 'sid', 'exp', 'iat'],
        }) as Verify,
      );
    }
  }

  issue(claims: AccessClaims): string {
    return this.sign(claims);
  }

  /** Returns the claims, or undefined for any token that is not ours, intact and unexpired. */
  verify(token: string): AccessClaims | undefined {
    const now = Date.now();
    const known = this.verified.get(token, now);
    if (known !== undefined) return known;
    const verify = this.verifiers.get(headerSegment(token));
    if (verify === undefined) return undefined;
    try {
      const { sub, sid, exp, iat } = verify(token);
      if (
        typeof sub !== 'string' ||
        typeof sid !== 'string' ||
        typeof exp !== 'number' ||
        typeof iat !== 'number'
      ) {
        return undefined;
      }
      const nowSeconds = now / 1000;
      if (
        iat > nowSeconds + ACCESS_TOKEN_CLOCK_SKEW_SECONDS ||
        exp - iat > this.ttlSeconds ||
        nowSeconds - iat > this.ttlSeconds
      ) {
        return undefined;
      }
      const claims = { sub, sid };
      // Remembered only while both bounds hold: exp and iat + lifetime.
      const until = Math.min(exp, iat + this.ttlSeconds) * 1000;
      this.verified.set(token, claims, until - now, now);
      return claims;
    } catch {
      return undefined;
    }
  }
}

function headerSegment(token: string): string {
  const dot = token.indexOf('.');
  return dot <= 0 ? '' : token.slice(0, dot);
}
