import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import {
  addNote,
  focused,
  newUser,
  openVerificationLink,
  register,
  registerAndSignIn,
  secondsIn,
  signIn,
} from './support/flows.js';
import { checkAtBothWidths } from './support/layout-check.js';
import { subjects, withSubject } from './support/mailbox.js';

const { sessions, mailbox } = useAppUnderTest();

/** The address bar as the user sees it now: a token must never be left in it. */
function addressOf(page: Page): URL {
  return new URL(page.url());
}

/** The token a mailed link carries in its fragment. */
function tokenOf(link: string): string {
  return new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';
}

/** The page's main content as text, with one address replaced, to compare two pages' words. */
async function mainText(page: Page, address: string): Promise<string> {
  const text = await page.getByRole('main').innerText();
  return text.replaceAll(address, '<address>');
}

describe('registration and email verification', () => {
  test('register → check your inbox → the link from the mail → sign in; the link works once', async () => {
    const { page, expectRefusal } = await sessions.newSession();
    const user = newUser('newcomer');
    await register(page, user);
    await page.getByRole('main').getByText(user.email).waitFor();
    await checkAtBothWidths(page, 'check-inbox-registered');

    const link = await openVerificationLink(page, mailbox, user);
    const confirmed = page.getByRole('status').filter({ hasText: 'Your address is confirmed' });
    await confirmed.waitFor();
    // Read from the fragment, then dropped from the address bar before anything else.
    expect(addressOf(page).pathname).toBe('/verify-email');
    expect(addressOf(page).hash).toBe('');
    expect(page.url()).not.toContain(tokenOf(link));
    // The outcome has focus: a screen reader reads it, the keyboard continues from it.
    expect(await focused(page)).toMatch(/^status: Your address is confirmed/);
    await checkAtBothWidths(page, 'verify-email-done');

    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a: Sign in');
    await page.keyboard.press('Enter');
    await page.getByText('Your address is confirmed. Sign in to continue.').waitFor();
    await signIn(page, user);
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    // The server lets a confirmed user write.
    await addNote(page, 'Confirmed', 'Written after following the link.');

    // The same link again: used, so refused, and said so plainly.
    expectRefusal('400 /api/verify-email');
    await page.goto(link);
    const refused = page.getByRole('alert').filter({ hasText: 'This link cannot be used' });
    await refused.getByText('This link is invalid or has expired. Ask for a new one.').waitFor();
    expect(addressOf(page).hash).toBe('');
    await refused.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    await checkAtBothWidths(page, 'verify-email-refused');
  });

  test('a signed-in unconfirmed user sees only "check your inbox"; resending counts down', async () => {
    const { page, expectRefusal } = await sessions.newSession();
    // The page's clock runs on real time; the waits are crossed by moving it forward.
    await page.clock.install();
    const user = newUser('unconfirmed');
    await register(page, user);
    await signIn(page, user);
    await page.getByRole('heading', { name: 'Check your inbox', level: 1 }).waitFor();
    expect(addressOf(page).pathname).toBe('/check-inbox');
    await page.getByRole('main').getByText(user.email).waitFor();
    // Nothing else is offered: no navigation, only signing out.
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await page.getByRole('main').getByRole('button', { name: 'Sign out' }).waitFor();
    await checkAtBothWidths(page, 'check-inbox-signed-in');

    // Every other page leads back here, without asking the server (which would refuse: 403).
    for (const path of ['/notes', '/profile', '/secure-data', '/']) {
      await page.goto(path);
      await page.getByRole('heading', { name: 'Check your inbox', level: 1 }).waitFor();
      expect(addressOf(page).pathname).toBe('/check-inbox');
    }

    const resend = page.getByRole('button', { name: 'Send the link again' });
    await resend.focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: `We sent a new link to ${user.email}.` })
      .waitFor();
    const timer = page.getByRole('timer');
    const first = secondsIn(await timer.textContent());
    expect(first).toBeGreaterThan(50);
    expect(first).toBeLessThanOrEqual(60);
    await expect
      .poll(async () => secondsIn(await timer.textContent()), { timeout: 5_000 })
      .toBeLessThan(first);
    // Unavailable but still focused, and it says why.
    expect(await resend.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('button: Send the link again');
    const waitId = (await resend.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`[id="${waitId}"]`).textContent()).toMatch(
      /^You can ask for another link in \d+ seconds?\.$/,
    );
    await checkAtBothWidths(page, 'check-inbox-resent');

    // Two links arrived: the one from registering and the one just asked for.
    await mailbox.waitForMail(user.email, withSubject(subjects.verifyEmail));
    const resent = await mailbox.waitForMail(user.email, withSubject(subjects.verifyEmail));

    // The server allows three resends per address a quarter of an hour; the fourth states its wait.
    for (let again = 2; again <= 3; again += 1) {
      await page.clock.fastForward('01:01');
      await expect.poll(() => resend.getAttribute('aria-disabled')).toBeNull();
      await resend.click();
      await expect.poll(() => resend.getAttribute('aria-disabled')).toBe('true');
      await mailbox.waitForMail(user.email, withSubject(subjects.verifyEmail));
    }
    await page.clock.fastForward('01:01');
    await expect.poll(() => resend.getAttribute('aria-disabled')).toBeNull();
    expectRefusal('429 /api/verify-email/resend');
    await resend.click();
    await page
      .getByRole('alert')
      .getByText(/^Too many requests\. Try again in .+\.$/)
      .waitFor();
    expect(secondsIn(await timer.textContent())).toBeGreaterThan(10 * 60);
    expect(await resend.getAttribute('aria-disabled')).toBe('true');

    // Only the newest link works; opened here, it lets the signed-in user in at once.
    expectRefusal('400 /api/verify-email');
    await page.goto(resent.link('/verify-email'));
    await page.getByRole('alert').filter({ hasText: 'This link cannot be used' }).waitFor();
    const newest = mailbox.received(user.email).at(-1);
    // Opened in the same tab, on the same page: only the fragment changes, and the page reloads
    // itself to start from the new link.
    await page.goto(newest?.link('/verify-email') ?? '/verify-email');
    await page.getByRole('status').filter({ hasText: 'Your address is confirmed' }).waitFor();
    await page.getByRole('link', { name: 'Continue to your notes' }).click();
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
  });

  test('registering an address that has an account looks exactly like a new one; its owner is told', async () => {
    const owner = newUser('owner');
    await register((await sessions.newSession()).page, owner);

    const register202 = async (page: Page, address: string, password: string) => {
      await page.goto('/register');
      await page.getByLabel('Name').fill('Someone Else');
      await page.getByLabel('Email').fill(address);
      await page.getByLabel('Password', { exact: true }).fill(password);
      const [answer] = await Promise.all([
        page.waitForResponse((response) => new URL(response.url()).pathname === '/api/register'),
        page.getByRole('button', { name: 'Create account' }).click(),
      ]);
      await page.getByRole('heading', { name: 'Check your inbox', level: 1 }).waitFor();
      return { status: answer.status(), body: await answer.text() };
    };

    const taken = await sessions.newSession();
    // The same address typed in capitals: it is the same account.
    const takenAnswer = await register202(
      taken.page,
      owner.email.toUpperCase(),
      `e2e ${randomUUID()}`,
    );
    const fresh = await sessions.newSession();
    const freshAddress = newUser('fresh').email;
    const freshAnswer = await register202(fresh.page, freshAddress, `e2e ${randomUUID()}`);

    expect(takenAnswer).toEqual(freshAnswer);
    expect(takenAnswer.status).toBe(202);
    expect(await mainText(taken.page, owner.email)).toBe(await mainText(fresh.page, freshAddress));

    // The difference is in the mailboxes only, where only each address's owner can see it.
    const notice = await mailbox.waitForMail(owner.email, withSubject(subjects.alreadyRegistered));
    expect(new URL(notice.link('/sign-in')).hash).toBe('');
    notice.link('/forgot-password');
    await mailbox.waitForMail(freshAddress, withSubject(subjects.verifyEmail));
  });

  test('every link page opened without a usable token says so, and sends nothing', async () => {
    const { page } = await sessions.newSession();
    const posted: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posted.push(new URL(request.url()).pathname);
    });
    const pages: [path: string, heading: string][] = [
      ['/verify-email', 'Confirm your email address'],
      ['/reset-password', 'Choose a new password'],
      ['/confirm-email', 'Confirm your new email address'],
      ['/undo-email-change', 'Undo the email change'],
      ['/not-me', 'This was not me'],
    ];
    for (const [path, heading] of pages) {
      await page.goto(path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      const problem = page.getByRole('alert').filter({ hasText: 'This link cannot be used' });
      await problem.getByText(/needs the code from the link in your email/).waitFor();
      await checkAtBothWidths(page, `${path.slice(1)}-no-token`);

      // From another document: a change of fragment alone would not load the page again.
      await page.goto('about:blank');
      await page.goto(`${path}#token=${encodeURIComponent('not/a token')}`);
      await problem.getByText('This link is not valid.').waitFor();
      expect(addressOf(page).hash).toBe('');
    }
    expect(posted).toEqual([]);
  });
});

