import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: chromiumArgs,
  });
}

/**
 * Chrome writes every non-2xx fetch to the console as "Failed to load resource". Some API
 * refusals are the expected answer in a normal flow (401 before sign-in, 403 after losing a
 * role), so those, and only those, are recorded apart for tests to assert on. A 400 is not among
 * them: the browser validates first, so a 400 means the client sent something the contract
 * forbids. Anything else logged as an error or warning fails the test.
 */
const expectedRefusal =
  /^Failed to load resource: the server responded with a status of (401|403|404|409|429)\b/;

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and warnings, page errors, CSP violations and dialogs, in order. */
  problems: string[];
  /** Expected API refusals Chrome logged, as "401 /api/profile". */
  apiRefusals: string[];
}

type CspReporter = (detail: string) => void;

async function watch(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const problems: string[] = [];
  const apiRefusals: string[] = [];

  // The event catches violations even where Chrome would not log them; both are recorded.
  await context.exposeBinding('__portcullisReportCsp', (_source, detail: string) => {
    problems.push(`CSP violation: ${detail}`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __portcullisReportCsp: CspReporter })
        .__portcullisReportCsp;
      report(
        `${event.effectiveDirective} blocked ${event.blockedURI || 'inline code'} at ${event.sourceFile}:${String(event.lineNumber)}`,
      );
    });
  });

  const page = await context.newPage();
  page.on('console', (message) => {
    const type = message.type();
    if (type !== 'error' && type !== 'warning') return;
    const text = message.text();
    const { url } = message.location();
    const refusal = expectedRefusal.exec(text);
    if (refusal !== null && url.startsWith(`${origin}/api/`)) {
      apiRefusals.push(`${refusal[1] ?? ''} ${new URL(url).pathname}`);
      return;
    }
    problems.push(`console ${type}: ${text}${url === '' ? '' : ` (${url})`}`);
  });
  page.on('pageerror', (error) => {
    problems.push(`page error: ${error.message}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.type()} "${dialog.message()}"`);
    void dialog.dismiss();
  });
  return { page, context, problems, apiRefusals };
}

/** Opens isolated browser sessions (own cookies) and collects what went wrong in each. */
export class PageTracker {
  private readonly open: WatchedPage[] = [];

  constructor(
    private readonly browser: () => Browser,
    private readonly origin: () => string,
  ) {}

  async newSession(): Promise<WatchedPage> {
    const context = await this.browser().newContext({
      ignoreHTTPSErrors: true,
      baseURL: this.origin(),
      viewport: { width: 1200, height: 900 },
    });
    // Shorter than the test's own timeout, so a missing state fails with the locator that waited.
    context.setDefaultTimeout(15_000);
    const watched = await watch(context, this.origin());
    this.open.push(watched);
    return watched;
  }

  /** Closes every session and returns their problems, labelled by session. */
  async closeAll(): Promise<string[]> {
    const sessions = this.open.splice(0);
    await Promise.all(sessions.map((session) => session.context.close()));
    return sessions.flatMap((session, index) =>
      session.problems.map((problem) => `session ${String(index + 1)}: ${problem}`),
    );
  }
}
