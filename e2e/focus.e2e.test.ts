import type { Locator, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, register, registerAndSignIn, signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

const { sessions, mailbox } = useAppUnderTest();

/**
 * A button that is `disabled` while busy drops keyboard focus to the page body: the user who
 * pressed it has to find their place again from the top. These press each busy button with the
 * keyboard and check that focus is where it was once the work is done.
 */

function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

/** Focuses `button`, presses Enter, and waits for the confirmation the screen announces. */
async function pressAndWait(page: Page, button: Locator, confirmation: string): Promise<void> {
  await button.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: confirmation }).waitFor();
}

describe('focus stays where the user was', () => {
  test('after Add note, Save name and Change password, focus is still on the button', async () => {
    const { page } = await sessions.newSession();
    const user = newUser('steady');
    await registerAndSignIn(page, mailbox, user);

    const form = page.getByRole('form', { name: 'New note' });
    await form.getByLabel('Title').fill('Focus kept');
    const addNote = form.getByRole('button', { name: 'Add note' });
    await pressAndWait(page, addNote, 'Note “Focus kept” added.');
    expect(await hasFocus(addNote)).toBe(true);

    await page.goto('/profile');
    const nameForm = page.getByRole('form', { name: 'Your name' });
    await nameForm.getByLabel('Name').fill('Steady Hands');
    const saveName = nameForm.getByRole('button', { name: 'Save name' });
    await pressAndWait(page, saveName, 'Your name has been saved.');
    expect(await hasFocus(saveName)).toBe(true);

    const passwordForm = page.getByRole('form', { name: 'Change password' });
    await passwordForm.getByLabel('Current password', { exact: true }).fill(user.password);
    await passwordForm.getByLabel('New password', { exact: true }).fill(`${user.password} renewed`);
    const changePassword = passwordForm.getByRole('button', { name: 'Change password' });
    await pressAndWait(page, changePassword, 'Your password has been changed.');
    expect(await hasFocus(changePassword)).toBe(true);
  });

  test('after Save role, focus is still on that row’s Save button', async () => {
    const member = newUser('promoted');
    await register((await sessions.newSession()).page, member);

    const { page } = await sessions.newSession();
    await signIn(page, admin);
    await page.getByRole('link', { name: 'Admin' }).click();
    const row = page.getByRole('row').filter({ hasText: member.email });
    await row.getByRole('combobox').selectOption('guest');
    const save = row.getByRole('button', { name: `Save role for ${member.email}` });
    await pressAndWait(page, save, `${member.email} is now guest.`);
    expect(await hasFocus(save)).toBe(true);
    // Nothing left to save: it says so and stays in the tab order.
    expect(await save.getAttribute('aria-disabled')).toBe('true');
    expect(await row.getByRole('combobox').inputValue()).toBe('guest');
  });
});
