import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { addNote, newUser, noteItem, registerAndSignIn, signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

const { sessions, mailbox } = useAppUnderTest();

describe('roles', () => {
  test("an admin makes a user a guest: the user's open session ends at once, and the next one is read-only", async () => {
    const member = newUser('member');
    const userSession = await sessions.newSession();
    const userPage = userSession.page;
    await registerAndSignIn(userPage, mailbox, member);
    await addNote(userPage, 'Written as a user', 'Still readable later.');

    const adminPage = (await sessions.newSession()).page;
    await signIn(adminPage, admin);
    await adminPage.getByRole('link', { name: 'Admin' }).click();
    const row = adminPage.getByRole('row').filter({ hasText: member.email });
    await row.getByRole('combobox').selectOption('guest');
    await row.getByRole('button', { name: `Save role for ${member.email}` }).click();
    await adminPage
      .getByRole('status')
      .filter({ hasText: `${member.email} is now guest.` })
      .waitFor();

    // The user's tab was open all along and is not reloaded: a privilege change ended its
    // session, so the very next write is refused and the tab is back at sign-in.
    userSession.expectRefusal('401 /api/notes');
    userSession.expectRefusal('401 /api/refresh');
    const form = userPage.getByRole('form', { name: 'New note' });
    await form.getByLabel('Title').fill('Written as a guest');
    await form.getByRole('button', { name: 'Add note' }).click();
    await userPage.waitForURL(/\/sign-in/);

    // Signed in again, the session carries the new role: notes are read-only.
    await signIn(userPage, member);
    await userPage.goto(new URL('/notes', userPage.url()).href);
    await userPage.getByTestId('notes-read-only').waitFor();
    expect(await userPage.getByRole('button', { name: 'Add note' }).count()).toBe(0);
    expect(await userPage.getByRole('button', { name: /^Edit/ }).count()).toBe(0);
    await userPage.getByRole('banner').getByText('Guest', { exact: true }).waitFor();

    // The server kept what it had and stored nothing new.
    await userPage.reload();
    await noteItem(userPage, 'Written as a user').waitFor();
    expect(await noteItem(userPage, 'Written as a guest').count()).toBe(0);
    await userPage.getByTestId('notes-read-only').waitFor();

    await adminPage.reload();
    const audit = adminPage.getByRole('region', { name: 'Audit log' });
    await audit.getByRole('row').filter({ hasText: 'Role changed' }).first().waitFor();
  });

  test('the admin screen is not offered to a user, and refused if typed in', async () => {
    const { page } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, newUser('curious'));
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto('/admin');
    await page.getByRole('heading', { name: 'Not allowed', level: 1 }).waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
  });
});
