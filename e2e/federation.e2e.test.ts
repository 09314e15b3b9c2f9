import type { User } from '@portcullis/contract/auth';
import type { LinkedProvidersResponse } from '@portcullis/contract/federation';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  startOidcTestProvider,
  type OidcTestProvider,
} from '../apps/server/test/support/oidc-test-provider.js';
import { useAppUnderTest } from './support/environment.js';
import { newUser, registerAndSignIn, signOut } from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { ageAuthentication, waitUntilStepUpRequired } from './support/session-clock.js';
import { totp } from './support/totp.js';

/**
 * Sign-in with an OpenID provider (ADR 016) in Chromium, against panva's oidc-provider running in
 * this process on a loopback port: the sign-in page's link, the provider's own login and consent
 * pages, the callback, and back in the app. Nothing between the browser and either server is
 * mocked, except the provider pages' web font, which would be fetched from the internet.
 */

/** The provider's users: its development login page takes the key as the login, any password. */
const accounts = {
  alice: { email: 'alice@provider.test', emailVerified: true, name: 'Alice Provider' },
  bob: { email: 'bob@provider.test', emailVerified: true, name: 'Bob Provider' },
  carol: { email: 'carol@provider.test', emailVerified: true, name: 'Carol Provider' },
  dave: { email: 'dave@provider.test', emailVerified: true, name: 'Dave Provider' },
  erin: { email: 'erin@provider.test', emailVerified: true, name: 'Erin Provider' },
};
type Login = keyof typeof accounts;

const providerName = 'Test ID';

let provider: OidcTestProvider | undefined;
const running = () => {
  if (provider === undefined) throw new Error('the provider is not running');
  return provider;
};

// Registered before useAppUnderTest's, so the provider's address is known when the app starts.
beforeAll(async () => {
  provider = await startOidcTestProvider(accounts);
});

const { sessions, mailbox, origin } = useAppUnderTest({
  env: () => ({
    OIDC_PROVIDERS: JSON.stringify([
      {
        id: 'test',
        type: 'oidc',
        name: providerName,
        issuer: running().issuer,
        clientId: running().clientId,
        clientSecret: running().clientSecret,
      },
    ]),
  }),
});

beforeAll(async () => {
  // The app's port is known only now; the app reads the provider's discovery on first use.
  await running().configureClient({
    redirectUri: `${origin()}/api/auth/test/callback`,
    postLogoutRedirectUri: `${origin()}/sign-in`,
    backchannelLogoutUri: `${origin()}/api/auth/test/backchannel-logout`,
  });
});

afterAll(async () => {
  await provider?.close();
});

/** A browser session whose provider pages get an empty stylesheet for their Google font. */
async function newSession() {
  const session = await sessions.newSession();
  await session.context.route('https://fonts.googleapis.com/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: '' }),
  );
  return session;
}

const onProvider = (url: URL) => url.origin === running().issuer;
const onApp = (url: URL) => url.origin === origin();

/**
 * Follows a click that started a round trip: signs in at the provider as `login` when it asks (it
 * does not while its own session lasts), grants consent when it asks, and waits until the browser
 * is back in the app, on a page other than `from`.
 */
async function passProvider(page: Page, login: Login, from: string): Promise<void> {
  const left = (url: URL) => onProvider(url) || (onApp(url) && url.href !== from);
  await page.waitForURL(left);
  const loginField = page.locator('input[name="login"]');
  if (onProvider(new URL(page.url())) && (await loginField.count()) > 0) {
    const loginPage = page.url();
    await loginField.fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // The consent page (another interaction) or straight back to the app.
    await page.waitForURL((url) => url.href !== loginPage && left(url));
  }
  if (onProvider(new URL(page.url()))) {
    await page.getByRole('button', { name: 'Continue' }).click();
  }
  await page.waitForURL((url) => onApp(url) && url.href !== from);
}

/** Clicks a link that starts a round trip to the provider and passes it as `login`. */
async function roundTrip(page: Page, link: Locator, login: Login): Promise<void> {
  const from = page.url();
  await link.click();
  await passProvider(page, login, from);
}

async function waitUntilSignedIn(page: Page): Promise<void> {
  await page
    .getByRole('banner')
    .getByRole('button', { name: 'Sign out', includeHidden: true })
    .waitFor({ state: 'attached' });
}

