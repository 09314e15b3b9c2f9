import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { addNote, newUser, registerAndSignIn, registerAndVerify, signIn } from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { admin } from './support/test-server.js';

const { sessions, mailbox } = useAppUnderTest();

async function openSecurityPage(page: Page): Promise<void> {
  await page.goto('/profile');
  await page.getByRole('link', { name: /^Security/ }).click();
  await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
}

function sessionsPanel(page: Page) {
  return page.getByRole('region', { name: 'Where you are signed in' });
}

/** The refresh cookie, whatever its prefix (`__Host-` or `__Secure-`). */
async function refreshCookie(context: BrowserContext) {
  const cookies = await context.cookies();
  const cookie = cookies.find((candidate) => candidate.name.endsWith('portcullis-refresh'));
  if (cookie === undefined)
    throw new Error(`no refresh cookie: ${cookies.map((c) => c.name).join(', ')}`);
  return cookie;
}

describe('the security page', () => {
  test('two browsers are listed; the first ends the second, which is out at its next action', async () => {
    const user = newUser('twice');
    const first = await sessions.newSession();
    await registerAndSignIn(first.page, mailbox, user);
    const second = await sessions.newSession();
    await signIn(second.page, user);
    await second.page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    await first.page.goto('/profile');
    await first.page.getByRole('link', { name: /^Security/ }).waitFor();
    await checkAtBothWidths(first.page, 'profile');
    await openSecurityPage(first.page);
    const panel = sessionsPanel(first.page);
    const items = panel.getByRole('listitem');
    await items.nth(1).waitFor();
    expect(await items.count()).toBe(2);
    // This browser first, marked; both name the browser in words and the address they came from.
    await items.first().getByText('This device').waitFor();
    expect(await items.nth(1).getByText('This device').count()).toBe(0);
    await items.nth(1).getByRole('heading', { name: 'Chrome on Linux' }).waitFor();
    await items.nth(1).getByText('127.0.0.1').waitFor();
    await checkAtBothWidths(first.page, 'security-page');

    await items
      .nth(1)
      .getByRole('button', { name: /^Sign out of Chrome on Linux/ })
      .click();
    await first.page
      .getByRole('status')
      .filter({ hasText: 'Signed out of Chrome on Linux.' })
      .waitFor();
    expect(await items.count()).toBe(1);
    await panel.getByText('You are not signed in anywhere else.').waitFor();

    // The ended browser learns at its very next request, and is sent to sign in.
    second.expectRefusal('401 /api/notes');
    second.expectRefusal('401 /api/refresh');
    const form = second.page.getByRole('form', { name: 'New note' });
    await form.getByLabel('Title').fill('Written after being signed out');
    await form.getByRole('button', { name: 'Add note' }).click();
    await second.page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    expect(new URL(second.page.url()).pathname).toBe('/sign-in');

    // The sign-out is in the owner's own activity, newest first.
    await first.page.reload();
    const activity = first.page.getByRole('region', { name: 'Recent activity' });
    await activity.getByRole('listitem').first().waitFor();
    expect(await activity.getByRole('listitem').first().textContent()).toMatch(/Session revoked/);
  });

  test('"Sign out of all other sessions" ends every other browser at once', async () => {
    const user = newUser('many');
    const first = await sessions.newSession();
    await registerAndSignIn(first.page, mailbox, user);
    for (let index = 0; index < 2; index += 1) {
      const other = await sessions.newSession();
      await signIn(other.page, user);
    }
    await openSecurityPage(first.page);
    const panel = sessionsPanel(first.page);
    await panel.getByRole('listitem').nth(2).waitFor();
    await panel.getByRole('button', { name: 'Sign out of all other sessions' }).click();
    await first.page
      .getByRole('status')
      .filter({ hasText: 'Signed out of 2 other sessions.' })
      .waitFor();
    expect(await panel.getByRole('listitem').count()).toBe(1);
    await first.page.reload();
    await panel.getByRole('listitem').first().getByText('This device').waitFor();
    expect(await panel.getByRole('listitem').count()).toBe(1);
  });

  test('"Download my data" saves a JSON file holding the profile and the notes', async () => {
    const user = newUser('exporter');
    const { page } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, user);
    await addNote(page, 'Exported note', 'It travels with the export.');
    await openSecurityPage(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download my data' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^portcullis-export-\d{4}-\d{2}-\d{2}\.json$/);
    const file = await download.path();
    const data = JSON.parse(await readFile(file, 'utf8')) as {
      profile: { email: string };
      notes: { title: string; body: string }[];
      sessions: unknown[];
    };
    expect(data.profile.email).toBe(user.email);
    expect(data.notes).toEqual([
      expect.objectContaining({ title: 'Exported note', body: 'It travels with the export.' }),
    ]);
    expect(data.sessions.length).toBeGreaterThanOrEqual(1);
    await page
      .getByRole('status')
      .filter({ hasText: `Your data was saved as ${download.suggestedFilename()}.` })
      .waitFor();
  });

  test('unticked, the refresh cookie ends with the browser; ticked, it has an expiry', async () => {
    const user = newUser('keeper');
    const first = await sessions.newSession();
    await registerAndVerify(first.page, mailbox, user);
    // Unticked is the default: nothing to do but sign in.
    expect(await first.page.getByLabel('Keep me signed in on this device').isChecked()).toBe(false);
    await signIn(first.page, user);
    expect((await refreshCookie(first.context)).expires).toBe(-1);

    const second = await sessions.newSession();
    await signIn(second.page, user, { remember: true });
    const remembered = await refreshCookie(second.context);
    // Days, not the minutes of an access token.
    expect(remembered.expires * 1000 - Date.now()).toBeGreaterThan(24 * 60 * 60 * 1000);

    await openSecurityPage(second.page);
    const items = sessionsPanel(second.page).getByRole('listitem');
    await items.nth(1).waitFor();
    await items.first().getByText('Remembered').waitFor();
    await items.nth(1).getByText('Until the browser closes').waitFor();
  });

  test('deleting the account asks for the password, then signs out and says so', async () => {
    const user = newUser('leaving');
    const { page, expectRefusal } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, user);
    await openSecurityPage(page);

    await page.getByRole('button', { name: 'Delete my account…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
    const password = dialog.getByLabel('Your password', { exact: true });
    await password.waitFor();
    expect(await password.evaluate((element) => element === document.activeElement)).toBe(true);
    await checkAtBothWidths(page, 'security-delete-dialog');

    // A wrong password is refused and said next to the field; nothing is deleted.
    expectRefusal('401 /api/account');
    await password.fill('not my password at all');
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await dialog.getByText('The password is incorrect.').waitFor();
    expect(await password.inputValue()).toBe('');

    await password.fill(user.password);
    await password.press('Enter');
    await page
      .getByText('Your account has been deleted and you have been signed out everywhere.')
      .waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    // The account is gone: its password signs nobody in.
    expectRefusal('401 /api/login');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The email or password is incorrect.').waitFor();
  });

  test('a guest sees sessions and activity but is offered no export or deletion', async () => {
    const member = newUser('visitor');
    const userSession = await sessions.newSession();
    // Signed in only after the role change, which ends every session the account has.
    await registerAndVerify(userSession.page, mailbox, member);

    const adminPage = (await sessions.newSession()).page;
    await signIn(adminPage, admin);
    await adminPage.goto('/admin/users');
    await adminPage.getByLabel('Search').fill(member.email);
    await adminPage.getByRole('button', { name: 'Search users' }).click();
    const row = adminPage.getByRole('row').filter({ hasText: member.email });
    await row.getByRole('combobox').selectOption('guest');
    await row.getByRole('button', { name: `Save role for ${member.email}` }).click();
    await adminPage
      .getByRole('status')
      .filter({ hasText: `${member.email} is now guest.` })
      .waitFor();

    await signIn(userSession.page, member);
    await openSecurityPage(userSession.page);
    await sessionsPanel(userSession.page).getByText('This device').waitFor();
    await userSession.page
      .getByRole('region', { name: 'Recent activity' })
      .getByRole('listitem')
      .first()
      .waitFor();
    expect(await userSession.page.getByRole('button', { name: 'Download my data' }).count()).toBe(
      0,
    );
    expect(await userSession.page.getByRole('button', { name: /Delete my account/ }).count()).toBe(
      0,
    );
  });

  test('a list that cannot be read says why, and "Try again" reads it', async () => {
    const user = newUser('retry');
    const session = await sessions.newSession();
    await registerAndSignIn(session.page, mailbox, user);
    // The one answer an overloaded server gives; every later request reaches the server.
    let refused = false;
    await session.page.route('**/api/account/sessions', async (route) => {
      if (refused) return route.fallback();
      refused = true;
      return route.fulfill({
        status: 503,
        headers: { 'retry-after': '1' },
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'server_busy', message: 'The server is busy. Try again shortly.' },
        }),
      });
    });
    session.expectRefusal('503 /api/account/sessions');
    await openSecurityPage(session.page);
    const panel = sessionsPanel(session.page);
    await panel
      .getByRole('alert')
      .getByText('The server is busy. Try again in 1 second.', { exact: true })
      .waitFor();
    await panel.getByRole('button', { name: 'Try again' }).click();
    await panel.getByRole('listitem').first().getByText('This device').waitFor();
    expect(await panel.getByRole('alert').count()).toBe(0);
  });
});
