import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importJWK, SignJWT } from 'jose';
import type { SessionListResponse } from '@portcullis/contract/security';
import type {
  LinkedProvidersResponse,
  ProviderListResponse,
} from '@portcullis/contract/federation';
import { PROVIDER_LOGOUT_HEADER } from '@portcullis/contract/federation';
import type { User } from '@portcullis/contract/auth';
import {
  startControlledProvider,
  startOidcTestProvider,
  type ControlledProvider,
  type OidcTestProvider,
} from '../support/oidc-test-provider.js';
import { ProviderBrowser, roundTrip } from '../support/provider-browser.js';
import {
  cookieNames,
  createUser,
  expectErrorEnvelope,
  listAudit,
  startTestApp,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * Sign-in with OpenID Connect against a real provider (panva's oidc-provider, in-process on a
 * loopback port), driven over HTTP as a browser would: the app's start endpoint, the provider's
 * login and consent pages, the callback, the session. Forged ID tokens come from a provider the
 * test controls, through the same callback. Every refusal ends on `/sign-in?error=<code>` with no
 * session and no account created.
 */

let provider: OidcTestProvider;
let controlled: ControlledProvider;
let testApp: TestApp;
let admin: TestUser;

const accounts = {
  alice: { email: 'alice@provider.test', emailVerified: true, name: 'Alice Provider' },
  bob: { email: 'bob@provider.test', emailVerified: true, name: 'Bob Provider' },
  carol: { email: 'carol@provider.test', emailVerified: true, name: 'Carol Provider' },
  dave: { email: 'dave@provider.test', emailVerified: true, name: 'Dave Provider' },
  erin: { email: 'erin@provider.test', emailVerified: true, name: 'Erin Provider' },
  frank: { email: 'frank@provider.test', emailVerified: true, name: 'Frank Provider' },
  unverified: { email: 'unverified@provider.test', emailVerified: false, name: 'Not Verified' },
};

beforeAll(async () => {
  provider = await startOidcTestProvider(accounts);
  controlled = await startControlledProvider();
  testApp = await startTestApp({
    OIDC_PROVIDERS: JSON.stringify([
      {
        id: 'test',
        type: 'oidc',
        name: 'Test Provider',
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
      },
      {
        id: 'controlled',
        type: 'oidc',
        name: 'Controlled',
        issuer: controlled.issuer,
        clientId: controlled.clientId,
        clientSecret: 'controlled-secret',
      },
      // The same provider, with the operator trusting the second factors it asserts.
      {
        id: 'trusted',
        type: 'oidc',
        name: 'Trusted',
        issuer: controlled.issuer,
        clientId: controlled.clientId,
        clientSecret: 'controlled-secret',
        trustAmr: true,
      },
      // Nothing listens on port 1: a provider that is down.
      {
        id: 'down',
        type: 'oidc',
        name: 'Down',
        issuer: 'http://127.0.0.1:1',
        clientId: 'x',
        clientSecret: 'y',
      },
    ]),
  });
  const origin = testApp.config.publicOrigin;
  await provider.configureClient({
    redirectUri: `${origin}/api/auth/test/callback`,
    postLogoutRedirectUri: `${origin}/sign-in`,
    backchannelLogoutUri: `${testApp.url}/api/auth/test/backchannel-logout`,
  });
  admin = await createUser(testApp, { role: 'admin' });
}, 30_000);

afterAll(async () => {
  await testApp.close();
  await provider.close();
  await controlled.close();
});

function newBrowser(): ProviderBrowser {
  return new ProviderBrowser({ publicOrigin: testApp.config.publicOrigin, url: testApp.url });
}

/** A TestClient that shares the browser's cookies for the app, to call the JSON API. */
function apiClient(browser: ProviderBrowser): TestClient {
  const client = new TestClient(testApp);
  for (const [name, value] of browser.jar(testApp.url))
    client.cookies.set(name, decodeURIComponent(value));
  return client;
}

async function signedInUser(browser: ProviderBrowser): Promise<User | null> {
  const res = await apiClient(browser).get<{ user: User | null }>('/api/session');
  return res.body.user;
}

async function userCount(email: string): Promise<number> {
  const rows = await testApp
    .db()
    .selectFrom('users')
    .select('id')
    .where('email', '=', email)
    .execute();
  return rows.length;
}

const start = (provider = 'test', query = '') => `/api/auth/${provider}/start${query}`;

describe('the provider list and the start of a round trip', () => {
  it('lists the configured providers, public, without secrets', async () => {
    const res = await new TestClient(testApp).get<ProviderListResponse>('/api/auth/providers');
    expect(res.status).toBe(200);
    expect(res.body.providers).toEqual([
      { id: 'test', name: 'Test Provider' },
      { id: 'controlled', name: 'Controlled' },
      { id: 'trusted', name: 'Trusted' },
      { id: 'down', name: 'Down' },
    ]);
    expect(res.text).not.toContain('secret');
  });

  it('redirects with PKCE S256, state and nonce, bound to an HttpOnly __Host- cookie for 10 minutes', async () => {
    const res = await new TestClient(testApp).get(start());
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('redirect_uri')).toBe(
      `${testApp.config.publicOrigin}/api/auth/test/callback`,
    );
    const cookie = res.setCookies.get(cookieNames.federation);
    expect(cookie?.attributes.get('httponly')).toBe(true);
    expect(cookie?.attributes.get('secure')).toBe(true);
    expect(cookie?.attributes.get('path')).toBe('/');
    // Lax: the provider's redirect back is a cross-site navigation, which Strict would not carry.
    expect(cookie?.attributes.get('samesite')).toBe('Lax');
    expect(cookie?.attributes.get('max-age')).toBe('600');
    // The verifier and nonce never leave the server; the cookie is only a random handle.
    expect(cookie?.value).not.toContain(location.searchParams.get('state') ?? '-');
  });

  it('answers 404 for a provider that is not configured', async () => {
    const res = await new TestClient(testApp).get(start('nope'));
    expectErrorEnvelope(res, 404, 'not_found');
  });
});

