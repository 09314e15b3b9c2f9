import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { addNote, newUser, noteItem, registerAndSignIn } from './support/flows.js';

const { sessions, mailbox } = useAppUnderTest();

describe('notes', () => {
  test('a note titled with markup shows it literally and runs nothing (stored XSS)', async () => {
    const { page, problems } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, newUser('mallory'));
    const title = '<img src=x onerror=alert(1)>';
    const body = '<script>alert(2)</script>';
    await addNote(page, title, body);

    const check = async () => {
      const item = noteItem(page, title);
      await item.waitFor();
      expect(await item.getByRole('heading').textContent()).toBe(title);
      expect(await item.getByText(body, { exact: true }).count()).toBe(1);
      // Parsed as HTML, the title would have become an <img> element (and its handler a dialog
      // or a CSP violation, both of which fail this test through the session's problems).
      expect(await page.locator('img, script:not([src])').count()).toBe(0);
    };
    await check();
    // Again from the server's copy, rendered by a fresh page load.
    await page.reload();
    await check();
    expect(problems).toEqual([]);
  });

  test('a note is edited, then deleted only after confirming', async () => {
    const { page } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, newUser('editor'));
    await addNote(page, 'Groceries', 'Milk');

    await noteItem(page, 'Groceries').getByRole('button', { name: /^Edit/ }).click();
    const editForm = page.getByRole('form', { name: 'Edit note' });
    await editForm.getByLabel('Title').fill('Groceries for Sunday');
    await editForm.getByLabel('Body').fill('Milk\nEggs');
    await editForm.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Note “Groceries for Sunday” saved.' })
      .waitFor();
    await page.reload();
    const edited = noteItem(page, 'Groceries for Sunday');
    await edited.waitFor();
    await edited.getByText(/^Milk\s+Eggs$/).waitFor();
    expect(await noteItem(page, 'Groceries').count()).toBe(0);

    await edited.getByRole('button', { name: /^Delete/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this note?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await edited.count()).toBe(1);

    await edited.getByRole('button', { name: /^Delete/ }).click();
    await dialog.getByRole('button', { name: 'Delete note' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Note “Groceries for Sunday” deleted.' })
      .waitFor();
    expect(await edited.count()).toBe(0);
    await page.reload();
    await page.getByText('No notes yet.').waitFor();
  });

  test('a long list loads page by page with "Load more notes", focus moving to the first new note', async () => {
    const { page } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, newUser('prolific'));
    // One more than a page (the client asks for 20 at a time).
    const titles = Array.from(
      { length: 21 },
      (_, index) => `Note ${String(index + 1).padStart(2, '0')}`,
    );
    for (const title of titles) await addNote(page, title, '');

    await page.reload();
    const list = page.getByRole('region', { name: 'Your notes' }).getByRole('listitem');
    const loadMore = page.getByRole('button', { name: 'Load more notes' });
    await loadMore.waitFor();
    expect(await list.count()).toBe(20);
    // By keyboard: the button stays focused while busy, then focus moves to the first new note
    // (the button itself is gone: that was the last page).
    await loadMore.focus();
    await page.keyboard.press('Enter');
    await noteItem(page, 'Note 01').waitFor();
    expect(await list.count()).toBe(21);
    await loadMore.waitFor({ state: 'detached' });
    await expect
      .poll(() =>
        page.evaluate(() => document.activeElement?.querySelector('h3')?.textContent ?? 'nothing'),
      )
      .toBe('Note 01');
    expect(
      await noteItem(page, 'Note 01')
        .getByRole('article')
        .evaluate((element) => element === document.activeElement),
    ).toBe(true);
    // Newest first, and nothing shown twice across the page boundary.
    const shown = await list.getByRole('heading').allTextContents();
    expect(shown).toEqual([...titles].reverse());
  });
});
