import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  startTestApp,
  TestClient,
  type TestApp,
  type TestResponse,
  type TestUser,
} from '../support/test-app.js';

/**
 * OWASP Secure Headers Project / ASVS 14.4: every response, success or error, API or document,
 * carries the hardening headers. The app is started with a small stand-in for the built SPA so
 * the document policy is tested without depending on a web build.
 */

let testApp: TestApp;
let member: TestUser;
let webDistDir: string;

beforeAll(async () => {
  webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-web-'));
  mkdirSync(path.join(webDistDir, 'assets'));
  writeFileSync(
    path.join(webDistDir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>',
  );
  writeFileSync(path.join(webDistDir, 'assets', 'app.js'), 'console.log("app");');
  testApp = await startTestApp({}, { webDistDir });
  member = await createUser(testApp);
});

afterAll(async () => {
  await testApp.close();
  rmSync(webDistDir, { recursive: true, force: true });
});

function directives(csp: string | null): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (csp ?? '').split(';')) {
    const [name = '', ...values] = part.trim().split(/\s+/);
    if (name !== '') map.set(name.toLowerCase(), values.join(' '));
  }
  return map;
}

function expectCommonHeaders(res: TestResponse<unknown>, label: string): void {
  const h = res.headers;
  const hsts = h.get('strict-transport-security') ?? '';
  const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0);
  expect(maxAge, `${label}: HSTS max-age`).toBeGreaterThanOrEqual(31_536_000);
  expect(h.get('x-content-type-options'), label).toBe('nosniff');
  expect(h.get('x-frame-options'), label).toBe('DENY');
  expect(h.get('referrer-policy'), label).toBeTruthy();
  expect(h.get('permissions-policy'), label).toBeTruthy();
  expect(h.get('cross-origin-opener-policy'), label).toBe('same-origin');
  expect(h.get('cross-origin-resource-policy'), label).toBeTruthy();
  expect(h.get('x-xss-protection'), label).toBe('0');
  expect(h.get('x-powered-by'), label).toBeNull();
  expect(h.get('server'), label).toBeNull();
  const csp = directives(h.get('content-security-policy'));
  expect(csp.get('frame-ancestors'), `${label}: frame-ancestors`).toBe("'none'");
}

function expectApiHeaders(res: TestResponse<unknown>, label: string): void {
  expectCommonHeaders(res, label);
  const csp = directives(res.headers.get('content-security-policy'));
  expect(csp.get('default-src'), `${label}: default-src`).toBe("'none'");
  expect(res.headers.get('cache-control'), `${label}: cache-control`).toContain('no-store');
}

describe('security headers on API responses', () => {
  it('on a successful response (GET /api/csrf, GET /api/profile)', async () => {
    expectApiHeaders(await new TestClient(testApp).get('/api/csrf'), 'GET /api/csrf');
    expectApiHeaders(await member.client.get('/api/profile'), 'GET /api/profile');
  });

  it('on error responses: 400, 401, 403, 404, 415', async () => {
    const anonymous = new TestClient(testApp);
    const cases: [string, TestResponse<unknown>][] = [
      [
        '400',
        await anonymous.request('POST', '/api/register', {
          rawBody: '{',
          headers: { 'content-type': 'application/json' },
        }),
      ],
      ['401', await anonymous.get('/api/profile')],
      ['403', await member.client.post('/api/notes', { title: 't', body: 'b' }, { csrf: false })],
      ['404', await anonymous.get('/api/nothing-here')],
      [
        '415',
        await member.client.request('POST', '/api/notes', {
          rawBody: 'title=t',
          headers: { 'content-type': 'text/plain' },
        }),
      ],
    ];
    for (const [status, res] of cases) {
      expect(String(res.status)).toBe(status);
      expectApiHeaders(res, `error ${status}`);
    }
  });

  it('on a 204 (logout) and on /healthz', async () => {
    const client = new TestClient(testApp);
    const logout = await client.post('/api/logout', {});
    expect(logout.status).toBe(204);
    expectApiHeaders(logout, 'POST /api/logout');
    expectApiHeaders(await client.get('/healthz'), 'GET /healthz');
  });
});

describe('security headers on the SPA document', () => {
  it("GET / has a strict CSP: script-src 'self', no unsafe-inline/eval, object-src 'none', base-uri, frame-ancestors 'none', form-action", async () => {
    const res = await new TestClient(testApp).get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expectCommonHeaders(res, 'GET /');
    const raw = res.headers.get('content-security-policy') ?? '';
    const csp = directives(raw);
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.has('base-uri')).toBe(true);
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.has('form-action')).toBe(true);
    expect(csp.has('default-src')).toBe(true);
    expect(raw).not.toContain('unsafe-inline');
    expect(raw).not.toContain('unsafe-eval');
    expect(raw).not.toMatch(/(^|\s)\*(\s|;|$)/);
  });

  it('a client-side route and a static asset carry the same headers', async () => {
    const client = new TestClient(testApp);
    const route = await client.get('/notes/some-client-route');
    expect(route.status).toBe(200);
    expectCommonHeaders(route, 'SPA fallback');
    expect(directives(route.headers.get('content-security-policy')).get('script-src')).toBe(
      "'self'",
    );
    const asset = await client.get('/assets/app.js');
    expect(asset.status).toBe(200);
    expectCommonHeaders(asset, 'asset');
  });

  it('a missing static file is a 404 with headers, not a directory listing', async () => {
    const res = await new TestClient(testApp).get('/assets/missing.js');
    expect(res.status).toBe(404);
    expectCommonHeaders(res, 'missing asset');
  });
});

const builtSpaDir = path.resolve(import.meta.dirname, '../../../web/dist');

describe.skipIf(!existsSync(path.join(builtSpaDir, 'index.html')))(
  'the real built SPA (apps/web/dist), when present',
  () => {
    let spaApp: TestApp;

    beforeAll(async () => {
      spaApp = await startTestApp();
    });

    afterAll(async () => {
      await spaApp.close();
    });

    it('is served with the strict document CSP and needs nothing it forbids', async () => {
      const res = await new TestClient(spaApp).get('/');
      expect(res.status).toBe(200);
      expectCommonHeaders(res, 'built SPA');
      const raw = res.headers.get('content-security-policy') ?? '';
      expect(directives(raw).get('script-src')).toBe("'self'");
      expect(raw).not.toMatch(/unsafe-inline|unsafe-eval/);
      // script-src 'self' blocks inline scripts, inline styles and handler attributes: the
      // document must not rely on any of them or the app would not start in a browser.
      const scripts = res.text.match(/<script\b[^>]*>/gi) ?? [];
      for (const tag of scripts) expect(tag, 'inline <script>').toMatch(/\ssrc=/i);
      expect(res.text).not.toMatch(/<style\b/i);
      expect(res.text).not.toMatch(/\sstyle=/i);
      expect(res.text).not.toMatch(/\son[a-z]+=/i);
      expect(res.text).not.toMatch(/src=["']?(https?:)?\/\//i);
    });
  },
);

describe('GET /healthz', () => {
  it('→ 200', async () => {
    const res = await new TestClient(testApp).get<{ status: string }>('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });
});
