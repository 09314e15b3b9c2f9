import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, registerAndSignIn, signIn, signOut, submitPassword } from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { ageAuthentication, waitUntilStepUpRequired } from './support/session-clock.js';
import { admin } from './support/test-server.js';
import { totp } from './support/totp.js';

const { sessions, mailbox, origin } = useAppUnderTest();

async function openSecurityPage(page: Page): Promise<void> {
  await page.goto('/profile/security');
  await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
}

function twoFactorPanel(page: Page) {
  return page.getByRole('region', { name: 'Two-factor authentication' });
}

/**
 * Enrols an authenticator app from the setup the page shows, playing the app with the secret in
 * text. The code is the previous step's (the server accepts one step of drift), so the current
 * step's code is still unused for the sign-in that follows.
 */
async function enrolTotp(page: Page, shots?: string): Promise<{ secret: string; codes: string[] }> {
  const panel = twoFactorPanel(page);
  await panel.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const qr = panel.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  // Drawn as SVG elements (Trusted Types forbid parsing markup): many dark modules.
  expect(await qr.locator('rect').count()).toBeGreaterThan(50);
  const secret = ((await panel.locator('code.secret').textContent()) ?? '').replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  if (shots !== undefined) await checkAtBothWidths(page, `${shots}-setup`);

  await panel.getByLabel('Code from the app').fill(totp(secret, -1));
  await panel.getByRole('button', { name: 'Turn on' }).click();
  const saved = page.getByRole('region', { name: 'Save your recovery codes' });
  await saved.waitFor();
  const codes = await saved.getByRole('listitem').allTextContents();
  expect(codes.length).toBeGreaterThanOrEqual(8);
  if (shots !== undefined) await checkAtBothWidths(page, `${shots}-recovery-codes`);
  return { secret, codes };
}

describe('the test’s own authenticator app', () => {
  test('computes the RFC 6238 Appendix B codes (SHA-1), so a refusal is the server’s, not the helper’s', () => {
    // The RFC's SHA-1 key "12345678901234567890" in base32, and its 8-digit codes cut to 6.
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(totp(secret, 0, 59_000)).toBe('287082');
    expect(totp(secret, 0, 1_111_111_109_000)).toBe('081804');
    expect(totp(secret, 0, 2_000_000_000_000)).toBe('279037');
  });
});

