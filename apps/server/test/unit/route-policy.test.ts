import fastifyCookie from '@fastify/cookie';
import fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerAccessControl } from '../../src/plugins/access-control.js';
import { registerCsrf } from '../../src/plugins/csrf.js';
import { registerErrorHandler } from '../../src/plugins/error-handler.js';
import { registerRoutePolicy } from '../../src/plugins/route-policy.js';
import { registerSecurityHeaders } from '../../src/plugins/security-headers.js';
import { z } from 'zod';
import { registerZodValidation } from '../../src/plugins/validation.js';

/**
 * The one definition of "API route", read from the registered route pattern: which routes get the
 * API headers (`no-store`, `default-src 'none'`) and which serve documents, and which unsafe
 * requests must pass CSRF. Routes the real app does not have (an exact `/api`, a look-alike prefix,
 * a document route that accepts POST, a CSRF opt-out) are registered here on a bare app with the
 * same security plugins, and observed over HTTP.
 */

const origin = 'https://app.example';
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function appWith(routes: RouteOptions[]): Promise<FastifyInstance> {
  const instance = fastify() as unknown as FastifyInstance;
  registerErrorHandler(instance);
  registerZodValidation(instance);
  registerRoutePolicy(instance);
  registerSecurityHeaders(instance);
  await instance.register(fastifyCookie);
  registerCsrf(instance, {
    secret: 'route-policy-test-secret-0123456789abcdef',
    publicOrigin: origin,
    allowedOrigins: [origin],
    onFailure: () => undefined,
  });
  registerAccessControl(instance, () => Promise.resolve(null));
  for (const route of routes) instance.route(route);
  await instance.ready();
  app = instance;
  return instance;
}

const ok = () => ({ ok: true });

/** Every test route answers `{ ok: true }`, declared as the server requires of API routes. */
const answers = { response: { 200: z.object({ ok: z.boolean() }) } };

function route(method: RouteOptions['method'], url: string, config: object = {}): RouteOptions {
  return { method, url, handler: ok, schema: answers, config: { access: 'public', ...config } };
}

/** `api` or `document`, from the headers the response carries. */
async function surfaceOf(instance: FastifyInstance, url: string): Promise<string> {
  const res = await instance.inject({ method: 'GET', url });
  expect(res.statusCode, url).toBe(200);
  const csp = String(res.headers['content-security-policy']);
  if (res.headers['cache-control'] === 'no-store' && csp.startsWith("default-src 'none'")) {
    return 'api';
  }
  if (res.headers['cache-control'] === undefined && csp.startsWith("default-src 'self'")) {
    return 'document';
  }
  throw new Error(`${url}: neither set of headers: ${JSON.stringify(res.headers)}`);
}

describe('which read-only routes are API routes', () => {
  it('/api, everything under /api/, /healthz and /readyz; nothing else, however close', async () => {
    const api = ['/api', '/api/', '/api/notes', '/api/a/b/c', '/healthz', '/readyz'];
    const documents = [
      '/',
      '/apis',
      '/apiary/notes',
      '/x/api/notes',
      '/healthz/more',
      '/healthzz',
      '/readyz/more',
      '/readyzz',
      '/assets/app.js',
    ];
    const instance = await appWith([...api, ...documents].map((url) => route('GET', url)));
    for (const url of api) expect(await surfaceOf(instance, url), url).toBe('api');
    for (const url of documents) expect(await surfaceOf(instance, url), url).toBe('document');
  });

  it('the registered pattern decides, not the request spelling: /api/:id matches its values', async () => {
    const instance = await appWith([route('GET', '/api/items/:id'), route('GET', '/pages/:id')]);
    expect(await surfaceOf(instance, '/api/items/healthz')).toBe('api');
    expect(await surfaceOf(instance, '/pages/api')).toBe('document');
  });

  it('a route with several methods serves documents only when every method is GET or HEAD', async () => {
    const instance = await appWith([
      route(['GET', 'HEAD'], '/read-only'),
      route(['GET', 'POST'], '/read-write'),
    ]);
    expect(await surfaceOf(instance, '/read-only')).toBe('document');
    expect(await surfaceOf(instance, '/read-write')).toBe('api');
  });

  it("a route's explicit surface wins over its pattern", async () => {
    const instance = await appWith([
      route('GET', '/api/rendered', { surface: 'document' }),
      route('GET', '/feed', { surface: 'api' }),
    ]);
    expect(await surfaceOf(instance, '/api/rendered')).toBe('document');
    expect(await surfaceOf(instance, '/feed')).toBe('api');
  });

  it('a path that matches no route gets the API headers (the strictest)', async () => {
    const instance = await appWith([route('GET', '/page')]);
    const res = await instance.inject({ method: 'GET', url: '/nothing/here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'/);
  });
});

describe('a document is read-only', () => {
  it('declaring an unsafe method as a document stops the app at start-up', async () => {
    for (const method of ['POST', ['GET', 'DELETE']] as const) {
      const instance = fastify() as unknown as FastifyInstance;
      registerRoutePolicy(instance);
      expect(() => {
        instance.route(route(method as RouteOptions['method'], '/form', { surface: 'document' }));
      }, String(method)).toThrow(/a document is read-only/);
      await instance.close();
    }
  });

  it('a read-only document route starts', async () => {
    const instance = await appWith([route(['GET', 'HEAD'], '/page', { surface: 'document' })]);
    expect(await surfaceOf(instance, '/page')).toBe('document');
  });

  it('an unsafe route outside /api/ is an API route, so it must declare its access rule', async () => {
    const instance = fastify() as unknown as FastifyInstance;
    registerRoutePolicy(instance);
    registerAccessControl(instance, () => Promise.resolve(null));
    expect(() => instance.post('/upload', ok)).toThrow(/declares no access rule/);
    // A read-only page outside the API is a document: public without saying so.
    instance.get('/page', ok);
    await instance.ready();
    expect((await instance.inject({ method: 'GET', url: '/page' })).statusCode).toBe(200);
    await instance.close();
  });
});

describe('CSRF on every unsafe method unless a route opts out', () => {
  const unsafe = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

  it('without a token every unsafe method is refused, on API routes, documents-to-be and 404s', async () => {
    const instance = await appWith([route([...unsafe], '/api/items'), route([...unsafe], '/form')]);
    for (const url of ['/api/items', '/form', '/nowhere']) {
      for (const method of unsafe) {
        const res = await instance.inject({ method, url, headers: { origin } });
        expect([method, url, res.statusCode, res.json<{ error: { code: string } }>().error.code])
          // A 404 is not revealed before the CSRF check: the refusal comes first.
          .toEqual([method, url, 403, 'csrf_failed']);
      }
    }
  });

  it('a route with `csrf: false` is exempt; the same route without it is not', async () => {
    const instance = await appWith([
      route('POST', '/api/webhook', { csrf: false }),
      route('POST', '/api/guarded'),
    ]);
    const exempt = await instance.inject({ method: 'POST', url: '/api/webhook' });
    expect(exempt.statusCode).toBe(200);
    // Opting out of CSRF does not opt out of the API headers.
    expect(exempt.headers['cache-control']).toBe('no-store');
    const guarded = await instance.inject({ method: 'POST', url: '/api/guarded' });
    expect(guarded.statusCode).toBe(403);
  });

  it('safe methods pass without a token', async () => {
    const instance = await appWith([route(['GET', 'HEAD', 'OPTIONS'], '/api/items')]);
    for (const method of ['GET', 'HEAD', 'OPTIONS'] as const) {
      expect((await instance.inject({ method, url: '/api/items' })).statusCode, method).toBe(200);
    }
  });
});