describe('signing in', () => {
  it('creates an account on a first sign-in with a verified email, through the session service (amr fed)', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'alice' });
    expect(trip.landing.pathname).toBe('/');
    const user = await signedInUser(browser);
    expect(user?.email).toBe('alice@provider.test');
    const sessions = await apiClient(browser).get<SessionListResponse>('/api/account/sessions');
    expect(sessions.body.sessions.find((s) => s.current)?.methods).toEqual(['fed']);
    const events = await listAudit(admin.client);
    expect(
      events.some((e) => e.type === 'register' && e.actorEmail === 'alice@provider.test'),
    ).toBe(true);
  });

  it('signs a linked account in again without creating another', async () => {
    const before = await signedInUser(await signInAs('alice'));
    const again = await signedInUser(await signInAs('alice'));
    expect(again?.id).toBe(before?.id);
    expect(await userCount('alice@provider.test')).toBe(1);
  });

  it('refuses to create an account for an email the provider has not verified', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'unverified' });
    expect(trip.landing.pathname + trip.landing.search).toBe('/sign-in?error=provider_no_account');
    expect(await signedInUser(browser)).toBeNull();
    expect(await userCount('unverified@provider.test')).toBe(0);
  });

  it('never links to an existing account by email, even a verified one', async () => {
    const existing = await createUser(testApp, { label: 'bob' });
    await testApp
      .db()
      .updateTable('users')
      .set({ email: 'bob@provider.test' })
      .where('id', '=', existing.user.id)
      .execute();
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'bob' });
    expect(trip.landing.pathname + trip.landing.search).toBe(
      '/sign-in?error=provider_account_exists',
    );
    expect(await signedInUser(browser)).toBeNull();
    const links = await existing.client.get<LinkedProvidersResponse>('/api/account/providers');
    expect(links.body.providers).toEqual([]);
  });

  it('still asks for the second factor the account has (the provider asserted none)', async () => {
    const browser = await signInAs('dave');
    const dave = apiClient(browser);
    await dave.csrf();
    const enrol = await dave.post<{ secret: string }>('/api/account/totp');
    expect(enrol.status, enrol.text).toBe(200);
    const { decodeBase32IgnorePadding } = await import('@oslojs/encoding');
    const { totpCode } = await import('../../src/lib/totp.js');
    const key = decodeBase32IgnorePadding(enrol.body.secret);
    const confirmed = await dave.post('/api/account/totp/confirm', {
      code: totpCode(key, Date.now()),
    });
    expect(confirmed.status, confirmed.text).toBe(200);

    const next = newBrowser();
    const trip = await roundTrip(next, start(), { login: 'dave' });
    expect(trip.landing.pathname).toBe('/sign-in');
    expect(trip.landing.searchParams.get('second-factor')).toContain('totp');
    expect(await signedInUser(next)).toBeNull();
    expect(next.jar(testApp.url).has(cookieNames.pending)).toBe(true);
  });
});