describe('password reset', () => {
  test('forgot password → link → new password: every old session ends; the old password fails', async () => {
    const user = newUser('forgetful');
    const newPassword = `${user.password} renewed`;
    // Signed in on another device before the reset.
    const elsewhere = await sessions.newSession();
    await registerAndSignIn(elsewhere.page, mailbox, user);
    await elsewhere.page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    const { page, expectRefusal } = await sessions.newSession();
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await checkAtBothWidths(page, 'sign-in-forgot-link');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
    // The typed address came along in history state, not in the URL.
    expect(await page.getByLabel('Email').inputValue()).toBe(user.email);
    expect(page.url()).not.toContain(encodeURIComponent(user.email));
    await checkAtBothWidths(page, 'forgot-password');

    await page.getByLabel('Email').press('Enter');
    const sent = page.getByRole('status').filter({ hasText: 'Check your inbox' });
    await sent.getByText(`If ${user.email} belongs to an account`).waitFor();
    expect(await focused(page)).toMatch(/^status: Check your inbox/);
    await page.getByRole('button', { name: 'Send the link again' }).waitFor();
    expect(
      await page.getByRole('button', { name: 'Send the link again' }).getAttribute('aria-disabled'),
    ).toBe('true');
    await checkAtBothWidths(page, 'forgot-password-sent');

    const mail = await mailbox.waitForMail(user.email, withSubject(subjects.passwordReset));
    const link = mail.link('/reset-password');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password', level: 1 }).waitFor();
    // Gone from the address bar (and so from this history entry) before the form is used.
    expect(addressOf(page).hash).toBe('');
    expect(await page.evaluate(() => window.location.href)).not.toContain(tokenOf(link));

    const field = page.getByLabel('New password', { exact: true });
    await field.focus();
    await page.keyboard.type(newPassword);
    await page
      .getByTestId('password-strength')
      .getByText(/Password strength: (Strong|Very strong)/)
      .waitFor();
    await checkAtBothWidths(page, 'reset-password');
    await page.keyboard.press('Enter');

    await page.getByText('Your password was changed. Sign in with the new one.').waitFor();
    expect(addressOf(page).pathname).toBe('/sign-in');
    expect(page.url()).not.toContain(tokenOf(link));
    // Nor in the state of the entry the reset page left behind.
    expect(await page.evaluate(() => JSON.stringify(window.history.state))).not.toContain(
      tokenOf(link),
    );
    await mailbox.waitForMail(user.email, withSubject(subjects.passwordChanged));

    // The other device is out at its very next request (the reset revoked its session).
    elsewhere.expectRefusal('401 /api/notes');
    elsewhere.expectRefusal('401 /api/refresh');
    const form = elsewhere.page.getByRole('form', { name: 'New note' });
    await form.getByLabel('Title').fill('Written after the reset');
    await form.getByRole('button', { name: 'Add note' }).click();
    await elsewhere.page.getByText('Your session has ended. Sign in again to continue.').waitFor();

    // The old password no longer works; the new one does.
    expectRefusal('401 /api/login');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The email or password is incorrect.').waitFor();
    await signIn(page, { ...user, password: newPassword });
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    // The link is spent.
    expectRefusal('400 /api/password/reset');
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(`${newPassword} again`);
    await page.getByRole('button', { name: 'Save new password' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'This link cannot be used' })
      .getByRole('link', { name: 'Ask for a new link' })
      .waitFor();
  });
});

