import { request as httpsRequest } from 'node:https';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { newUser, registerAndVerify, signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

const { sessions, origin, mailbox } = useAppUnderTest();

interface Answer {
  status: number;
  body: string;
  setCookies: string[];
}

/**
 * One HTTPS request from a chosen loopback address. All of 127.0.0.0/8 is this machine, so each
 * address is a different client to the server (it reads the socket's address; no proxy header is
 * trusted): one test can be many attackers without a proxy in front.
 */
function send(
  fromAddress: string,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const target = new URL(path, origin());
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname,
        method,
        localAddress: fromAddress,
        servername: target.hostname,
        rejectUnauthorized: false,
        headers: {
          host: target.host,
          origin: origin(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: text,
            setCookies: response.headers['set-cookie'] ?? [],
          });
        });
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * A distributed guess at one account, sent past the browser: 5 wrong passwords from each of four
 * addresses (the per-client limit), which spends the account-wide allowance of 20, then one more
 * from a fifth address, which is refused and starts the account-wide lock.
 */
async function lockAccountWide(email: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let client = 1; client <= 5; client += 1) {
    const fromAddress = `127.0.0.${String(10 + client)}`;
    // Each attacker is a browser of its own: its own CSRF binding cookie and token.
    const csrf = await send(fromAddress, 'GET', '/api/csrf', {});
    const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
    const cookie = csrf.setCookies.map((line) => line.split(';')[0] ?? '').join('; ');
    const guesses = client <= 4 ? 5 : 1;
    for (let guess = 1; guess <= guesses; guess += 1) {
      const answer = await send(
        fromAddress,
        'POST',
        '/api/login',
        { cookie, 'x-csrf-token': csrfToken },
        { email, password: `not it ${String(client)}-${String(guess)}` },
      );
      statuses.push(answer.status);
    }
  }
  return statuses;
}

describe('admin: account locks and the audit log', () => {
  test('a locked account shows its lock and its end; Unlock clears it and is audited', async () => {
    const owner = newUser('besieged');
    const ownerSession = await sessions.newSession();
    await registerAndVerify(ownerSession.page, mailbox, owner);

    const statuses = await lockAccountWide(owner.email);
    expect(statuses).toEqual([...Array<number>(20).fill(401), 429]);

    // The owner, from their own browser, is refused too: that is the lock the admin must see.
    ownerSession.expectRefusal('429 /api/login');
    const ownerPassword = ownerSession.page.getByLabel('Password', { exact: true });
    await ownerPassword.fill(owner.password);
    await ownerSession.page.getByRole('button', { name: 'Sign in' }).click();
    await ownerSession.page.getByRole('timer').waitFor();

    const { page } = await sessions.newSession();
    await signIn(page, admin);
    await page.getByRole('link', { name: 'Admin' }).click();
    const row = page.getByRole('region', { name: 'Users' }).getByRole('row').filter({
      hasText: owner.email,
    });
    const lockCell = row.getByRole('cell').filter({ hasText: /Locked until|Not locked/ });
    await lockCell.getByText(/^Locked until /).waitFor();
    // The time shown is the lock's real end: 15 minutes from the refused guess.
    const shown = lockCell.locator('time');
    const until = Date.parse((await shown.getAttribute('datetime')) ?? '');
    // A lock that ends today shows its time alone; one that ends after midnight, its date too.
    expect(await shown.textContent()).toMatch(
      new Date(until).toDateString() === new Date().toDateString()
        ? /^\d{2}:\d{2}$/
        : /^\w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}(\s[AP]M)?$/,
    );
    expect(until - Date.now()).toBeGreaterThan(13 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    const unlock = row.getByRole('button', { name: `Unlock ${owner.email}` });
    await unlock.focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: `${owner.email} is unlocked.` })
      .waitFor();
    await lockCell.getByText('Not locked').waitFor();
    expect(await unlock.count()).toBe(0);
    // The button that had focus is gone; focus is on the cell that now says why.
    expect(await lockCell.evaluate((element) => element === document.activeElement)).toBe(true);

    // The owner gets in at once, from the browser that was refused a moment ago (reloaded: that
    // page still counts down the wait the server gave it).
    await ownerSession.page.reload();
    await signIn(ownerSession.page, owner);

    // Audited, with people named by email and the browser named in words.
    await page.reload();
    const audit = page.getByRole('region', { name: 'Audit log' });
    const unlocked = audit.getByRole('row').filter({ hasText: 'Account unlocked' }).first();
    await unlocked.waitFor();
    await unlocked.getByRole('cell', { name: admin.email, exact: true }).waitFor();
    const userAgent = unlocked.locator('details');
    const summary = userAgent.locator('summary');
    expect(await summary.textContent()).toMatch(/^Chrome on Linux/);
    const fullString = userAgent.getByText(/^Mozilla\/5\.0 .*Chrome\//);
    expect(await fullString.isVisible()).toBe(false);
    await summary.focus();
    await page.keyboard.press('Enter');
    await fullString.waitFor();
    expect(await row.count()).toBe(1);
  });

  test('the audit log names the actor by email, not by id', async () => {
    const { page } = await sessions.newSession();
    await signIn(page, admin);
    await page.getByRole('link', { name: 'Admin' }).click();
    const audit = page.getByRole('region', { name: 'Audit log' });
    const signedIn = audit
      .getByRole('row')
      .filter({ hasText: 'Signed in' })
      .filter({ hasText: admin.email })
      .first();
    await signedIn.waitFor();
    await signedIn.getByRole('cell', { name: admin.email, exact: true }).waitFor();
    // The user agent takes one line, not five: a short summary until asked for the rest.
    const cell = signedIn.locator('.user-agent-cell');
    const box = await cell.boundingBox();
    expect(box?.height).toBeLessThan(60);
  });
});