async function signInAs(login: string, remember = false): Promise<ProviderBrowser> {
  const browser = newBrowser();
  const trip = await roundTrip(browser, start('test', remember ? '?remember=true' : ''), { login });
  if (trip.landing.pathname !== '/')
    throw new Error(`sign-in as ${login} ended at ${trip.landing.href}`);
  return browser;
}

describe('linking and unlinking', () => {
  it('links a provider account from a signed-in session, then signs in with it', async () => {
    const owner = await createUser(testApp, { label: 'linker' });
    const browser = newBrowser();
    for (const [name, value] of owner.client.cookies) browser.jar(testApp.url).set(name, value);
    const trip = await roundTrip(browser, start('test', '?intent=link'), { login: 'carol' });
    expect(trip.landing.pathname + trip.landing.search).toBe('/profile/security?linked=test');
    const links = await owner.client.get<LinkedProvidersResponse>('/api/account/providers');
    expect(links.body.providers).toHaveLength(1);
    expect(links.body.providers[0]).toMatchObject({
      provider: 'test',
      name: 'Test Provider',
      email: 'carol@provider.test',
    });
    const later = await signedInUser(await signInAs('carol'));
    expect(later?.id).toBe(owner.user.id);
    expect(await userCount('carol@provider.test')).toBe(0);

    // The password remains another way in, so the link can go.
    const unlinked = await owner.client.delete(
      `/api/account/providers/${links.body.providers[0]?.id}`,
    );
    expect(unlinked.status).toBe(204);
    const gone = newBrowser();
    // carol is now unknown: a new account would need her email to be free (it is) and verified.
    await roundTrip(gone, start(), { login: 'carol' });
    expect((await signedInUser(gone))?.id).not.toBe(owner.user.id);
  });

  it('refuses to link without a session', async () => {
    const trip = await roundTrip(newBrowser(), start('test', '?intent=link'), { login: 'carol' });
    expect(trip.landing.pathname + trip.landing.search).toBe(
      '/profile/security?error=provider_flow_invalid',
    );
  });

  it('refuses to unlink the last way in', async () => {
    const browser = await signInAs('erin');
    const erin = apiClient(browser);
    const links = await erin.get<LinkedProvidersResponse>('/api/account/providers');
    expect(links.body.providers).toHaveLength(1);
    const res = await erin.delete(`/api/account/providers/${links.body.providers[0]?.id}`);
    expectErrorEnvelope(res, 409, 'last_way_in');
    expect(
      (await erin.get<LinkedProvidersResponse>('/api/account/providers')).body.providers,
    ).toHaveLength(1);
  });

  it("answers 404 for another user's link", async () => {
    const erin = apiClient(await signInAs('erin'));
    const id = (await erin.get<LinkedProvidersResponse>('/api/account/providers')).body.providers[0]
      ?.id;
    const res = await admin.client.delete(`/api/account/providers/${id}`);
    expectErrorEnvelope(res, 404, 'not_found');
  });
});

