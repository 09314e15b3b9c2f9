import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, registerAndSignIn } from './support/flows.js';

const { sessions, mailbox } = useAppUnderTest();

const phone = { width: 390, height: 844 };
const desktop = { width: 1280, height: 900 };

/** The focused element as "tag: accessible text", for asserting where the keyboard is. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (element === null || element === document.body) return 'nothing';
    return `${element.tagName.toLowerCase()}: ${element.textContent.trim()}`;
  });
}

describe('the header on a phone', () => {
  test('signed in at 390 px, the navigation folds into a menu that opens and closes by keyboard', async () => {
    const { page } = await sessions.newSession({ viewport: phone });
    const user = newUser('pocket');
    await registerAndSignIn(page, mailbox, user);
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    const banner = page.getByRole('banner');
    const menuButton = banner.getByRole('button', { name: 'Menu' });
    const notesLink = banner.getByRole('link', { name: 'Notes' });
    // One row: the brand and the Menu button (it took 137 to 190 px with every link shown).
    expect((await banner.boundingBox())?.height).toBeLessThanOrEqual(64);
    expect(await menuButton.getAttribute('aria-expanded')).toBe('false');
    expect(await notesLink.isVisible()).toBe(false);
    expect(await banner.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);

    // Reached by Tab from the brand, opened with Enter.
    await banner.getByRole('link', { name: 'Portcullis' }).focus();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button: Menu');
    await page.keyboard.press('Enter');
    expect(await menuButton.getAttribute('aria-expanded')).toBe('true');
    await notesLink.waitFor();
    await banner.getByText(user.name).waitFor();
    await banner.getByRole('button', { name: 'Sign out' }).waitFor();

    // The links follow the button in the tab order; Escape closes and gives focus back.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a: Notes');
    await page.keyboard.press('Escape');
    expect(await menuButton.getAttribute('aria-expanded')).toBe('false');
    expect(await focused(page)).toBe('button: Menu');
    await notesLink.waitFor({ state: 'hidden' });

    // Following a link closes the menu on the new screen.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a: Secure data');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Secure data', level: 1 }).waitFor();
    expect(await menuButton.getAttribute('aria-expanded')).toBe('false');
    expect((await banner.boundingBox())?.height).toBeLessThanOrEqual(64);

    // Shown and hidden by the stylesheet alone: the CSP would ignore an inline style.
    expect(await page.locator('[style]').count()).toBe(0);
  });

  test('on a wide screen the links show in the header and there is no Menu button', async () => {
    const { page } = await sessions.newSession({ viewport: desktop });
    await registerAndSignIn(page, mailbox, newUser('wide'));
    const banner = page.getByRole('banner');
    await banner.getByRole('link', { name: 'Notes' }).waitFor();
    expect(await banner.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    expect(await banner.getByRole('button', { name: 'Menu' }).count()).toBe(0);
  });
});

describe('password fields', () => {
  test('the Show button says Hide while the password is shown, and Show again after', async () => {
    const { page } = await sessions.newSession();
    await page.goto('/sign-in');
    const field = page.getByLabel('Password', { exact: true });
    await field.fill('correct horse battery staple');
    expect(await field.getAttribute('type')).toBe('password');

    await page.getByRole('button', { name: 'Show password' }).click();
    expect(await field.getAttribute('type')).toBe('text');
    const hide = page.getByRole('button', { name: 'Hide password' });
    await hide.waitFor();
    expect(await page.getByRole('button', { name: 'Show password' }).count()).toBe(0);
    expect(await hide.textContent()).toBe('Hide password');

    await hide.click();
    expect(await field.getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Show password' }).waitFor();
  });
});
