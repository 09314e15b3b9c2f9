import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { Credentials } from './test-server.js';

/** A fresh account per test, so tests never see each other's notes. */
export function newUser(label: string): Credentials {
  const id = randomUUID().slice(0, 8);
  return {
    email: `${label}-${id}@example.com`,
    name: `${label[0]?.toUpperCase() ?? ''}${label.slice(1)} ${id}`,
    // Random, long and unlisted: passes the length rule and the breached-password check.
    password: `e2e ${randomUUID()}`,
  };
}

export async function register(page: Page, user: Credentials): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Your account is ready. Sign in to continue.').waitFor();
}

/** Signs in from the sign-in page the browser is on, or opens it first. */
export async function signIn(page: Page, user: Credentials): Promise<void> {
  if (new URL(page.url()).pathname !== '/sign-in') await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Attached, not visible: on a narrow screen it waits behind the Menu button.
  await page.getByRole('button', { name: 'Sign out', includeHidden: true }).waitFor({
    state: 'attached',
  });
}

export async function registerAndSignIn(page: Page, user: Credentials): Promise<void> {
  await register(page, user);
  await signIn(page, user);
}

export async function addNote(page: Page, title: string, body: string): Promise<void> {
  const form = page.getByRole('form', { name: 'New note' });
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Body').fill(body);
  await form.getByRole('button', { name: 'Add note' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Note “${title}” added.` })
    .waitFor();
}

/** The list item of the note with this exact title. */
export function noteItem(page: Page, title: string) {
  return page
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: title, exact: true }) });
}