describe('email change', () => {
  test('change from the profile → confirm at the new address → undo from the old one', async () => {
    const user = newUser('mover');
    const newAddress = newUser('moved').email;
    const { page } = await sessions.newSession();
    await registerAndSignIn(page, mailbox, user);
    await page.getByRole('banner').getByRole('link', { name: 'Profile' }).click();
    const account = page.getByRole('region', { name: 'Account' });
    const shownEmail = account.getByRole('definition').nth(1);

    const form = page.getByRole('form', { name: 'Change email address' });
    await form.getByLabel('New email address').fill(newAddress);
    await form.getByLabel('Current password', { exact: true }).fill(user.password);
    await checkAtBothWidths(page, 'profile-change-email');
    const submit = form.getByRole('button', { name: 'Change email address' });
    await submit.focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: `We sent a link to ${newAddress}.` })
      .waitFor();
    expect(await focused(page)).toBe('button: Change email address');
    // Nothing has changed until the new address answers.
    expect(await shownEmail.textContent()).toBe(user.email);
    await checkAtBothWidths(page, 'profile-change-email-sent');

    const confirm = await mailbox.waitForMail(newAddress, withSubject(subjects.emailChangeConfirm));
    await page.goto(confirm.link('/confirm-email'));
    await page
      .getByRole('status')
      .filter({ hasText: `Your account now uses ${newAddress}` })
      .waitFor();
    expect(addressOf(page).hash).toBe('');
    await checkAtBothWidths(page, 'confirm-email-done');
    await page.getByRole('link', { name: 'Go to your profile' }).click();
    await account.getByText(newAddress).waitFor();
    expect(await shownEmail.textContent()).toBe(newAddress);

    // Meanwhile the account is open on another device too, with the new address.
    const elsewhere = await sessions.newSession();
    await signIn(elsewhere.page, { ...user, email: newAddress });

    // The old address was told, with a link that undoes the change.
    const notice = await mailbox.waitForMail(user.email, withSubject(subjects.emailChangeNotice));
    await page.goto(notice.link('/undo-email-change'));
    await page.getByRole('heading', { name: 'Undo the email change', level: 1 }).waitFor();
    expect(addressOf(page).hash).toBe('');
    await checkAtBothWidths(page, 'undo-email-change');
    // Nothing happens until the owner presses (a mail scanner opening the link must not undo).
    await page.getByRole('button', { name: 'Undo the change' }).click();
    const restored = page.getByRole('status').filter({ hasText: 'Your address was restored' });
    await restored
      .getByText(
        'Your address was restored and every session signed out. Sign in, and change your password if you did not make this change.',
      )
      .waitFor();
    expect(await focused(page)).toMatch(/^status: Your address was restored/);
    // This browser's session was one of them: it is signed out here without a refusal.
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    await restored.getByRole('link', { name: 'Reset your password' }).waitFor();
    await checkAtBothWidths(page, 'undo-email-change-done');

    // The other device is out at its next request.
    elsewhere.expectRefusal('401 /api/notes');
    elsewhere.expectRefusal('401 /api/refresh');
    const noteForm = elsewhere.page.getByRole('form', { name: 'New note' });
    await noteForm.getByLabel('Title').fill('Written after the undo');
    await noteForm.getByRole('button', { name: 'Add note' }).click();
    await elsewhere.page.getByText('Your session has ended. Sign in again to continue.').waitFor();

    // The old address signs in again, and the profile shows it.
    await restored.getByRole('link', { name: 'Sign in' }).click();
    await signIn(page, user);
    await page.goto('/profile');
    await account.getByText(user.email).waitFor();
  });

  test('the change is refused without the right current password', async () => {
    const { page, expectRefusal } = await sessions.newSession();
    const user = newUser('careful');
    await registerAndSignIn(page, mailbox, user);
    await page.goto('/profile');
    const form = page.getByRole('form', { name: 'Change email address' });
    await form.getByLabel('New email address').fill(newUser('thief').email);
    await form.getByLabel('Current password', { exact: true }).fill('not my password');
    expectRefusal('401 /api/profile/email');
    await form.getByRole('button', { name: 'Change email address' }).click();
    const summary = form.getByRole('alert').filter({ hasText: 'There is a problem' });
    await summary.getByRole('link', { name: /^Current password: / }).waitFor();
    expect(await focused(page)).toMatch(/^alert: There is a problem/);
  });
});

