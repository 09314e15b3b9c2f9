import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, register, registerAndSignIn, signIn } from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { admin } from './support/test-server.js';

const { sessions, mailbox } = useAppUnderTest();

/** The admin's users page, narrowed to one address with the search box. */
async function findUser(page: Page, email: string) {
  if (new URL(page.url()).pathname !== '/admin/users') await page.goto('/admin/users');
  await page.getByLabel('Search').fill(email);
  await page.getByRole('button', { name: 'Search users' }).click();
  const row = page.getByRole('region', { name: 'Users' }).getByRole('row').filter({
    hasText: email,
  });
  await row.waitFor();
  return row;
}

async function runAction(page: Page, email: string, action: string, done: string) {
  const row = await findUser(page, email);
  await row.locator('summary').filter({ hasText: 'Actions' }).click();
  await row.getByRole('button', { name: `${action} ${email}` }).click();
  await page.getByRole('status').filter({ hasText: done }).waitFor();
  return row;
}

async function adminSignedIn(): Promise<Page> {
  const { page } = await sessions.newSession();
  await signIn(page, admin);
  return page;
}

describe('admin: users', () => {
  test('disabling a signed-in user ends their session at their next request', async () => {
    const member = newUser('disabled');
    const memberSession = await sessions.newSession();
    await registerAndSignIn(memberSession.page, mailbox, member);
    await memberSession.page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    const page = await adminSignedIn();
    const row = await runAction(
      page,
      member.email,
      'Disable',
      `${member.email} is disabled and signed out everywhere.`,
    );
    await row.getByText('Disabled', { exact: true }).waitFor();

    memberSession.expectRefusal('401 /api/notes');
    memberSession.expectRefusal('401 /api/refresh');
    const form = memberSession.page.getByRole('form', { name: 'New note' });
    await form.getByLabel('Title').fill('Written while disabled');
    await form.getByRole('button', { name: 'Add note' }).click();
    await memberSession.page
      .getByText('Your session has ended. Sign in again to continue.')
      .waitFor();
    expect(new URL(memberSession.page.url()).pathname).toBe('/sign-in');

    // Enabled again, the same password signs in.
    await runAction(page, member.email, 'Enable', `${member.email} is enabled.`);
    await signIn(memberSession.page, member);
  });

  test('an invited user sets a password from the mailed link and signs in', async () => {
    const invitee = newUser('invitee');
    const page = await adminSignedIn();
    await page.goto('/admin/users');
    await page.locator('summary').filter({ hasText: 'Add user' }).click();
    const form = page.getByRole('form', { name: 'Add user' });
    await form.getByLabel('Email').fill(invitee.email);
    await form.getByLabel('Name').fill(invitee.name);
    await form.getByText('Leave empty and an invitation will be mailed').waitFor();
    await checkAtBothWidths(page, 'admin-add-user');
    await form.getByRole('button', { name: 'Add and send invitation' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${invitee.email} was invited` })
      .waitFor();

    const mail = await mailbox.waitForMail(invitee.email, (candidate) =>
      candidate.links.some((link) => new URL(link).pathname === '/accept-invite'),
    );
    const inviteePage = (await sessions.newSession()).page;
    await inviteePage.goto(mail.link('/accept-invite'));
    await inviteePage.getByRole('heading', { name: 'Accept your invitation', level: 1 }).waitFor();
    // The token left the address bar before the form was used.
    expect(new URL(inviteePage.url()).hash).toBe('');
    await checkAtBothWidths(inviteePage, 'accept-invite');
    await inviteePage.getByLabel('New password', { exact: true }).fill(invitee.password);
    await inviteePage.getByRole('button', { name: 'Set password' }).click();
    await inviteePage.getByText('Your password is set and your address is confirmed.').waitFor();
    await signIn(inviteePage, invitee);
    await inviteePage.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    // The audit log names both by email, filtered to this invitation.
    await page.goto('/admin/audit');
    await page.getByLabel('Target email').fill(invitee.email);
    await page.getByLabel('Event').selectOption('user_invited');
    await page.getByRole('button', { name: 'Filter events' }).click();
    const audit = page.getByRole('region', { name: 'Audit log' });
    const invited = audit.getByRole('row').filter({ hasText: 'User invited' });
    await invited.first().waitFor();
    expect(await invited.count()).toBe(1);
    await invited.getByRole('cell', { name: admin.email, exact: true }).waitFor();
    await invited.getByRole('cell', { name: invitee.email, exact: true }).waitFor();

    // The export holds the filtered view only.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'CSV export' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(invitee.email);
    expect(lines[1]).toContain('user_invited');
  });

  test('granting admin asks first; Cancel leaves the role as it was', async () => {
    const member = newUser('promoted');
    await register((await sessions.newSession()).page, member);
    const page = await adminSignedIn();
    const row = await findUser(page, member.email);
    const role = row.getByRole('combobox');
    await role.selectOption('admin');
    await row.getByRole('button', { name: `Save role for ${member.email}` }).click();
    const dialog = page.getByRole('dialog', { name: `Make ${member.email} an administrator?` });
    await dialog.waitFor();
    await checkAtBothWidths(page, 'admin-grant-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await role.inputValue()).toBe('user');

    await role.selectOption('admin');
    await row.getByRole('button', { name: `Save role for ${member.email}` }).click();
    await dialog.getByRole('button', { name: 'Make administrator' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${member.email} is now administrator.` })
      .waitFor();
  });

  test('a forced reset refuses the right password and says a link was mailed', async () => {
    const member = newUser('reset');
    const memberSession = await sessions.newSession();
    await registerAndSignIn(memberSession.page, mailbox, member);
    await memberSession.page.getByRole('button', { name: 'Sign out' }).click();
    await memberSession.page.getByText('You have signed out.').waitFor();

    const page = await adminSignedIn();
    const row = await runAction(
      page,
      member.email,
      'Force password reset',
      `${member.email} must reset their password`,
    );
    await row.getByText('Must reset password').waitFor();

    memberSession.expectRefusal('403 /api/login');
    await memberSession.page.getByLabel('Email').fill(member.email);
    await memberSession.page.getByLabel('Password', { exact: true }).fill(member.password);
    await memberSession.page.getByRole('button', { name: 'Sign in' }).click();
    const alert = memberSession.page.getByRole('alert');
    await alert.getByText(/Your password must be reset before you sign in/).waitFor();
    await alert.getByRole('link', { name: 'Send a new reset link' }).waitFor();
    await checkAtBothWidths(memberSession.page, 'sign-in-reset-required');
  });

  test('on a 390 px screen the admin pages show cards and never scroll sideways', async () => {
    // A long address and a long name: what would widen a table.
    const member = {
      ...newUser('a-rather-long-local-part-for-an-address'),
      name: 'Maximiliana Bartholomew-Fitzgerald',
    };
    await register((await sessions.newSession()).page, member);
    const { page } = await sessions.newSession({ viewport: { width: 390, height: 844 } });
    await signIn(page, admin);
    for (const path of ['/admin/users', '/admin/audit', '/admin']) {
      await page.goto(path);
      await page.getByRole('table').first().waitFor();
      const widths = await page.evaluate(() => ({
        document: document.documentElement.scrollWidth,
        // A table that scrolls inside its own box counts too: the cards must fit.
        regions: [...document.querySelectorAll('.table-scroll')].map(
          (element) => element.scrollWidth - element.clientWidth,
        ),
      }));
      expect(widths.document, `${path} scrolls sideways`).toBeLessThanOrEqual(390);
      expect(
        widths.regions.every((overflow) => overflow <= 0),
        `${path} table overflows`,
      ).toBe(true);
      // Each cell names its column, since the header row is out of sight.
      const label = await page
        .locator('tbody td[data-label]')
        .first()
        .evaluate((cell) => getComputedStyle(cell, '::before').content);
      expect(label).not.toBe('none');
    }
    await page.goto('/admin/users');
    await page.getByRole('table').waitFor();
    await checkAtBothWidths(page, 'admin-users');
    await page.goto('/admin/audit');
    await page.getByRole('table').waitFor();
    await checkAtBothWidths(page, 'admin-audit');
    await page.goto('/admin');
    await page.getByRole('table').nth(1).waitFor();
    await checkAtBothWidths(page, 'admin-overview');
  });
});
