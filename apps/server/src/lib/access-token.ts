import { createHash } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { BoundedCache } from './bounded-cache.js';

export interface AccessClaims {
  /** User id. */
  sub: string;
  /** Session id: checked against the session store on every request, so revocation is immediate. */
  sid: string;
}

const AUDIENCE = 'portcullis-api';
const ALGORITHM = 'HS256';

/** A short id derived from the key, so rotating keys needs no separate kid setting. */
function keyId(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 12);
}

type Verify = (token: string) => Record<string, unknown>;

/** At most this many verified tokens are remembered; a flood of new ones evicts the oldest. */
const VERIFIED_CACHE_ENTRIES = 100_000;

/**
 * Short-lived HS256 access tokens. The algorithm is pinned (no `alg: none`, no RS/HS confusion),
 * issuer and audience are checked, and the `kid` header picks among the configured keys so that
 * a new key can sign while old tokens still verify until they expire.
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

  constructor(options: { secrets: string[]; issuer: string; ttlSeconds: number }) {
    const [signingSecret] = options.secrets;
    if (signingSecret === undefined) throw new Error('no signing secret');
    const signerFor = (secret: string) =>
      createSigner<AccessClaims>({
        key: secret,
        algorithm: ALGORITHM,
        kid: keyId(secret),
        iss: options.issuer,
        aud: AUDIENCE,
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
          allowedIss: options.issuer,
          allowedAud: AUDIENCE,
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
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
      const { sub, sid, exp } = verify(token);
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') {
        return undefined;
      }
      const claims = { sub, sid };
      this.verified.set(token, claims, exp * 1000 - now, now);
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