async function sessionUser(page: Page): Promise<User | null> {
  const response = await page.request.get('/api/session');
  return ((await response.json()) as { user: User | null }).user;
}

async function linkedProviders(page: Page): Promise<LinkedProvidersResponse['providers']> {
  const response = await page.request.get('/api/account/providers');
  return ((await response.json()) as LinkedProvidersResponse).providers;
}

function providersSection(page: Page) {
  return page.getByRole('region', { name: 'Sign-in providers' });
}

async function openSecurityPage(page: Page): Promise<void> {
  await page.goto('/profile/security');
  await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
  await providersSection(page).getByRole('heading', { name: 'Sign-in providers' }).waitFor();
}

const continueWith = (page: Page) =>
  page.getByRole('link', { name: `Continue with ${providerName}` });

describe('signing in with a provider', () => {
  test('a first sign-in creates the account; after signing out of both, the provider signs in to it again', async () => {
    const { page, expectRefusal } = await newSession();
    await page.goto('/sign-in');
    await continueWith(page).waitFor();
    // A top-level navigation to the server, carrying "Keep me signed in" as it is ticked.
    expect(await continueWith(page).getAttribute('href')).toBe(
      '/api/auth/test/start?intent=sign-in&remember=false',
    );
    await page.getByLabel('Keep me signed in on this device').check();
    expect(await continueWith(page).getAttribute('href')).toBe(
      '/api/auth/test/start?intent=sign-in&remember=true',
    );
    await checkAtBothWidths(page, 'oidc-sign-in');

    await roundTrip(page, continueWith(page), 'alice');
    await waitUntilSignedIn(page);
    const user = await sessionUser(page);
    expect(user).toMatchObject({ email: accounts.alice.email, name: accounts.alice.name });

    await openSecurityPage(page);
    const section = providersSection(page);
    const item = section.getByRole('listitem').filter({ hasText: accounts.alice.email });
    await item.getByRole('heading', { name: providerName }).waitFor();
    await checkAtBothWidths(page, 'oidc-security-provider-only');

    // The provider is this account's only way in: unlinking it is refused, and the page says why.
    const [link] = await linkedProviders(page);
    expect(link).toBeDefined();
    expectRefusal(`409 /api/account/providers/${link?.id ?? ''}`);
    await item.getByRole('button', { name: `Unlink ${providerName}` }).click();
    const dialog = page.getByRole('dialog', { name: `Unlink ${providerName}?` });
    await dialog.getByRole('button', { name: 'Unlink' }).click();
    await dialog.getByText('This is the only way to sign in to your account.').waitFor();
    await checkAtBothWidths(page, 'oidc-unlink-last-way-in');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Signing out goes on to the provider's end-session page, which comes back to sign-in.
    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(onProvider);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => onApp(url) && url.pathname === '/sign-in');
    expect(await sessionUser(page)).toBeNull();

    // The provider's session ended too: it asks for the login again.
    const from = page.url();
    await continueWith(page).click();
    await page.waitForURL(onProvider);
    await page.locator('input[name="login"]').waitFor();
    await passProvider(page, 'alice', from);
    await waitUntilSignedIn(page);
    expect((await sessionUser(page))?.id).toBe(user?.id);
  });

  test('a password account links the provider from Security, signs in with it, and unlinks it', async () => {
    const user = newUser('linker');
    const { page } = await newSession();
    await registerAndSignIn(page, mailbox, user);
    await openSecurityPage(page);
    const section = providersSection(page);
    await section.getByText('No provider is linked to your account.').waitFor();
    await checkAtBothWidths(page, 'oidc-security-none');

    const link = section.getByRole('link', { name: `Link ${providerName}` });
    expect(await link.getAttribute('href')).toBe('/api/auth/test/start?intent=link');
    await roundTrip(page, link, 'bob');
    await section.getByText(`${providerName} is linked: you can now sign in with it.`).waitFor();
    // The result was read from the query, which is gone so a reload does not repeat it.
    expect(new URL(page.url()).search).toBe('');
    const item = section.getByRole('listitem').filter({ hasText: accounts.bob.email });
    await item.getByRole('heading', { name: providerName }).waitFor();
    await checkAtBothWidths(page, 'oidc-security-linked');

    // A password session: sign-out stays in the app.
    await signOut(page);
    // The provider still has bob signed in (and his consent): it may answer without a page.
    await roundTrip(page, continueWith(page), 'bob');
    await waitUntilSignedIn(page);
    expect((await sessionUser(page))?.email).toBe(user.email);

    await openSecurityPage(page);
    await item.getByRole('button', { name: `Unlink ${providerName}` }).click();
    const dialog = page.getByRole('dialog', { name: `Unlink ${providerName}?` });
    await dialog.getByRole('button', { name: 'Unlink' }).click();
    await section.getByText(`${providerName} unlinked. It can no longer sign you in.`).waitFor();
    await section.getByText('No provider is linked to your account.').waitFor();
    expect(await linkedProviders(page)).toEqual([]);
  });

  test('a consent denied at the provider ends on the sign-in page with the reason', async () => {
    const { page } = await newSession();
    await page.goto('/sign-in');
    await continueWith(page).click();
    await page.waitForURL(onProvider);
    await page.locator('input[name="login"]').fill('carol');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const consent = page.getByRole('button', { name: 'Continue' });
    await consent.waitFor();
    await page.getByRole('link', { name: '[ Cancel ]' }).click();

    await page.waitForURL((url) => onApp(url) && url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('error')).toBe('provider_denied');
    await page.getByRole('alert').getByText('The sign-in was cancelled at the provider.').waitFor();
    expect(await sessionUser(page)).toBeNull();
    await checkAtBothWidths(page, 'oidc-denied');
  });

  test('an account with an authenticator app still asks for its code after the provider', async () => {
    const user = newUser('federated-2fa');
    const { page } = await newSession();
    await registerAndSignIn(page, mailbox, user);
    await openSecurityPage(page);

    // The authenticator app, set up as the Security page offers it.
    const panel = page.getByRole('region', { name: 'Two-factor authentication' });
    await panel.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = ((await panel.locator('code.secret').textContent()) ?? '').replace(/\s/g, '');
    // The previous step's code, so the current one is still unused for the sign-in below.
    await panel.getByLabel('Code from the app').fill(totp(secret, -1));
    await panel.getByRole('button', { name: 'Turn on' }).click();
    const saved = page.getByRole('region', { name: 'Save your recovery codes' });
    await saved.getByRole('button', { name: 'I have saved them' }).click();

    await roundTrip(
      page,
      providersSection(page).getByRole('link', { name: `Link ${providerName}` }),
      'dave',
    );
    await providersSection(page).getByText(`${providerName} is linked`).waitFor();
    await signOut(page);

    // The callback leaves a pending sign-in: the page continues as after a right password.
    await roundTrip(page, continueWith(page), 'dave');
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    expect(new URL(page.url()).searchParams.has('second-factor')).toBe(false);
    expect(await sessionUser(page)).toBeNull();
    await checkAtBothWidths(page, 'oidc-second-factor');
    await page.getByLabel('Authenticator code').fill(totp(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitUntilSignedIn(page);
    expect((await sessionUser(page))?.email).toBe(user.email);
  });

  test('linking after a stale sign-in comes back asking to confirm it is you, then links', async () => {
    const user = newUser('stale-linker');
    const { page, context } = await newSession();
    await registerAndSignIn(page, mailbox, user);
    ageAuthentication(user.email, 11 * 60_000);
    await waitUntilStepUpRequired(context, origin());

    await openSecurityPage(page);
    const section = providersSection(page);
    const link = section.getByRole('link', { name: `Link ${providerName}` });
    // Refused by the server before the provider is asked: straight back, nothing linked.
    await link.click();
    const alert = section.getByRole('alert');
    await alert.getByText('Confirm it is you to continue').waitFor();
    await checkAtBothWidths(page, 'oidc-link-stale');

    await alert.getByRole('button', { name: 'Confirm it is you' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByLabel('Your password').fill(user.password);
    await stepUp.getByRole('button', { name: 'Continue' }).click();
    await stepUp.waitFor({ state: 'detached' });
    await section.getByText('Choose the provider to link again.').waitFor();

    await roundTrip(page, link, 'erin');
    await section.getByText(`${providerName} is linked: you can now sign in with it.`).waitFor();
    expect((await linkedProviders(page)).map((linked) => linked.email)).toEqual([
      accounts.erin.email,
    ]);
  });
});
