import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { addNote, newUser, noteItem, registerAndVerify } from './support/flows.js';

const { sessions, mailbox } = useAppUnderTest();

/** What has focus, described the way a screen reader user would hear it. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (element === null || element === document.body) return 'nothing';
    if (element.tagName === 'MAIN') return 'main';
    const labelled =
      element.id === '' ? null : document.querySelector(`label[for="${element.id}"]`);
    const name =
      labelled?.textContent ??
      element.getAttribute('aria-label') ??
      (element.getAttribute('aria-labelledby') === null
        ? element.textContent
        : document.getElementById(element.getAttribute('aria-labelledby') ?? '')?.textContent);
    return `${element.getAttribute('role') ?? element.tagName.toLowerCase()}: ${(name ?? '').trim()}`;
  });
}

describe('keyboard only', () => {
  test('sign in, fix an error, add and delete a note without a mouse', async () => {
    const { page } = await sessions.newSession();
    const user = newUser('keys');
    await registerAndVerify(page, mailbox, user);
    // A fresh load: the keyboard starts from the top of the page.
    await page.goto('/sign-in');
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();

    // The first Tab reaches the skip link, which moves focus to the main content.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a: Skip to main content');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('main');

    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('input: Email');
    await page.keyboard.type(user.email);
    await page.keyboard.press('Enter');
    // A failed submit puts focus on the error summary, which lists and links the problem.
    await page.getByRole('alert').waitFor();
    expect(await focused(page)).toBe('alert: There is a problem');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a: Password: Enter your password.');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('input: Password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');

    // After the navigation focus lands on the new page's heading.
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    await expect.poll(() => focused(page)).toBe('h1: Notes');

    await addNote(page, 'Typed, not clicked', '');
    const deleteButton = noteItem(page, 'Typed, not clicked').getByRole('button', {
      name: /^Delete/,
    });
    await deleteButton.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete this note?' });
    await dialog.waitFor();
    // The safe choice has focus; Escape closes and focus goes back where it was.
    expect(await focused(page)).toBe('button: Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('button: Delete note “Typed, not clicked”');

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('button: Delete note');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor();
    await expect.poll(() => focused(page)).toBe('h2: Your notes');
  });
});