describe('failures end on the sign-in page with a code, audited, with nothing created', () => {
  it('a denied consent', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'alice', deny: true });
    expect(trip.landing.pathname + trip.landing.search).toBe('/sign-in?error=provider_denied');
    expect(await signedInUser(browser)).toBeNull();
    const events = await listAudit(admin.client);
    expect(
      events.some(
        (e) => e.type === 'provider_sign_in_failed' && e.detail?.includes('provider_denied'),
      ),
    ).toBe(true);
  });

  it('a tampered state', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'alice', stopAtCallback: true });
    const tampered = new URL(trip.callbackUrl ?? '');
    tampered.searchParams.set('state', `${tampered.searchParams.get('state') ?? ''}x`);
    const res = await browser.request(tampered.href);
    expect(res.status).toBe(302);
    expect(new URL(res.location ?? '').search).toBe('?error=provider_flow_invalid');
    expect(await signedInUser(browser)).toBeNull();
  });

  it('a replayed callback (the second use of the same URL and cookie)', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'alice', stopAtCallback: true });
    const flowCookie = browser.jar(testApp.url).get(cookieNames.federation) ?? '';
    const first = await browser.request(trip.callbackUrl ?? '');
    expect(new URL(first.location ?? '').pathname).toBe('/');
    browser.jar(testApp.url).set(cookieNames.federation, flowCookie);
    const replay = newBrowser();
    replay.jar(testApp.url).set(cookieNames.federation, flowCookie);
    const second = await replay.request(trip.callbackUrl ?? '');
    expect(new URL(second.location ?? '').search).toBe('?error=provider_flow_invalid');
    expect(await signedInUser(replay)).toBeNull();
  });

  it('a callback in a browser that did not start the flow (login CSRF)', async () => {
    const trip = await roundTrip(newBrowser(), start(), { login: 'alice', stopAtCallback: true });
    const victim = newBrowser();
    const res = await victim.request(trip.callbackUrl ?? '');
    expect(new URL(res.location ?? '').search).toBe('?error=provider_flow_invalid');
    expect(await signedInUser(victim)).toBeNull();
  });

  it('an expired flow', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'alice', stopAtCallback: true });
    await testApp
      .db()
      .updateTable('federation_flows')
      .set({ expires_at: Date.now() - 1 })
      .execute();
    const res = await browser.request(trip.callbackUrl ?? '');
    expect(new URL(res.location ?? '').search).toBe('?error=provider_flow_expired');
    expect(await signedInUser(browser)).toBeNull();
  });

  it('a provider that is down at the start', async () => {
    const res = await newBrowser().request(start('down'));
    expect(res.status).toBe(302);
    expect(new URL(res.location ?? '').pathname + new URL(res.location ?? '').search).toBe(
      '/sign-in?error=provider_unavailable',
    );
  });

  it('a provider that goes down before the code is exchanged', async () => {
    const browser = newBrowser();
    const trip = await roundTrip(browser, start('controlled'), { stopAtCallback: true });
    controlled.mode = 'down';
    try {
      const res = await browser.request(trip.callbackUrl ?? '');
      expect(new URL(res.location ?? '').search).toBe('?error=provider_unavailable');
    } finally {
      controlled.mode = 'up';
    }
    expect(await signedInUser(browser)).toBeNull();
  });
});

describe('ID token validation (tokens forged at a provider the test controls)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const base = (issuer: string, nonce: string) => ({
    iss: issuer,
    aud: controlled.clientId,
    sub: 'forged-user',
    nonce,
    iat: now(),
    exp: now() + 300,
    email: 'forged@example.test',
    email_verified: true,
  });

  async function withForgery(
    forge: ControlledProvider['forge'],
  ): Promise<{ landing: URL; browser: ProviderBrowser }> {
    const original = controlled.forge;
    controlled.forge = forge;
    try {
      const browser = newBrowser();
      const trip = await roundTrip(browser, start('controlled'));
      return { landing: trip.landing, browser };
    } finally {
      controlled.forge = original;
    }
  }

  it('accepts a well-formed token (the control: the setup itself works)', async () => {
    const { landing, browser } = await withForgery(({ issuer, nonce, sign }) =>
      sign({ ...base(issuer, nonce), sub: 'control-user', email: 'control@example.test' }),
    );
    expect(landing.pathname).toBe('/');
    expect((await signedInUser(browser))?.email).toBe('control@example.test');
  });

  const forgeries: [string, ControlledProvider['forge']][] = [
    [
      'a wrong issuer',
      ({ issuer, nonce, sign }) => sign({ ...base(issuer, nonce), iss: 'https://evil.example' }),
    ],
    [
      'a wrong audience',
      ({ issuer, nonce, sign }) => sign({ ...base(issuer, nonce), aud: 'another-client' }),
    ],
    ['a wrong nonce', ({ issuer, sign }) => sign(base(issuer, 'not-the-nonce'))],
    [
      'a missing nonce',
      ({ issuer, nonce, sign }) => sign({ ...base(issuer, nonce), nonce: undefined }),
    ],
    [
      'an expired token',
      ({ issuer, nonce, sign }) =>
        sign({ ...base(issuer, nonce), iat: now() - 7200, exp: now() - 3600 }),
    ],
    [
      'a signature by a key the provider does not publish',
      ({ issuer, nonce }) => controlled.signWithForeignKey(base(issuer, nonce)),
    ],
    [
      'alg none',
      ({ issuer, nonce }) =>
        Promise.resolve(
          `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
            JSON.stringify(base(issuer, nonce)),
          ).toString('base64url')}.`,
        ),
    ],
    [
      'a tampered payload under a valid signature',
      async ({ issuer, nonce, sign }) => {
        const [header, , signature] = (await sign(base(issuer, nonce))).split('.');
        const payload = Buffer.from(
          JSON.stringify({ ...base(issuer, nonce), sub: 'admin' }),
        ).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
  ];

  it.each(forgeries)('refuses %s: no session, no account', async (_name, forge) => {
    const { landing, browser } = await withForgery(forge);
    expect(landing.pathname + landing.search).toBe('/sign-in?error=provider_failed');
    expect(await signedInUser(browser)).toBeNull();
    expect(await userCount('forged@example.test')).toBe(0);
  });
});