describe('two-factor authentication', () => {
  test('an authenticator app enrolled from the setup page is asked for at sign-in; each code works once', async () => {
    const user = newUser('totp');
    const { page, expectRefusal } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, user);
    await openSecurityPage(page);
    await twoFactorPanel(page).getByText('Only your password protects your account.').waitFor();
    await checkAtBothWidths(page, '2fa-security-off');

    const { secret, codes } = await enrolTotp(page, '2fa-totp');

    // The codes go to a text file built in the page, then the list goes away for good.
    const saved = page.getByRole('region', { name: 'Save your recovery codes' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      saved.getByRole('button', { name: 'Download as text' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('portcullis-recovery-codes.txt');
    const text = await readFile(await download.path(), 'utf8');
    for (const code of codes) expect(text).toContain(code);
    await saved.getByRole('button', { name: 'I have saved them' }).click();
    await saved.waitFor({ state: 'detached' });
    const panel = twoFactorPanel(page);
    await panel.getByRole('button', { name: 'Remove authenticator app' }).waitFor();
    await panel
      .getByText(`${String(codes.length)} of ${String(codes.length)} recovery codes left.`)
      .waitFor();
    await checkAtBothWidths(page, '2fa-security-on');

    // Password, then the app's current code.
    await signOut(page);
    await submitPassword(page, user);
    const code = page.getByLabel('Authenticator code');
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await code.getAttribute('inputmode')).toBe('numeric');
    expect(await code.evaluate((element) => element === document.activeElement)).toBe(true);
    await checkAtBothWidths(page, '2fa-sign-in-code');
    const current = totp(secret);
    await code.fill(current);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    // The same code again is refused (RFC 6238 §5.2: a code is accepted once).
    await signOut(page);
    await submitPassword(page, user);
    expectRefusal('401 /api/login/second-factor');
    await page.getByLabel('Authenticator code').fill(current);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page
      .getByRole('alert')
      .getByText(/That code or passkey was not accepted/)
      .first()
      .waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    // A recovery code instead, as typed by hand with spaces.
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    const recovery = page.getByLabel('Recovery code');
    expect(await recovery.evaluate((element) => element === document.activeElement)).toBe(true);
    await checkAtBothWidths(page, '2fa-sign-in-recovery');
    await recovery.fill(codes[0] ?? '');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    await openSecurityPage(page);
    await twoFactorPanel(page)
      .getByText(`${String(codes.length - 1)} of ${String(codes.length)} recovery codes left.`)
      .waitFor();

    // A spent recovery code is refused too.
    await signOut(page);
    await submitPassword(page, user);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    expectRefusal('401 /api/login/second-factor');
    await page.getByLabel('Recovery code').fill(codes[0] ?? '');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page
      .getByRole('alert')
      .getByText(/That code or passkey was not accepted/)
      .first()
      .waitFor();
  });

  test('a sensitive change on an old sign-in asks for the password in place, then completes', async () => {
    const user = newUser('stepup');
    const { page, context, expectRefusal } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, user);
    await openSecurityPage(page);
    const { codes } = await enrolTotp(page);
    await page.getByRole('button', { name: 'I have saved them' }).click();

    // Eleven minutes since the sign-in, as far as the server knows.
    ageAuthentication(user.email, 11 * 60_000);
    await waitUntilStepUpRequired(context, origin());

    expectRefusal('403 /api/account/recovery-codes');
    await page.getByRole('button', { name: 'Get new recovery codes' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    const password = dialog.getByLabel('Your password', { exact: true });
    await password.waitFor();
    expect(await password.evaluate((element) => element === document.activeElement)).toBe(true);
    // The account has an app, so its code is offered as well.
    await dialog.getByRole('button', { name: 'Use your authenticator app instead' }).waitFor();
    await checkAtBothWidths(page, '2fa-step-up');
    await password.fill(user.password);
    await password.press('Enter');

    // The refused request went again and completed: a new set, the old one void.
    const saved = page.getByRole('region', { name: 'Save your recovery codes' });
    await saved.waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const fresh = await saved.getByRole('listitem').allTextContents();
    expect(fresh.length).toBe(codes.length);
    expect(fresh.some((code) => codes.includes(code))).toBe(false);
    await page
      .getByRole('status')
      .filter({ hasText: 'New recovery codes were made; the old ones no longer work.' })
      .waitFor();

    // The renewed session is recent: the next sensitive change goes through without asking.
    await saved.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByRole('button', { name: 'Get new recovery codes' }).click();
    await saved.waitFor();
    expect(await dialog.count()).toBe(0);
  });

  test('an admin resets a user’s second factors: the password alone signs in again', async () => {
    const user = newUser('reset2fa');
    const member = await sessions.newSession();
    await registerAndSignIn(member.page, mailbox, user);
    await openSecurityPage(member.page);
    await enrolTotp(member.page);
    await member.page.getByRole('button', { name: 'I have saved them' }).click();
    await signOut(member.page);

    const adminPage = (await sessions.newSession()).page;
    await signIn(adminPage, admin);
    await adminPage.goto('/admin/users');
    await adminPage.getByLabel('Search').fill(user.email);
    await adminPage.getByRole('button', { name: 'Search users' }).click();
    const row = adminPage
      .getByRole('region', { name: 'Users' })
      .getByRole('row')
      .filter({ hasText: user.email });
    await row.locator('summary').filter({ hasText: 'Actions' }).click();
    await row.getByRole('button', { name: `Reset second factors ${user.email}` }).click();
    await adminPage
      .getByRole('status')
      .filter({
        hasText: `${user.email}'s authenticator app, passkeys and recovery codes are removed`,
      })
      .waitFor();

    await signIn(member.page, user);
    await openSecurityPage(member.page);
    await twoFactorPanel(member.page)
      .getByText('Only your password protects your account.')
      .waitFor();
  });
});
