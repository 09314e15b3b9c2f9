import { createHash } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';

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

/**
 * Short-lived HS256 access tokens. The algorithm is pinned (no `alg: none`, no RS/HS confusion),
 * issuer and audience are checked, and the `kid` header picks among the configured keys so that
 * a new key can sign while old tokens still verify until they expire.
 */
export class AccessTokenService {
  private readonly sign: (claims: AccessClaims) => string;
  private readonly verifiers = new Map<string, Verify>();

  constructor(options: { secrets: string[]; issuer: string; ttlSeconds: number }) {
    const [signingSecret] = options.secrets;
    if (signingSecret === undefined) throw new Error('no signing secret');
    this.sign = createSigner<AccessClaims>({
      key: signingSecret,
      algorithm: ALGORITHM,
      kid: keyId(signingSecret),
      iss: options.issuer,
      aud: AUDIENCE,
      expiresIn: options.ttlSeconds * 1000,
    });
    for (const secret of options.secrets) {
      this.verifiers.set(
        keyId(secret),
        createVerifier({
          key: secret,
          algorithms: [ALGORITHM],
          allowedIss: options.issuer,
          allowedAud: AUDIENCE,
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
          // Verified tokens are cached until they expire: a repeat request costs a lookup, not an HMAC.
          cache: 100_000,
          cacheTTL: options.ttlSeconds * 1000,
        }) as Verify,
      );
    }
  }

  issue(claims: AccessClaims): string {
    return this.sign(claims);
  }

  /** Returns the claims, or undefined for any token that is not ours, intact and unexpired. */
  verify(token: string): AccessClaims | undefined {
    const verify = this.verifiers.get(readKeyId(token) ?? '');
    if (verify === undefined) return undefined;
    try {
      const payload = verify(token);
      const { sub, sid } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string') return undefined;
      return { sub, sid };
    } catch {
      return undefined;
    }
  }
}

function readKeyId(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 512) return undefined;
  try {
    const header = JSON.parse(
      Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'),
    ) as unknown;
    if (typeof header !== 'object' || header === null) return undefined;
    const { kid } = header as { kid?: unknown };
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
