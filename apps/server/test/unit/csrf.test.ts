import fastifyCookie from '@fastify/cookie';
import fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import { registerAccessControl } from '../../src/plugins/access-control.js';
import { registerCsrf } from '../../src/plugins/csrf.js';
import { cookieNames } from '../../src/plugins/cookies.js';
import { registerErrorHandler } from '../../src/plugins/error-handler.js';
import { registerRoutePolicy } from '../../src/plugins/route-policy.js';
import { z } from 'zod';
import { registerZodValidation } from '../../src/plugins/validation.js';

/**
 * The CSRF check's details over HTTP on a bare app (OWASP CSRF Prevention Cheat Sheet): the Referer
 * fallback when a browser leaves out Origin, the binding a planted short cookie cannot fix, and the
 * reason each refusal is recorded under (the audit log's `csrf_failed` detail). The integration
 * suite covers the same check inside the whole app.
 */

const origin = 'https://app.example';
let app: FastifyInstance;
const failures: string[] = [];

// A fresh app per test (not per file): Stryker credits the code a test runs to that test, and
// code run in a beforeAll would be credited to none.
beforeEach(async () => {
  app = fastify();
  registerErrorHandler(app);
  registerZodValidation(app);
  registerRoutePolicy(app);
  // Deny by default: the token endpoint must declare itself public to be served at all.
  registerAccessControl(app, () => Promise.resolve(null));
  await app.register(fastifyCookie);
  registerCsrf(app, {
    secret: 'csrf-unit-test-secret-0123456789abcdef',
    publicOrigin: origin,
    allowedOrigins: [origin, 'https://partner.example'],
    onFailure: (_request: FastifyRequest, reason: string) => failures.push(reason),
  });
  const answers = { schema: { response: { 200: z.object({ done: z.boolean() }) } } };
  app.post('/api/action', { config: { access: 'public' }, ...answers }, () => ({ done: true }));
  app.post('/api/sign-in', { config: { access: 'public' }, ...answers }, (_request, reply) => {
    reply.rotateCsrfBinding();
    return { done: true };
  });
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

/** A browser's binding cookie and the token the app hands out for it. */
async function session(cookie?: string): Promise<{ binding: string; token: string }> {
  const res = await app.inject({
    method: 'GET',
    url: '/api/csrf',
    ...(cookie !== undefined ? { cookies: { [cookieNames.csrf]: cookie } } : {}),
  });
  expect(res.statusCode).toBe(200);
  const set = res.cookies.find((c) => c.name === cookieNames.csrf);
  return {
    binding: set?.value ?? cookie ?? '',
    token: res.json<{ csrfToken: string }>().csrfToken,
  };
}

async function post(headers: Record<string, string>, binding?: string) {
  failures.length = 0;
  const res = await app.inject({
    method: 'POST',
    url: '/api/action',
    headers,
    ...(binding !== undefined ? { cookies: { [cookieNames.csrf]: binding } } : {}),
  });
  return { status: res.statusCode, reasons: [...failures] };
}

describe('GET /api/csrf', () => {
  it('a browser without a binding gets a new random one, as a __Host- HttpOnly Secure cookie', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/csrf' });
    const set = res.cookies.find((c) => c.name === cookieNames.csrf);
    expect(set?.value.length).toBeGreaterThanOrEqual(32);
    expect([set?.path, set?.httpOnly, set?.secure, set?.sameSite]).toEqual([
      '/',
      true,
      true,
      'Strict',
    ]);
    expect((await session()).binding).not.toBe(set?.value);
  });

  it('a binding of 32 characters or more is kept, and its token is stable', async () => {
    const binding = 'b'.repeat(32);
    const res = await app.inject({
      method: 'GET',
      url: '/api/csrf',
      cookies: { [cookieNames.csrf]: binding },
    });
    expect(res.cookies.find((c) => c.name === cookieNames.csrf)).toBeUndefined();
    const token = res.json<{ csrfToken: string }>().csrfToken;
    expect((await session(binding)).token).toBe(token);
    expect((await post({ origin, [CSRF_HEADER]: token }, binding)).status).toBe(200);
  });

  it('a shorter binding (one an attacker could plant and guess) is replaced, not signed', async () => {
    const planted = 'p'.repeat(31);
    const { binding, token } = await session(planted);
    expect(binding).not.toBe(planted);
    expect(binding.length).toBeGreaterThanOrEqual(32);
    // The token is for the new binding: it is refused with the planted one.
    expect((await post({ origin, [CSRF_HEADER]: token }, binding)).status).toBe(200);
    expect((await post({ origin, [CSRF_HEADER]: token }, planted)).status).toBe(403);
  });
});

describe('rotateCsrfBinding (called at sign-in and sign-out)', () => {
  it('replaces the binding, so a token obtained before is refused after', async () => {
    const before = await session();
    const res = await app.inject({
      method: 'POST',
      url: '/api/sign-in',
      headers: { origin, [CSRF_HEADER]: before.token },
      cookies: { [cookieNames.csrf]: before.binding },
    });
    expect(res.statusCode).toBe(200);
    const rotated = res.cookies.find((c) => c.name === cookieNames.csrf);
    expect(rotated?.value.length).toBeGreaterThanOrEqual(32);
    expect(rotated?.value).not.toBe(before.binding);
    expect([rotated?.path, rotated?.httpOnly, rotated?.secure]).toEqual(['/', true, true]);
    expect((await post({ origin, [CSRF_HEADER]: before.token }, rotated?.value)).status).toBe(403);
    const after = await session(rotated?.value);
    expect((await post({ origin, [CSRF_HEADER]: after.token }, rotated?.value)).status).toBe(200);
  });
});

describe('the Origin check', () => {
  it('control: our Origin, or another allowed one, with the token → 200', async () => {
    const { binding, token } = await session();
    expect(await post({ origin, [CSRF_HEADER]: token }, binding)).toEqual({
      status: 200,
      reasons: [],
    });
    const partner = await post(
      { origin: 'https://partner.example', [CSRF_HEADER]: token },
      binding,
    );
    expect(partner.status).toBe(200);
  });

  it('without Origin, the origin of the Referer is checked instead', async () => {
    const { binding, token } = await session();
    expect(
      await post({ referer: `${origin}/notes/1?x=y#z`, [CSRF_HEADER]: token }, binding),
    ).toEqual({ status: 200, reasons: [] });
    expect(
      await post({ referer: 'https://evil.example/app.example/', [CSRF_HEADER]: token }, binding),
    ).toEqual({ status: 403, reasons: ['origin not allowed'] });
  });

  it('neither Origin nor Referer, or a Referer that is not a URL → refused as missing', async () => {
    const { binding, token } = await session();
    expect(await post({ [CSRF_HEADER]: token }, binding)).toEqual({
      status: 403,
      reasons: ['origin missing'],
    });
    expect(await post({ referer: 'not a url', [CSRF_HEADER]: token }, binding)).toEqual({
      status: 403,
      reasons: ['origin missing'],
    });
  });

  it('Origin wins over Referer: a foreign Origin is refused even with our Referer', async () => {
    const { binding, token } = await session();
    const res = await post(
      { origin: 'https://evil.example', referer: `${origin}/`, [CSRF_HEADER]: token },
      binding,
    );
    expect(res).toEqual({ status: 403, reasons: ['origin not allowed'] });
  });
});

describe('the token check', () => {
  it('no binding cookie, or no token header → token missing', async () => {
    const { binding, token } = await session();
    expect(await post({ origin, [CSRF_HEADER]: token })).toEqual({
      status: 403,
      reasons: ['token missing'],
    });
    expect(await post({ origin }, binding)).toEqual({ status: 403, reasons: ['token missing'] });
  });

  it('a token of the wrong length, or of the right length but wrong → token mismatch (never a 500)', async () => {
    const { binding, token } = await session();
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const sent of ['', token.slice(1), `${token}A`, flipped]) {
      expect(await post({ origin, [CSRF_HEADER]: sent }, binding), JSON.stringify(sent)).toEqual({
        status: 403,
        reasons: ['token mismatch'],
      });
    }
  });
});