describe('a second factor asserted by the provider (amr)', () => {
  const amrUser =
    (amr: string[]): ControlledProvider['forge'] =>
    ({ issuer, nonce, sign }) =>
      sign({
        iss: issuer,
        aud: controlled.clientId,
        sub: 'amr-user',
        nonce,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 300,
        email: 'amr-user@example.test',
        email_verified: true,
        amr,
      });

  async function via(
    providerId: string,
    amr: string[],
  ): Promise<{ landing: URL; browser: ProviderBrowser }> {
    const original = controlled.forge;
    controlled.forge = amrUser(amr);
    try {
      const browser = newBrowser();
      const trip = await roundTrip(browser, start(providerId));
      return { landing: trip.landing, browser };
    } finally {
      controlled.forge = original;
    }
  }

  it('stands in for the Portcullis second factor only from a provider the operator trusts', async () => {
    const first = await via('controlled', ['pwd']);
    expect(first.landing.pathname).toBe('/');
    const client = apiClient(first.browser);
    await client.csrf();
    const enrol = await client.post<{ secret: string }>('/api/account/totp');
    const { decodeBase32IgnorePadding } = await import('@oslojs/encoding');
    const { totpCode } = await import('../../src/lib/totp.js');
    const confirmed = await client.post('/api/account/totp/confirm', {
      code: totpCode(decodeBase32IgnorePadding(enrol.body.secret), Date.now()),
    });
    expect(confirmed.status, confirmed.text).toBe(200);

    // Untrusted provider: its "mfa" does not count.
    const untrusted = await via('controlled', ['pwd', 'mfa']);
    expect(untrusted.landing.searchParams.get('second-factor')).toContain('totp');
    expect(await signedInUser(untrusted.browser)).toBeNull();
    // Trusted provider without a second factor in amr: still owed.
    const single = await via('trusted', ['pwd']);
    expect(single.landing.searchParams.get('second-factor')).toContain('totp');
    // Trusted provider asserting one: signed in, both recorded.
    const trusted = await via('trusted', ['pwd', 'mfa']);
    expect(trusted.landing.pathname).toBe('/');
    const sessions = await apiClient(trusted.browser).get<SessionListResponse>(
      '/api/account/sessions',
    );
    expect(sessions.body.sessions.find((s) => s.current)?.methods).toEqual(['fed', 'mfa']);
  });
});

