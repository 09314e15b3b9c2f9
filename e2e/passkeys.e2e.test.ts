import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, registerAndSignIn, signOut, submitPassword } from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { ageAuthentication, waitUntilStepUpRequired } from './support/session-clock.js';

const { sessions, mailbox, origin } = useAppUnderTest();

/**
 * Chromium's virtual authenticator (DevTools WebAuthn domain): a platform authenticator with
 * resident keys that verifies the user and approves every prompt, so passkeys work headless.
 */
async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/**
 * The virtual authenticator answers the sign-in page's autofill request (conditional UI) at once,
 * as if the user had picked the suggestion, so typing the email would sign in with the passkey
 * before the password is sent. To reach the second step, the autofill's request for options is
 * held unanswered (the page ends it when it leaves); every later request goes through.
 */
async function holdPasskeyAutofill(page: Page): Promise<() => Promise<void>> {
  const url = '**/api/login/passkey/options';
  let held = false;
  await page.route(url, async (route) => {
    if (!held) {
      held = true;
      return;
    }
    await route.continue();
  });
  return () => page.unroute(url);
}

function passkeysGroup(page: Page) {
  return page
    .getByRole('region', { name: 'Two-factor authentication' })
    .getByRole('group', { name: 'Passkeys' });
}

describe('passkeys', () => {
  test('a passkey is added and named, signs in alone and as the second step, and confirms its own removal', async () => {
    const user = newUser('passkey');
    const { page, context, expectRefusal } = await sessions.newSession();
    await addVirtualAuthenticator(context, page);
    await registerAndSignIn(page, mailbox, user);
    await page.goto('/profile/security');
    const group = passkeysGroup(page);

    await group.getByLabel('Name for a new passkey').fill('Test laptop');
    await group.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'Passkey “Test laptop” added.' }).waitFor();
    // The first factor brings recovery codes, shown once.
    const saved = page.getByRole('region', { name: 'Save your recovery codes' });
    await saved.waitFor();
    await saved.getByRole('button', { name: 'I have saved them' }).click();
    const item = group.getByRole('listitem', { name: 'Test laptop' });
    await item.getByText('Never').waitFor();

    // Renamed in place.
    await item.getByRole('button', { name: 'Rename Test laptop' }).click();
    const rename = group.getByRole('form', { name: 'Rename Test laptop' });
    await rename.getByLabel('New name').fill('Work laptop');
    await rename.getByRole('button', { name: 'Save name' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Passkey renamed to “Work laptop”.' })
      .waitFor();
    await group.getByRole('listitem', { name: 'Work laptop' }).waitFor();
    await checkAtBothWidths(page, '2fa-passkeys');

    // Alone, with the sign-in page's button: no email, no password.
    await signOut(page);
    expect(await page.getByLabel('Email').getAttribute('autocomplete')).toBe('username webauthn');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    // Alone, through the email field's autofill (armed when the field takes focus): the page
    // signs in as soon as the suggestion is picked.
    await signOut(page);
    const [autofilled] = await Promise.all([
      page.waitForResponse((response) => new URL(response.url()).pathname === '/api/login/passkey'),
      page.getByLabel('Email').focus(),
    ]);
    expect(autofilled.status()).toBe(200);
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).waitFor();

    // As the second step after the password.
    const release = await holdPasskeyAutofill(page);
    await signOut(page);
    await submitPassword(page, user);
    // No app enrolled: the passkey is asked for first, a recovery code offered as the fallback.
    const usePasskey = page.getByRole('button', { name: 'Use a passkey' });
    expect(await usePasskey.evaluate((element) => element === document.activeElement)).toBe(true);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).waitFor();
    await checkAtBothWidths(page, '2fa-sign-in-passkey-step');
    await usePasskey.click();
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    await release();

    // Used now. Removing it on a sign-in older than ten minutes asks to confirm it is you, and
    // the passkey itself may answer.
    await page.goto('/profile/security');
    const used = passkeysGroup(page).getByRole('listitem', { name: 'Work laptop' });
    await used.waitFor();
    expect(await used.getByText('Never').count()).toBe(0);
    ageAuthentication(user.email, 11 * 60_000);
    await waitUntilStepUpRequired(context, origin());
    const factors = (await (
      await context.request.get(`${origin()}/api/account/factors`)
    ).json()) as { passkeys: { id: string }[] };
    expectRefusal(`403 /api/account/passkeys/${factors.passkeys[0]?.id ?? ''}`);

    await used.getByRole('button', { name: 'Remove Work laptop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this passkey?' });
    await dialog.getByRole('button', { name: 'Remove passkey' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByRole('button', { name: 'Use a passkey' }).click();
    await stepUp.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Passkey “Work laptop” removed.' }).waitFor();
    await passkeysGroup(page).getByText('No passkeys yet.').waitFor();
  });
});
