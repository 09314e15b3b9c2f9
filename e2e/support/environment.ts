import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchBrowser, PageTracker } from './browser.js';
import { startServer, type RunningServer } from './test-server.js';

export interface AppUnderTest {
  sessions: PageTracker;
  origin: () => string;
}

function missing(what: string): never {
  throw new Error(`${what} is not running: did beforeAll fail?`);
}

/**
 * One built server and one Chromium per test file, and after every test: no console error or
 * warning, page error, CSP violation or dialog in any browser session the test opened.
 */
export function useAppUnderTest(): AppUnderTest {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const origin = () => server?.origin ?? missing('the server');
  const sessions = new PageTracker(() => browser ?? missing('the browser'), origin);

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  afterEach(async () => {
    expect(await sessions.closeAll()).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  return { sessions, origin };
}
