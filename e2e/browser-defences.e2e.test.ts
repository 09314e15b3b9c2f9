import type { Page, Response } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { addNote, signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

/**
 * The browser defences of ADR 012 as Chromium applies them to the built app: Trusted Types,
 * cross-origin isolation (COOP + COEP), Subresource Integrity, reporting, and the caching of the
 * shell and its files. The after-each check fails on any console error or warning, page error
 * or `securitypolicyviolation` event in any page.
 */

const { sessions } = useAppUnderTest();

/** Loads that failed (blocked by COEP, SRI or CSP, or refused): none is expected anywhere. */
function watchLoads(page: Page): string[] {
  const failures: string[] = [];
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'failed';
    // A navigation started by the test cancels what the previous page still had in flight.
    if (reason !== 'net::ERR_ABORTED') failures.push(`${request.url()}: ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.url()}: ${String(response.status())}`);
  });
  return failures;
}

async function isolated(page: Page): Promise<boolean> {
  return page.evaluate(() => crossOriginIsolated);
}

describe('Trusted Types and reporting', () => {
  test('the document policy as Chromium receives it enforces Trusted Types and names the report endpoint', async () => {
    const { page } = await sessions.newSession();
    const response = await page.goto('/');
    const headers = (await response?.allHeaders()) ?? {};
    const csp = headers['content-security-policy'] ?? '';
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).toContain("trusted-types 'none'");
    expect(csp).toContain('report-to csp-endpoint');
    expect(headers['reporting-endpoints']).toBe('csp-endpoint="/api/security/csp-reports"');
  });

  test('a string assigned to innerHTML throws, and the watcher reports the violation', async () => {
    const { page, problems } = await sessions.newSession();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Welcome to Portcullis' }).waitFor();
    // What a DOM XSS does: hand a string to an HTML sink. With `trusted-types 'none'` no policy
    // can bless it, so the assignment itself throws.
    const outcome = await page.evaluate(() => {
      const target = document.createElement('div');
      try {
        target.innerHTML = '<img src="x" alt="injected">';
        return 'assigned';
      } catch (error) {
        return error instanceof TypeError ? 'TypeError' : String(error);
      }
    });
    expect(outcome).toBe('TypeError');
    await expect
      .poll(() =>
        problems.some((problem) => problem.startsWith('CSP violation: require-trusted-types-for')),
      )
      .toBe(true);
    // Expected here; cleared so the after-each check judges the rest of the run.
    problems.length = 0;
  });

  test('every page, the strength checker in use, runs with zero violations, cross-origin isolated, no failed load', async () => {
    const { page, problems } = await sessions.newSession();
    const failures = watchLoads(page);
    const visited: [path: string, isolated: boolean][] = [];
    const visit = async (path: string, heading: string) => {
      await page.goto(path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      visited.push([path, await isolated(page)]);
    };
    const strengthShown = async () => {
      await page
        .getByTestId('password-strength')
        .getByText(/Password strength: (?!Checking)/)
        .waitFor();
    };

    await visit('/sign-in', 'Sign in');
    await visit('/register', 'Create an account');
    // The strength checker loads its dictionaries lazily: a chunk with no integrity attribute,
    // under the same CSP and COEP.
    await page.getByLabel('Password', { exact: true }).fill('a much longer passphrase');
    await strengthShown();

    await signIn(page, admin);
    await visit('/notes', 'Notes');
    await addNote(page, 'Isolated', 'Under Trusted Types');
    await visit('/profile', 'Profile');
    await page.getByLabel('New password').fill('another much longer passphrase');
    await strengthShown();
    await visit('/admin', 'Admin');

    expect(visited).toEqual([
      ['/sign-in', true],
      ['/register', true],
      ['/notes', true],
      ['/profile', true],
      ['/admin', true],
    ]);
    expect(failures).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('cross-origin isolation and Permissions-Policy', () => {
  test('COOP and COEP make the page crossOriginIsolated; powerful features are off, passkeys are ours', async () => {
    const { page } = await sessions.newSession();
    const failures = watchLoads(page);
    const response = await page.goto('/');
    await page.getByRole('heading', { name: 'Welcome to Portcullis' }).waitFor();
    const headers = (await response?.allHeaders()) ?? {};
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await isolated(page)).toBe(true);

    const policy = headers['permissions-policy'] ?? '';
    expect(policy).not.toContain('interest-cohort');
    expect(policy).toContain('publickey-credentials-get=(self)');
    expect(policy).toContain('publickey-credentials-create=(self)');
    // As the browser applies it (Chromium's document.featurePolicy, where available).
    const allowed = await page.evaluate(() => {
      const policyApi = (
        document as unknown as { featurePolicy?: { allowsFeature(name: string): boolean } }
      ).featurePolicy;
      if (policyApi === undefined) return null;
      return ['camera', 'geolocation', 'usb', 'hid', 'serial', 'browsing-topics', 'payment'].filter(
        (feature) => policyApi.allowsFeature(feature),
      );
    });
    if (allowed !== null) expect(allowed).toEqual([]);
    expect(failures).toEqual([]);
  });
});

describe('Subresource Integrity', () => {
  test('every script, module preload and stylesheet of the shell has an integrity matching the bytes served', async () => {
    const { page } = await sessions.newSession();
    const failures = watchLoads(page);
    await page.goto('/');
    await page.getByRole('heading', { name: 'Welcome to Portcullis' }).waitFor();
    const checked = await page.evaluate(async () => {
      const tags = [
        ...document.querySelectorAll<HTMLScriptElement | HTMLLinkElement>(
          'script[src], link[rel="stylesheet"], link[rel="modulepreload"]',
        ),
      ];
      return Promise.all(
        tags.map(async (tag) => {
          const url = tag instanceof HTMLScriptElement ? tag.src : tag.href;
          const bytes = await (await fetch(url)).arrayBuffer();
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', bytes));
          const computed = `sha384-${btoa(String.fromCharCode(...digest))}`;
          return {
            kind: tag instanceof HTMLScriptElement ? 'script' : tag.rel,
            url: new URL(url).pathname,
            matches: tag.integrity === computed,
            crossOrigin: tag.crossOrigin,
          };
        }),
      );
    });
    expect(checked.map((tag) => tag.kind).sort()).toEqual(
      expect.arrayContaining(['script', 'stylesheet']),
    );
    for (const tag of checked) {
      expect(tag, tag.url).toMatchObject({ matches: true, crossOrigin: 'anonymous' });
    }
    expect(failures).toEqual([]);
  });

  test('a file that differs from its integrity is refused by the browser', async () => {
    const { page, problems } = await sessions.newSession();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Welcome to Portcullis' }).waitFor();
    // The shell's own stylesheet, declared with the hash of something else: what a tampered file
    // looks like to the browser.
    const loaded = await page.evaluate(async () => {
      const original = document.querySelector<HTMLLinkElement>('link[rel="stylesheet"]');
      if (original === null) return 'no stylesheet';
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.crossOrigin = 'anonymous';
      link.integrity = `sha384-${'A'.repeat(64)}`;
      link.href = `${original.href}?copy`;
      const result = new Promise<string>((resolve) => {
        link.onload = () => {
          resolve('loaded');
        };
        link.onerror = () => {
          resolve('refused');
        };
      });
      document.head.append(link);
      return result;
    });
    expect(loaded).toBe('refused');
    await expect.poll(() => problems.some((problem) => /integrity/i.test(problem))).toBe(true);
    problems.length = 0;
  });
});

describe('caching as Chromium receives it', () => {
  test('the shell is revalidated, a hashed asset is immutable for a year, a missing file is never stored', async () => {
    const { page, expectRefusal } = await sessions.newSession();
    const assetResponse = page.waitForResponse((response: Response) =>
      /\/assets\/[^/]+\.js$/.test(new URL(response.url()).pathname),
    );
    const shell = await page.goto('/');
    await page.getByRole('heading', { name: 'Welcome to Portcullis' }).waitFor();
    const asset = await assetResponse;
    expect((await shell?.allHeaders())?.['cache-control']).toBe('no-cache');
    expect(asset.status()).toBe(200);
    expect((await asset.allHeaders())['cache-control']).toBe('public, max-age=31536000, immutable');

    // A client-side route is the shell too, revalidated like it.
    const route = await page.goto('/notes');
    expect((await route?.allHeaders())?.['cache-control']).toBe('no-cache');

    // A file that does not exist: a JSON 404, which no cache may keep (a later deploy may add it).
    expectRefusal('404 /assets/no-such-file.js');
    const missing = await page.evaluate(async () => {
      const response = await fetch('/assets/no-such-file.js');
      return [response.status, response.headers.get('cache-control')];
    });
    expect(missing).toEqual([404, 'no-store']);
  });
});
