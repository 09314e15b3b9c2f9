import { createHash, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { Inbox } from './environment.js';
import { subjects, withSubject } from './mailbox.js';
import type { Credentials } from './test-server.js';

let usersMade = 0;

/** A fresh account per test, so tests never see each other's notes. */
export function newUser(label: string): Credentials {
  const id = randomUUID().slice(0, 8);
  return {
    email: `${label}-${id}@example.com`,
    name: `${label[0]?.toUpperCase() ?? ''}${label.slice(1)} ${id}`,
    // Long and unlisted: passes the length rule and the breached-password check. A sequence, not
    // random: the breached-password filter refuses about one unlisted password in ten thousand,
    // and the first 700 of this sequence pass the pinned list, so no run meets one by chance.
    password: `e2e ${createHash('sha256')
      .update(`password ${String((usersMade += 1))}`)
      .digest('hex')
      .slice(0, 32)}`,
  };
}

/** Fills in the registration form and lands on "Check your inbox"; nobody is signed in yet. */
export async function register(page: Page, user: Credentials): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your inbox', level: 1 }).waitFor();
}

/** Opens the confirmation link from the newest unread "confirm your address" mail to `user`. */
export async function openVerificationLink(
  page: Page,
  mailbox: Inbox,
  user: Credentials,
): Promise<string> {
  const mail = await mailbox.waitForMail(user.email, withSubject(subjects.verifyEmail));
  const link = mail.link('/verify-email');
  await page.goto(link);
  return link;
}

/**
 * Registers and confirms the address from the mail, as a new user does, and follows the page's
 * "Sign in" link: the browser ends on the sign-in page with the address filled in.
 */
export async function registerAndVerify(
  page: Page,
  mailbox: Inbox,
  user: Credentials,
): Promise<void> {
  await register(page, user);
  await openVerificationLink(page, mailbox, user);
  await page.getByRole('heading', { name: 'Your address is confirmed' }).waitFor();
  await page.getByRole('main').getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
}

/**
 * Signs in from the sign-in page the browser is on, or opens it first; `remember` ticks "Keep me
 * signed in on this device" (unticked, as the page starts, otherwise).
 */
export async function signIn(
  page: Page,
  user: Credentials,
  options: { remember?: boolean } = {},
): Promise<void> {
  if (new URL(page.url()).pathname !== '/sign-in') await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  if (options.remember === true) {
    await page.getByLabel('Keep me signed in on this device').check();
  }
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Attached, not visible: on a narrow screen it waits behind the Menu button. The header's, as
  // "check your inbox" (where an unconfirmed user lands) has a second one.
  await page
    .getByRole('banner')
    .getByRole('button', { name: 'Sign out', includeHidden: true })
    .waitFor({ state: 'attached' });
}

export async function registerAndSignIn(
  page: Page,
  mailbox: Inbox,
  user: Credentials,
): Promise<void> {
  await registerAndVerify(page, mailbox, user);
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

/** "59 seconds", "1 minute", "14 minutes 5 seconds" (a countdown's text) as a number of seconds. */
export function secondsIn(text: string | null): number {
  const minutes = /(\d+) minutes?/.exec(text ?? '')?.[1] ?? '0';
  const seconds = /(\d+) seconds?/.exec(text ?? '')?.[1] ?? '0';
  return Number(minutes) * 60 + Number(seconds);
}

/** What has focus, as "role or tag: text", for asserting where a page put the keyboard. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (element === null || element === document.body) return 'nothing';
    const label = element.id === '' ? null : document.querySelector(`label[for="${element.id}"]`);
    const text = (label ?? element).textContent.replace(/\s+/g, ' ').trim();
    return `${element.getAttribute('role') ?? element.tagName.toLowerCase()}: ${text}`;
  });
}

/**
 * The password step alone, for an account with a second factor: the page then asks for the
 * second step instead of signing in, so there is no "Sign out" button to wait for.
 */
export async function submitPassword(page: Page, user: Credentials): Promise<void> {
  if (new URL(page.url()).pathname !== '/sign-in') await page.goto('/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
}

/** The header's "Sign out", ending on the sign-in page that says so. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
}
