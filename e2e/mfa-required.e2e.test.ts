import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, PageTracker } from './support/browser.js';
import { signIn } from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { Mailbox } from './support/mailbox.js';
import { admin, startServer, type RunningServer } from './support/test-server.js';
import { totp } from './support/totp.js';

/*
 * A server whose administrators must have a second factor (MFA_REQUIRED_ROLES=admin). The shared
 * useAppUnderTest() starts the default server only, so this file sets up its own the same way:
 * one server, mail server and Chromium, and no console error or CSP violation in any session.
 */
let server: RunningServer | undefined;
let browser: Browser | undefined;
let smtp: Mailbox | undefined;
const origin = () => server?.origin ?? '';
const sessions = new PageTracker(() => {
  if (browser === undefined) throw new Error('the browser is not running');
  return browser;
}, origin);

beforeAll(async () => {
  smtp = await Mailbox.start();
  server = await startServer({ smtpUrl: smtp.smtpUrl, mfaRequiredRoles: 'admin' });
  browser = await launchBrowser();
});

afterEach(async () => {
  expect(await sessions.closeAll()).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

describe('a role that requires a second factor', () => {
  test('an admin without one is sent to set it up, and reaches the admin pages only after', async () => {
    const { page, expectRefusal } = await sessions.newSession();
    await signIn(page, admin);

    // Straight to setup, saying why; nothing else on the page would be answered.
    await page.waitForURL((url) => url.pathname === '/profile/security');
    const why = page
      .getByRole('alert')
      .filter({ hasText: 'Your role requires a second factor. Set one up to continue.' });
    await why.waitFor();
    expect(await page.getByRole('region', { name: 'Where you are signed in' }).count()).toBe(0);
    await checkAtBothWidths(page, '2fa-enrolment-required');

    // The admin link leads back here.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Admin' })
      .click();
    await why.waitFor();
    expect(new URL(page.url()).pathname).toBe('/profile/security');

    // So does opening the admin page directly: the server refuses its data, the app says why.
    expectRefusal('403 /api/admin/users');
    expectRefusal('403 /api/admin/audit');
    await page.goto('/admin');
    await page.waitForURL((url) => url.pathname === '/profile/security');
    await why.waitFor();

    // Enrol an authenticator app.
    const panel = page.getByRole('region', { name: 'Two-factor authentication' });
    await panel.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = ((await panel.locator('code.secret').textContent()) ?? '').replace(/\s/g, '');
    await panel.getByLabel('Code from the app').fill(totp(secret, -1));
    await panel.getByRole('button', { name: 'Turn on' }).click();
    const saved = page.getByRole('region', { name: 'Save your recovery codes' });
    await saved.waitFor();
    await why.waitFor({ state: 'detached' });
    await saved.getByRole('button', { name: 'I have saved them' }).click();

    // Now the admin pages answer.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Admin' })
      .click();
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Users' }).getByRole('row').nth(1).waitFor();
  });
});
