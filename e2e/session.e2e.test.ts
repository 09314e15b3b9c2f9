import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, registerAndSignIn, signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

const { sessions, mailbox } = useAppUnderTest();

const ACCESS_COOKIE = '__Host-portcullis-access';

/** Counts the refresh calls a page makes from now on. */
function countRefreshes(page: Page): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/refresh') count += 1;
  });
  return () => count;
}

describe('session renewal and sign-out across tabs', () => {
  test('an expired access token is renewed once for parallel requests, then they are retried', async () => {
    const { page, context, expectRefusal } = await sessions.newSession();
    await signIn(page, admin);
    // Nothing in flight any more: every request from here on sees the expired state.
    await page.getByText('No notes yet.').waitFor();
    // What the browser does when the access cookie's Max-Age runs out.
    await context.clearCookies({ name: ACCESS_COOKIE });
    const refreshes = countRefreshes(page);
    // The two requests that find the access token gone; the watcher fails on any other refusal.
    expectRefusal('401 /api/admin/users');
    expectRefusal('401 /api/admin/audit');

    // The admin screen asks for users and the audit log at the same time: two 401s, one refresh.
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('region', { name: 'Users' }).getByRole('table').waitFor();
    await page.getByRole('region', { name: 'Audit log' }).getByRole('table').waitFor();
    expect(refreshes()).toBe(1);
  });

  test('two tabs whose access expired together both stay signed in (refreshes serialised)', async () => {
    const first = await sessions.newSession();
    await signIn(first.page, admin);
    const second = await first.context.newPage();
    await second.goto('/secure-data');
    await second.getByText('Server time').waitFor();
    await first.page.goto('/secure-data');
    await first.page.getByText('Server time').waitFor();

    await first.context.clearCookies({ name: ACCESS_COOKIE });
    await Promise.all([first.page.reload(), second.reload()]);
    await Promise.all([
      first.page.getByText('Server time').waitFor(),
      second.getByText('Server time').waitFor(),
    ]);

    // Had both tabs sent the same refresh token at once, the server could take it for theft.
    await first.page.goto('/admin');
    const audit = first.page.getByRole('region', { name: 'Audit log' });
    await audit.getByRole('table').waitFor();
    expect(await audit.getByRole('row').filter({ hasText: 'Refresh token reused' }).count()).toBe(
      0,
    );
    expect(await audit.getByRole('row').filter({ hasText: 'Session revoked' }).count()).toBe(0);
  });

  test('signing out in one tab signs out the others without a reload', async () => {
    const first = await sessions.newSession();
    await registerAndSignIn(first.page, mailbox, newUser('two-tabs'));
    const second = await first.context.newPage();
    await second.goto('/notes');
    await second.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();

    await first.page.getByRole('button', { name: 'Sign out' }).click();
    await first.page.getByText('You have signed out.').waitFor();
    await second.getByText('You have signed out.').waitFor();
    expect(new URL(second.url()).pathname).toBe('/sign-in');
  });
});
