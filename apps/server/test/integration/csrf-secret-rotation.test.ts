import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import {
  cookieNames,
  expectErrorEnvelope,
  parseSetCookie,
  startTestApp,
  USER_AGENT,
  type ParsedCookie,
  type TestApp,
} from '../support/test-app.js';

/**
 * CSRF_SECRET rotates like JWT_SECRETS (ADR 014): deployed as `new,old`, the new secret signs
 * and both verify, so a page loaded before the deploy can still submit; once `old` is removed,
 * its tokens are refused.
 */

const oldSecret = randomBytes(32).toString('base64url');
const newSecret = randomBytes(32).toString('base64url');

async function withApp<T>(csrfSecret: string, run: (testApp: TestApp) => Promise<T>): Promise<T> {
  const testApp = await startTestApp({ CSRF_SECRET: csrfSecret });
  try {
    return await run(testApp);
  } finally {
    await testApp.close();
  }
}

/** A browser's binding cookie and the token the app hands out for it. */
async function fetchToken(testApp: TestApp, binding?: string) {
  const reply = await fetch(`${testApp.url}/api/csrf`, {
    headers: {
      'user-agent': USER_AGENT,
      ...(binding === undefined ? {} : { cookie: `${cookieNames.csrf}=${binding}` }),
    },
  });
  expect(reply.status).toBe(200);
  const set = reply.headers.getSetCookie().map(parseSetCookie);
  const cookie = set.find((candidate) => candidate.name === cookieNames.csrf)?.value ?? binding;
  const { csrfToken } = (await reply.json()) as { csrfToken: string };
  return { binding: cookie ?? '', token: csrfToken };
}

/** An unsafe request that needs nothing but a valid CSRF token: a logout without a session. */
async function submit(testApp: TestApp, held: { binding: string; token: string }) {
  const reply = await fetch(`${testApp.url}/api/logout`, {
    method: 'POST',
    headers: {
      'user-agent': USER_AGENT,
      origin: testApp.config.publicOrigin,
      'content-type': 'application/json',
      cookie: `${cookieNames.csrf}=${held.binding}`,
      [CSRF_HEADER]: held.token,
    },
    body: '{}',
  });
  const text = await reply.text();
  return {
    status: reply.status,
    headers: reply.headers,
    text,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    setCookies: new Map<string, ParsedCookie>(),
  };
}

describe('CSRF_SECRET rotation', () => {
  it('a token made under the old secret works after rotation, and stops once the old one is removed', async () => {
    const held = await withApp(oldSecret, async (testApp) => {
      const issued = await fetchToken(testApp);
      expect((await submit(testApp, issued)).status).toBe(204);
      return issued;
    });

    const fresh = await withApp(`${newSecret},${oldSecret}`, async (testApp) => {
      // The page loaded before the deploy still submits.
      expect((await submit(testApp, held)).status).toBe(204);
      // New tokens for the same browser are signed with the new secret, and work.
      const renewed = await fetchToken(testApp, held.binding);
      expect(renewed.binding).toBe(held.binding);
      expect(renewed.token).not.toBe(held.token);
      expect((await submit(testApp, renewed)).status).toBe(204);
      return renewed;
    });

    await withApp(newSecret, async (testApp) => {
      const refused = await submit(testApp, held);
      expectErrorEnvelope(refused, 403, 'csrf_failed');
      expect((await submit(testApp, fresh)).status).toBe(204);
    });
  }, 60_000);

  it('refuses a list with a short secret in it at boot, naming the variable', async () => {
    await expect(startTestApp({ CSRF_SECRET: `${newSecret},too-short` })).rejects.toThrow(
      /^CSRF_SECRET: each secret must be at least 32 characters/,
    );
  });
});
