import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchBrowser, PageTracker } from './browser.js';
import { Mailbox } from './mailbox.js';
import { startServer, type RunningServer } from './test-server.js';

/** What tests read mail through; the SMTP server behind it starts in beforeAll. */
export type Inbox = Pick<Mailbox, 'waitForMail' | 'received'>;

export interface AppUnderTest {
  sessions: PageTracker;
  origin: () => string;
  mailbox: Inbox;
}

function missing(what: string): never {
  throw new Error(`${what} is not running: did beforeAll fail?`);
}

/**
 * One built server, one SMTP server it mails to, and one Chromium per test file, and after every
 * test: no console error or warning, page error, CSP violation or dialog in any browser session
 * the test opened.
 */
export interface AppOptions {
  /**
   * More server settings, read when the server starts (after the test file's own beforeAll
   * hooks registered earlier, so a provider started there can be named).
   */
  env?: () => Record<string, string>;
}

export function useAppUnderTest(options: AppOptions = {}): AppUnderTest {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let smtp: Mailbox | undefined;
  const origin = () => server?.origin ?? missing('the server');
  const sessions = new PageTracker(() => browser ?? missing('the browser'), origin);
  const running = () => smtp ?? missing('the mail server');
  const mailbox: Inbox = {
    waitForMail: (...args) => running().waitForMail(...args),
    received: (to) => running().received(to),
  };

  beforeAll(async () => {
    smtp = await Mailbox.start();
    server = await startServer({ smtpUrl: smtp.smtpUrl, env: options.env?.() ?? {} });
    browser = await launchBrowser();
  });

  afterEach(async () => {
    expect(await sessions.closeAll()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await smtp?.stop();
  });

  return { sessions, origin, mailbox };
}