describe('this was not me', () => {
  test('the link in a new-device notice signs out every device, then offers a reset', async () => {
    const user = newUser('watchful');
    const home = await sessions.newSession();
    await registerAndSignIn(home.page, mailbox, user);
    // A second browser is a device this account has not seen: the owner is told.
    const { page } = await sessions.newSession();
    await signIn(page, user);
    const notice = await mailbox.waitForMail(user.email, (mail) =>
      mail.links.some((link) => new URL(link).pathname === '/not-me'),
    );

    await page.goto(notice.link('/not-me'));
    await page.getByRole('heading', { name: 'This was not me', level: 1 }).waitFor();
    expect(addressOf(page).hash).toBe('');
    await checkAtBothWidths(page, 'not-me');
    await page.getByRole('button', { name: 'Sign out every device' }).click();
    const done = page.getByRole('status').filter({ hasText: 'Every device is signed out' });
    await done.waitFor();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    await checkAtBothWidths(page, 'not-me-done');
    await done.getByRole('link', { name: 'Reset your password' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
  });
});

describe('check your inbox, opened directly', () => {
  test('a visitor with no address on record types it to get a new link', async () => {
    const user = newUser('returning');
    await register((await sessions.newSession()).page, user);
    // Another browser, or the tab closed since: the page has no address to go on.
    const { page } = await sessions.newSession();
    await page.goto('/check-inbox');
    await page.getByRole('heading', { name: 'Ask for a new link' }).waitFor();
    await checkAtBothWidths(page, 'check-inbox-anonymous');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `A new link is on its way to ${user.email}` })
      .waitFor();
    // The first from registering, then this one; the newest confirms the address.
    await mailbox.waitForMail(user.email, withSubject(subjects.verifyEmail));
    await openVerificationLink(page, mailbox, user);
    await page.getByRole('status').filter({ hasText: 'Your address is confirmed' }).waitFor();
  });
});
