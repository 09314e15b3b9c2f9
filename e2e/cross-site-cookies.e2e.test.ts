import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

/**
 * SameSite=Strict as Chromium applies it (ADR 002). The app is served from https://localhost;
 * another site (http://127.0.0.1, a different registrable domain and scheme) links to it and posts
 * a form to it. Its requests carry none of the app's cookies, yet the page the link opens finds
 * the user signed in: the app's own API calls from that page are same-site.
 */

const { sessions, origin } = useAppUnderTest();

const SESSION_COOKIES = [
  '__Host-portcullis-access',
  '__Secure-portcullis-refresh',
  '__Host-portcullis-csrf',
  '__Host-portcullis-device',
];

let otherSite: Server;
let otherOrigin: string;

beforeAll(async () => {
  // The other site: a page with a link to the app and a form that posts to it.
  otherSite = createServer((request, response) => {
    const app = origin();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><title>Another site</title>
      <a href="${app}/notes">Open my notes</a>
      <form method="post" action="${app}/api/logout">
        <input type="hidden" name="x" value="1"><button>Post to the app</button>
      </form>`);
  });
  await new Promise<void>((resolve) => otherSite.listen(0, '127.0.0.1', resolve));
  otherOrigin = `http://127.0.0.1:${String((otherSite.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  await new Promise((resolve) => otherSite.close(resolve));
});

/** The session cookie names in the Cookie header Chromium really sent (after its SameSite rules). */
async function cookiesSent(request: Request): Promise<string[]> {
  const header = (await request.allHeaders()).cookie ?? '';
  return SESSION_COOKIES.filter((name) => header.includes(`${name}=`));
}

describe('SameSite=Strict cookies and links from other sites', () => {
  test('a link from another site opens the app signed in; the link itself carries no cookie', async () => {
    const { page } = await sessions.newSession();
    await signIn(page, admin);

    await page.goto(`${otherOrigin}/`);
    const documentRequest = page.waitForRequest(`${origin()}/notes`);
    const sessionRequest = page.waitForRequest(`${origin()}/api/session`);
    await page.getByRole('link', { name: 'Open my notes' }).click();

    // The cross-site navigation: Strict withholds every cookie (Lax would have sent them).
    expect(await cookiesSent(await documentRequest)).toEqual([]);
    // The page's own request to the API is same-site: it carries the session, so...
    expect(await cookiesSent(await sessionRequest)).toEqual(
      expect.arrayContaining(['__Host-portcullis-access', '__Secure-portcullis-refresh']),
    );
    // ...the user lands on their notes, signed in, not on the sign-in page.
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    await page
      .getByRole('banner')
      .getByRole('button', { name: 'Sign out', includeHidden: true })
      .waitFor({ state: 'attached' });
    expect(new URL(page.url()).pathname).toBe('/notes');
  });

  test('a form on another site posting to the app sends none of its cookies', async () => {
    const { page, problems } = await sessions.newSession();
    await signIn(page, admin);

    await page.goto(`${otherOrigin}/`);
    const posted = page.waitForRequest(
      (request) => request.url() === `${origin()}/api/logout` && request.method() === 'POST',
    );
    await page.getByRole('button', { name: 'Post to the app' }).click();
    expect(await cookiesSent(await posted)).toEqual([]);
    await page.waitForLoadState();
    // The refusal page the browser shows for that post is the expected outcome, not a fault.
    const refusals = problems.filter((problem) => problem.includes('/api/logout'));
    problems.splice(0, problems.length, ...problems.filter((p) => !refusals.includes(p)));

    // Still signed in: the post could not end (or use) the session.
    await page.goto(`${origin()}/notes`);
    await page.getByRole('heading', { name: 'Notes', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/notes');
  });
});
