import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';

/**
 * Identity providers for the federation tests, on loopback ports:
 * - `startOidcTestProvider`: panva's certified `oidc-provider`, in-process, with its development
 *   login and consent pages (driven by form posts), a confidential test client, accounts, key
 *   rotation and back-channel logout. Nothing about it is mocked.
 * - `startControlledProvider`: a minimal provider whose token endpoint answers whatever ID token
 *   the test crafted (wrong issuer, audience, nonce, signature, `alg: none`), to prove that
 *   Portcullis refuses each through the real callback.
 */

export interface TestAccount {
  email: string;
  emailVerified: boolean;
  name: string;
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The private signing keys the provider currently publishes (newest first). */
  signingKeys: JWK[];
  /** Publishes a new signing key (kept first, so new tokens use it); the old one stays listed. */
  rotateKeys(options?: { dropOld?: boolean }): Promise<void>;
  /** Registers the client (once the app's redirect and back-channel URIs are known). */
  configureClient(client: {
    redirectUri: string;
    postLogoutRedirectUri: string;
    backchannelLogoutUri: string;
  }): Promise<void>;
  close(): Promise<void>;
}

async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

export async function startOidcTestProvider(
  accounts: Record<string, TestAccount>,
): Promise<OidcTestProvider> {
  let current: Provider | undefined;
  const { server, origin } = await listen((req, res) => {
    if (current === undefined) {
      res.statusCode = 503;
      res.end();
      return;
    }
    void current.callback()(req, res);
  });
  const issuer = origin;
  const clientId = 'portcullis-test';
  const clientSecret = 'test-client-secret-that-is-long-enough-0123456789';
  let keyNumber = 1;
  const signingKeys: JWK[] = [await newSigningKey('key-1')];
  let client: Parameters<OidcTestProvider['configureClient']>[0] | undefined;

  // A new Provider instance over the same in-memory adapter (module-level storage), so key
  // rotation looks to a relying party exactly like a provider publishing a new JWKS.
  const build = () => {
    if (client === undefined) throw new Error('configureClient first');
    current = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [client.redirectUri],
          post_logout_redirect_uris: [client.postLogoutRedirectUri],
          backchannel_logout_uri: client.backchannelLogoutUri,
          backchannel_logout_session_required: true,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: signingKeys },
      cookies: { keys: ['oidc-test-provider-cookie-key-0123456789'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      features: {
        devInteractions: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: { enabled: true },
      },
      pkce: { required: () => true },
      // The provider refuses to call loopback addresses (its SSRF guard); the test app is one.
      // Its own fetch without that guard, in this test provider only.
      fetch: (input, init) => {
        const rest: RequestInit & { dispatcher?: unknown } = { ...init };
        delete rest.dispatcher;
        return fetch(input, rest);
      },
      findAccount(_ctx, sub) {
        const account = accounts[sub];
        if (account === undefined) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            email: account.email,
            email_verified: account.emailVerified,
            name: account.name,
          }),
        };
      },
    });
  };

  return {
    issuer,
    clientId,
    clientSecret,
    signingKeys,
    async rotateKeys(options = {}) {
      keyNumber += 1;
      const fresh = await newSigningKey(`key-${keyNumber}`);
      if (options.dropOld === true) signingKeys.splice(0, signingKeys.length);
      signingKeys.unshift(fresh);
      build();
    },
    configureClient(settings) {
      client = settings;
      build();
      return Promise.resolve();
    },
    close: () => closeServer(server),
  };
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export type IdTokenForger = (request: {
  issuer: string;
  clientId: string;
  nonce: string;
  sign: (
    claims: Record<string, unknown>,
    header?: { alg?: string; kid?: string },
  ) => Promise<string>;
}) => Promise<string>;

export interface ControlledProvider {
  issuer: string;
  clientId: string;
  /** What the token endpoint answers as `id_token` next. */
  forge: IdTokenForger;
  /** `down`: the token endpoint drops the connection (a provider that is down mid-flow). */
  mode: 'up' | 'down';
  /** A key the provider does not publish, with the published key's `kid`. */
  signWithForeignKey(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** A provider under the test's control: discovery, JWKS, an authorize that always says yes. */
export async function startControlledProvider(): Promise<ControlledProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const publicJwk = {
    ...(await exportJWK(publicKey)),
    kid: 'controlled-1',
    alg: 'ES256',
    use: 'sig',
  };
  const clientId = 'portcullis-controlled';
  let lastNonce = '';
  const sign =
    (key: SigningKey) =>
    (claims: Record<string, unknown>, header: { alg?: string; kid?: string } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: header.alg ?? 'ES256', kid: header.kid ?? 'controlled-1' })
        .sign(key);
  const state: ControlledProvider = {
    issuer: '',
    clientId,
    mode: 'up',
    forge: async ({ issuer, nonce, sign: signer }) =>
      signer({
        iss: issuer,
        aud: clientId,
        sub: 'controlled-user',
        nonce,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 300,
        email: 'controlled@example.test',
        email_verified: true,
      }),
    signWithForeignKey: (claims) => sign(foreign.privateKey)(claims),
    close: () => Promise.resolve(),
  };
  const { server, origin } = await listen((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const json = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      json({
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
    } else if (url.pathname === '/jwks') {
      json({ keys: [publicJwk] });
    } else if (url.pathname === '/authorize') {
      lastNonce = url.searchParams.get('nonce') ?? '';
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', 'controlled-code');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      back.searchParams.set('iss', origin);
      res.statusCode = 302;
      res.setHeader('location', back.href);
      res.end();
    } else if (url.pathname === '/token' && req.method === 'POST') {
      if (state.mode === 'down') {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => {
        void state
          .forge({ issuer: origin, clientId, nonce: lastNonce, sign: sign(privateKey) })
          .then((idToken) => {
            json({ access_token: 'controlled-access', token_type: 'Bearer', id_token: idToken });
          });
      });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  state.issuer = origin;
  state.close = () => closeServer(server);
  return state;
}
