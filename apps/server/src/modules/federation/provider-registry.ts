import { webcrypto } from 'node:crypto';
import * as client from 'openid-client';
import type {
  GithubProviderSettings,
  OidcProviderSettings,
  ProviderSettings,
} from './provider-settings.js';

/** A provider that answers slower than this counts as down: the user is not left waiting. */
export const PROVIDER_TIMEOUT_SECONDS = 5;

/** After a failed discovery, ask again at most this often (a provider that is down stays cheap). */
const DISCOVERY_RETRY_MS = 10_000;

export interface RegisteredProvider {
  settings: ProviderSettings;
  /** The redirect URI registered at the provider: one per provider, so a code is never sent to another's callback. */
  redirectUri: string;
}

/** The provider could not be reached (network, timeout, 5xx, broken discovery document). */
export class ProviderUnavailableError extends Error {
  constructor(providerId: string, options?: { cause?: unknown }) {
    super(`provider ${providerId} is unavailable`, options);
    this.name = 'ProviderUnavailableError';
  }
}

/**
 * The configured providers and their openid-client configurations. Discovery happens at first use
 * and is cached (not at boot: a provider down must not keep Portcullis from starting); a failed
 * discovery is retried after a pause. openid-client keeps each issuer's JWKS cached and fetches it
 * again when a token names a key it does not hold (key rotation), at most once a minute.
 */
export class ProviderRegistry {
  private readonly byId: Map<string, RegisteredProvider>;
  private readonly configurations = new Map<string, Promise<client.Configuration>>();
  private readonly failedAt = new Map<string, number>();

  constructor(
    providers: readonly ProviderSettings[],
    publicOrigin: string,
    private readonly now: () => number = Date.now,
  ) {
    this.byId = new Map(
      providers.map((settings) => [
        settings.id,
        { settings, redirectUri: `${publicOrigin}/api/auth/${settings.id}/callback` },
      ]),
    );
  }

  list(): RegisteredProvider[] {
    return [...this.byId.values()];
  }

  find(id: string): RegisteredProvider | undefined {
    return this.byId.get(id);
  }

  /** The provider's openid-client configuration; throws ProviderUnavailableError when down. */
  async configuration(provider: RegisteredProvider): Promise<client.Configuration> {
    const { id } = provider.settings;
    const failedAt = this.failedAt.get(id);
    if (failedAt !== undefined && this.now() - failedAt < DISCOVERY_RETRY_MS) {
      throw new ProviderUnavailableError(id);
    }
    let pending = this.configurations.get(id);
    if (pending === undefined) {
      pending = this.build(provider.settings);
      this.configurations.set(id, pending);
    }
    try {
      return await pending;
    } catch (error) {
      this.configurations.delete(id);
      this.failedAt.set(id, this.now());
      throw new ProviderUnavailableError(id, { cause: error });
    }
  }

  private async build(settings: ProviderSettings): Promise<client.Configuration> {
    const config =
      settings.type === 'oidc' ? await discover(settings) : githubConfiguration(settings);
    config.timeout = PROVIDER_TIMEOUT_SECONDS;
    return config;
  }
}

function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}

async function discover(settings: OidcProviderSettings): Promise<client.Configuration> {
  const auth = await clientAuthentication(settings);
  const insecure = new URL(settings.issuer).protocol === 'http:' && isLoopback(settings.issuer);
  // Discovery checks that the document's `issuer` is exactly the configured one (OIDC Discovery
  // §4.3): a document served for another issuer is refused.
  const config = await client.discovery(
    new URL(settings.issuer),
    settings.clientId,
    undefined,
    auth,
    {
      timeout: PROVIDER_TIMEOUT_SECONDS,
      // Only ever true for a loopback issuer (provider-settings.ts refuses http: elsewhere).
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback issuers only (tests, a local Keycloak)
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    },
  );
  // OIDC Core §3.1.3.7 lets a client skip the ID token's signature when it came straight from
  // the token endpoint over TLS, and openid-client does unless told otherwise. We check it
  // anyway, against the provider's JWKS: a TLS-intercepting proxy, a mis-issued certificate or a
  // compromised token endpoint path must not be able to mint identities (federation.test.ts
  // has tokens signed by an unpublished key, and unsigned ones, that pass without this line).
  client.enableNonRepudiationChecks(config);
  return config;
}

async function clientAuthentication(settings: OidcProviderSettings): Promise<client.ClientAuth> {
  switch (settings.clientAuth) {
    case 'private_key_jwt': {
      const jwk = settings.privateKeyJwk?.reveal();
      if (jwk === undefined) throw new Error('privateKeyJwk is required');
      const key = await importPrivateJwk(jwk);
      const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
      return client.PrivateKeyJwt(kid === undefined ? key : { key, kid });
    }
    case 'client_secret_post':
      return client.ClientSecretPost(settings.clientSecret?.reveal());
    case 'client_secret_basic':
      return client.ClientSecretBasic(settings.clientSecret?.reveal());
  }
}

async function importPrivateJwk(jwk: Record<string, unknown>): Promise<webcrypto.CryptoKey> {
  const alg = String(jwk.alg);
  const algorithm =
    alg === 'RS256'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : alg === 'PS256'
        ? { name: 'RSA-PSS', hash: 'SHA-256' }
        : alg === 'ES256'
          ? { name: 'ECDSA', namedCurve: 'P-256' }
          : alg === 'ES384'
            ? { name: 'ECDSA', namedCurve: 'P-384' }
            : { name: 'Ed25519' };
  return webcrypto.subtle.importKey('jwk', jwk as webcrypto.JsonWebKey, algorithm, false, ['sign']);
}

/**
 * GitHub speaks OAuth 2.0, not OpenID Connect: no discovery, no ID token. Its endpoints are
 * written down here; the user comes from its REST API with the access token. Mix-up attacks are
 * prevented by the redirect URI being distinct per provider (RFC 9207 §1, the alternative to `iss`).
 */
function githubConfiguration(settings: GithubProviderSettings): client.Configuration {
  const base = settings.baseUrl.replace(/\/$/, '');
  const config = new client.Configuration(
    {
      issuer: base,
      authorization_endpoint: `${base}/login/oauth/authorize`,
      token_endpoint: `${base}/login/oauth/access_token`,
    },
    settings.clientId,
    undefined,
    client.ClientSecretPost(settings.clientSecret.reveal()),
  );
  if (new URL(base).protocol === 'http:' && isLoopback(base)) {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- loopback only, as above
    client.allowInsecureRequests(config);
  }
  return config;
}
