import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, register, registerAndSignIn, signIn } from './support/flows.js';

const { sessions, origin } = useAppUnderTest();

describe('registration and sign-in', () => {
  test('a visitor registers, watching the strength meter, then signs in and lands on notes', async () => {
    const { page } = await sessions.newSession();
    const user = newUser('reader');
    await page.goto('/register');
    await page.getByLabel('Name').fill(user.name);
    await page.getByLabel('Email').fill(user.email);

    const password = page.getByLabel('Password', { exact: true });
    const meter = page.getByTestId('password-strength');
    await password.pressSequentially('password1');
    await meter.getByText('Password strength: Very weak').waitFor();
    await password.fill(user.password);
    await meter.getByText(/Password strength: (Strong|Very strong)/).waitFor();

    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Your account is ready. Sign in to continue.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // The address was carried over in history state, not in the URL.
    expect(await page.getByLabel('Email').inputValue()).toBe(user.email);
    expect(page.url()).not.toContain(encodeURIComponent(user.email));

    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/notes');
    await page.getByRole('banner').getByText(user.name).waitFor();
  });

  test('the browser refuses a short password with the contract rule before any request', async () => {
    const { page, apiRefusals } = await sessions.newSession();
    const user = newUser('hasty');
    await page.goto('/register');
    await page.getByLabel('Name').fill(user.name);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    let registerCalls = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/register') registerCalls += 1;
    });
    await page.getByRole('button', { name: 'Create account' }).click();

    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
    await summary.getByRole('link', { name: 'Password: Use at least 12 characters.' }).waitFor();
    const field = page.getByLabel('Password', { exact: true });
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(registerCalls).toBe(0);
    expect(apiRefusals.filter((refusal) => refusal.endsWith('/api/register'))).toEqual([]);
  });

  test('a wrong password is refused with the catalogue message', async () => {
    const { page, apiRefusals } = await sessions.newSession();
    const user = newUser('forgetful');
    await register(page, user);
    await page.getByLabel('Password', { exact: true }).fill(`${user.password}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('alert').getByText('The email or password is incorrect.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(apiRefusals).toContain('401 /api/login');
  });

  test('after repeated failures the lockout says how long to wait (Retry-After)', async () => {
    const { page, apiRefusals } = await sessions.newSession();
    const user = newUser('locked');
    await register(page, user);
    const password = page.getByLabel('Password', { exact: true });
    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
    // Each attempt waits for its own answer: the summary is rebuilt per submit.
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await password.fill(`${user.password}-wrong-${String(attempt)}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign in' }).and(page.locator(':enabled')).waitFor();
      await summary.waitFor();
    }
    // Locked: even the right password is refused until the wait is over.
    await password.fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign in' }).and(page.locator(':enabled')).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await summary
      .getByText(/^Too many sign-in attempts\. Try again in (\d+ seconds|\d+ minutes)\.$/)
      .waitFor();
    expect(apiRefusals).toContain('429 /api/login');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  test('signing out ends the session: /notes sends to sign-in, then back to /notes', async () => {
    const { page } = await sessions.newSession();
    const user = newUser('leaver');
    await registerAndSignIn(page, user);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();

    // A full load, so nothing from the old page state can help: only cookies count.
    await page.goto('/notes');
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    const landed = new URL(page.url());
    expect(landed.pathname).toBe('/sign-in');
    expect(landed.searchParams.get('next')).toBe('/notes');

    await signIn(page, user);
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/notes');
  });

  test('the sign-in page ignores a next= that points to another site', async () => {
    const { page } = await sessions.newSession();
    const user = newUser('phished');
    await register(page, user);
    await page.goto('/sign-in?next=%2F%2Fevil.example%2Fsteal');
    await signIn(page, user);
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    expect(new URL(page.url()).origin).toBe(origin());
  });

  test('an unknown address shows the not-found page', async () => {
    const { page } = await sessions.newSession();
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
    expect(await page.title()).toBe('Page not found · Portcullis');
  });
});