describe('key rotation at the provider', () => {
  it('accepts ID tokens signed by a newly published key once the JWKS is fetched again', async () => {
    await signInAs('alice'); // the JWKS is cached now
    await provider.rotateKeys({ dropOld: true });
    // openid-client refetches a JWKS for an unknown kid at most once a minute (a flood of
    // forged kids must not hammer the provider); the clock moves past that pause.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    try {
      const browser = await signInAs('alice');
      expect((await signedInUser(browser))?.email).toBe('alice@provider.test');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('signing out', () => {
  it('answers the provider end-session URL with the logout (RP-initiated logout)', async () => {
    const browser = await signInAs('alice');
    const client = apiClient(browser);
    const res = await client.logout();
    expect(res.status).toBe(204);
    const location = new URL(res.headers.get(PROVIDER_LOGOUT_HEADER) ?? '');
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('client_id')).toBe(provider.clientId);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(
      `${testApp.config.publicOrigin}/sign-in`,
    );
  });

  it('has no provider URL for a password session', async () => {
    const user = await createUser(testApp);
    const res = await user.client.logout();
    expect(res.headers.get(PROVIDER_LOGOUT_HEADER)).toBeNull();
  });

  it('ends the Portcullis session when the provider sends a back-channel logout', async () => {
    const browser = await signInAs('alice');
    expect(await signedInUser(browser)).not.toBeNull();
    // The user signs out at the provider (its own logout page, same browser).
    const endSession = new URL('/session/end', provider.issuer);
    endSession.searchParams.set('client_id', provider.clientId);
    endSession.searchParams.set(
      'post_logout_redirect_uri',
      `${testApp.config.publicOrigin}/sign-in`,
    );
    await roundTrip(browser, endSession.href);
    await vi.waitFor(
      async () => {
        expect(await signedInUser(browser)).toBeNull();
      },
      {
        timeout: 5_000,
        interval: 50,
      },
    );
    const events = await listAudit(admin.client);
    expect(events.some((e) => e.type === 'provider_logout' && e.outcome === 'success')).toBe(true);
  }, 15_000);

  it('reaches a session that owed a Portcullis second factor after the provider', async () => {
    const enrolled = apiClient(await signInAs('frank'));
    await enrolled.csrf();
    const enrol = await enrolled.post<{ secret: string }>('/api/account/totp');
    const { decodeBase32IgnorePadding } = await import('@oslojs/encoding');
    const { totpCode } = await import('../../src/lib/totp.js');
    const key = decodeBase32IgnorePadding(enrol.body.secret);
    const confirmed = await enrolled.post('/api/account/totp/confirm', {
      code: totpCode(key, Date.now()),
    });
    expect(confirmed.status, confirmed.text).toBe(200);

    const browser = newBrowser();
    const trip = await roundTrip(browser, start(), { login: 'frank' });
    expect(trip.landing.searchParams.get('second-factor')).toContain('totp');
    const client = apiClient(browser);
    await client.csrf();
    // The next step's code: the enrolment's step is spent (a code works once).
    const second = await client.post('/api/login/second-factor', {
      method: 'totp',
      code: totpCode(key, Date.now() + 30_000),
    });
    expect(second.status, second.text).toBe(200);
    for (const [name, value] of client.cookies) browser.jar(testApp.url).set(name, value);
    expect((await signedInUser(browser))?.email).toBe('frank@provider.test');
    const sessions = await apiClient(browser).get<SessionListResponse>('/api/account/sessions');
    expect(sessions.body.sessions.find((s) => s.current)?.methods).toEqual(['fed', 'otp']);

    const endSession = new URL('/session/end', provider.issuer);
    endSession.searchParams.set('client_id', provider.clientId);
    endSession.searchParams.set(
      'post_logout_redirect_uri',
      `${testApp.config.publicOrigin}/sign-in`,
    );
    await roundTrip(browser, endSession.href);
    await vi.waitFor(
      async () => {
        expect(await signedInUser(browser)).toBeNull();
      },
      { timeout: 5_000, interval: 50 },
    );
  }, 15_000);

  describe('refuses a logout token that is not valid', () => {
    const logoutUrl = () => `${testApp.url}/api/auth/test/backchannel-logout`;
    const post = (token: string) =>
      fetch(logoutUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
      });
    const claims = (extra: Record<string, unknown> = {}) => ({
      iss: provider.issuer,
      aud: provider.clientId,
      iat: Math.floor(Date.now() / 1000),
      jti: `jti-${Math.random()}`,
      sub: 'alice',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      ...extra,
    });
    const signed = async (payload: Record<string, unknown>) => {
      const jwk = provider.signingKeys[0];
      if (jwk === undefined) throw new Error('no key');
      const key = await importJWK(jwk, 'RS256');
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '' })
        .sign(key);
    };

    it('accepts a valid one once and refuses its replay', async () => {
      const token = await signed(claims());
      expect((await post(token)).status).toBe(200);
      expect((await post(token)).status).toBe(400);
    });

    it.each([
      ['a nonce (an ID token replayed as a logout token)', { nonce: 'n' }],
      ['no events claim', { events: undefined }],
      ['neither sid nor sub', { sub: undefined }],
      ['another audience', { aud: 'someone-else' }],
      ['another issuer', { iss: 'https://evil.example' }],
      ['an old iat', { iat: Math.floor(Date.now() / 1000) - 3600 }],
    ])('refuses %s', async (_name, extra) => {
      expect((await post(await signed(claims(extra)))).status).toBe(400);
    });

    it('refuses alg none', async () => {
      const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
        JSON.stringify(claims()),
      ).toString('base64url')}.`;
      expect((await post(none)).status).toBe(400);
    });
  });
});
