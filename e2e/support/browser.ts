import {
  chromium,
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type Dialog,
  type Page,
} from 'playwright-core';

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
 * Chrome writes every non-2xx fetch to the console as "Failed to load resource". The app is built
 * so that no normal flow causes one (an anonymous load asks GET /api/session, which answers 200,
 * and refreshes only with a refresh cookie), so every console error fails the test. The one
 * exception is a test whose story is a refusal (a wrong password, a lockout, a lost role): it
 * names each refusal it causes with `expectRefusal` beforehand, and the watcher then fails the
 * test if that refusal does not happen, or happens more often than said.
 */
const failedResource = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and warnings, page errors, CSP violations and dialogs, in order. */
  problems: string[];
  /**
   * Declares that the test's own story makes the API refuse this request, as "401 /api/login",
   * `times` times. Only the declared ones are forgiven, and each must really happen.
   */
  expectRefusal: (refusal: string, times?: number) => void;
  /** The expected refusals that did not happen as many times as declared. */
  unmetExpectations: () => string[];
}

type CspReporter = (detail: string) => void;

async function watch(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const problems: string[] = [];
  /** Declared refusals and how many of each are still to come. */
  const expected = new Map<string, number>();

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

  const onConsole = (message: ConsoleMessage) => {
    const type = message.type();
    if (type !== 'error' && type !== 'warning') return;
    const text = message.text();
    const { url } = message.location();
    const status = failedResource.exec(text)?.[1];
    if (status !== undefined && url.startsWith(`${origin}/`)) {
      const refusal = `${status} ${new URL(url).pathname}`;
      const left = expected.get(refusal) ?? 0;
      if (left > 0) {
        expected.set(refusal, left - 1);
        return;
      }
    }
    problems.push(`console ${type}: ${text}${url === '' ? '' : ` (${url})`}`);
  };
  const onPageError = (error: Error) => {
    problems.push(`page error: ${error.message}`);
  };
  const onDialog = (dialog: Dialog) => {
    problems.push(`dialog opened: ${dialog.type()} "${dialog.message()}"`);
    void dialog.dismiss();
  };
  // Every page of the context (a second tab too) is watched, each once.
  const watchedPages = new WeakSet<Page>();
  const watchPage = (watched: Page) => {
    if (watchedPages.has(watched)) return;
    watchedPages.add(watched);
    watched.on('console', onConsole);
    watched.on('pageerror', onPageError);
    watched.on('dialog', onDialog);
  };
  context.on('page', watchPage);
  const page = await context.newPage();
  watchPage(page);

  return {
    page,
    context,
    problems,
    expectRefusal(refusal, times = 1) {
      expected.set(refusal, (expected.get(refusal) ?? 0) + times);
    },
    unmetExpectations: () =>
      [...expected]
        .filter(([, left]) => left > 0)
        .map(
          ([refusal, left]) => `expected refusal ${refusal} did not happen (${String(left)} left)`,
        ),
  };
}

/** Opens isolated browser sessions (own cookies) and collects what went wrong in each. */
export class PageTracker {
  private readonly open: WatchedPage[] = [];

  constructor(
    private readonly browser: () => Browser,
    private readonly origin: () => string,
  ) {}

  async newSession(
    options: { viewport?: { width: number; height: number } } = {},
  ): Promise<WatchedPage> {
    const context = await this.browser().newContext({
      ignoreHTTPSErrors: true,
      baseURL: this.origin(),
      viewport: options.viewport ?? { width: 1200, height: 900 },
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
      [...session.problems, ...session.unmetExpectations()].map(
        (problem) => `session ${String(index + 1)}: ${problem}`,
      ),
    );
  }
}
