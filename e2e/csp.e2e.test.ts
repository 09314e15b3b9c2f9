import { describe, expect, test } from 'vitest';
import { useAppUnderTest } from './support/environment.js';
import { addNote, signIn } from './support/flows.js';
import { admin } from './support/test-server.js';

const { sessions } = useAppUnderTest();

describe('content security policy', () => {
  test('the watcher catches a CSP violation, so a clean run means something', async () => {
    const { page, problems } = await sessions.newSession();
    const response = await page.goto('/');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.getByRole('heading', { name: 'Welcome to Portcullis' }).waitFor();

    // What an injection would do: add an inline script. The policy must block it and the
    // session's watcher must report it. Trusted Types refuse the untrusted script text first
    // (`require-trusted-types-for 'script'`), before `script-src` is even consulted.
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      try {
        script.textContent = 'window.__injected = true;';
      } catch {
        // Refused by Trusted Types: the assignment throws and is reported.
      }
      document.head.append(script);
      await new Promise((resolve) => requestAnimationFrame(resolve));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    // Both reports: the page's securitypolicyviolation event and Chrome's console error. They
    // arrive in either order, so waiting for one and clearing could leave the other behind.
    await expect
      .poll(() => [
        problems.some((problem) => problem.startsWith('CSP violation: require-trusted-types-for')),
        problems.some(
          (problem) => problem.startsWith('console error:') && problem.includes('TrustedScript'),
        ),
      ])
      .toEqual([true, true]);
    // Expected here; cleared so the after-each check judges the rest of the run.
    problems.length = 0;
  });

  test('every screen renders with zero violations and a clean console', async () => {
    const { page, problems } = await sessions.newSession();
    await signIn(page, admin);
    await page.goto('/notes');
    await addNote(page, 'Styled only by the stylesheet', 'Line one\nLine two');

    const screens: [path: string, heading: string][] = [
      ['/', `Hello, ${admin.name}`],
      ['/notes', 'Notes'],
      ['/secure-data', 'Secure data'],
      ['/profile', 'Profile'],
      ['/admin', 'Admin'],
      ['/forgot-password', 'Forgot your password?'],
      // The pages mailed links open, here without a token (they say so).
      ['/verify-email', 'Confirm your email address'],
      ['/reset-password', 'Choose a new password'],
      ['/confirm-email', 'Confirm your new email address'],
      ['/undo-email-change', 'Undo the email change'],
      ['/not-me', 'This was not me'],
      ['/missing', 'Page not found'],
    ];
    for (const [path, heading] of screens) {
      await page.goto(path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // No element carries inline style: `style-src 'self'` would ignore it.
      expect(await page.locator('[style]').count()).toBe(0);
    }
    // The strength meter's lazily loaded chunk runs under the same policy.
    await page.goto('/profile');
    await page.getByLabel('New password').fill('a much longer passphrase');
    await page
      .getByTestId('password-strength')
      .getByText(/Password strength: /)
      .waitFor();
    await page
      .getByTestId('password-strength')
      .getByText(/Password strength: (?!Checking)/)
      .waitFor();
    expect(problems).toEqual([]);
  });
});
