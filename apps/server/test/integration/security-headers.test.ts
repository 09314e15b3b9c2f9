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

/*
 * The expected values are written out here, not imported from plugins/security-headers.ts: a test
 * that compares the plugin's constants with themselves passes whatever they say. Every header is
 * compared whole, so a weakened value (`base-uri 'self' https:`, a shorter HSTS, a dropped
 * `no-store`) fails, and so does a header that goes missing or one that should be absent.
 */
const hardening = {
  // Two years with subdomains: after one visit the browser never tries plain HTTP.
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Every powerful feature off, passkeys for our own origin only; no obsolete `interest-cohort`.
  'permissions-policy':
    'accelerometer=(), autoplay=(), browsing-topics=(), camera=(), compute-pressure=(), ' +
    'display-capture=(), encrypted-media=(), fullscreen=(), gamepad=(), geolocation=(), ' +
    'gyroscope=(), hid=(), identity-credentials-get=(), idle-detection=(), local-fonts=(), ' +
    'magnetometer=(), microphone=(), midi=(), otp-credentials=(), payment=(), ' +
    'picture-in-picture=(), screen-wake-lock=(), serial=(), storage-access=(), sync-xhr=(), ' +
    'usb=(), window-management=(), xr-spatial-tracking=(), ' +
    'publickey-credentials-create=(self), publickey-credentials-get=(self)',
  'cross-origin-opener-policy': 'same-origin',
  // With COOP: cross-origin isolated, nothing from another origin loads without opting in.
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
  // Fingerprinting headers and CORS grants (CORS_ORIGINS is empty here) are never sent.
  'x-powered-by': null,
  server: null,
  'access-control-allow-origin': null,
  'access-control-allow-credentials': null,
} as const;

/** API answers are never rendered, framed or cached. */
const apiHeaders = {
  ...hardening,
  'content-security-policy':
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cache-control': 'no-store',
  vary: 'Origin',
  // JSON is never rendered: no Trusted Types or reporting needed (see the plugin).
  'reporting-endpoints': null,
};

/**
 * The SPA loads its own files and nothing else: no inline script, no plugin, no <base>; string
 * assignments to DOM script sinks are refused (Trusted Types, with no policy allowed), and
 * violations are reported to our own endpoint.
 */
const documentCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
  "form-action 'self'; require-trusted-types-for 'script'; trusted-types 'none'; " +
  'upgrade-insecure-requests; report-uri /api/security/csp-reports; report-to csp-endpoint';

/**
 * Documents may be cached (they hold no private data), so `cache-control` is not compared here:
 * how long index.html and the hashed assets are kept is a deployment choice, not a defence.
 */
const documentHeaders = {
  ...hardening,
  'content-security-policy': documentCsp,
  'reporting-endpoints': 'csp-endpoint="/api/security/csp-reports"',
  vary: null,
};

/** Each header named in `expected`, as the response carries it (null when absent). */
function pick(res: TestResponse<unknown>, expected: object): Record<string, string | null> {
  return Object.fromEntries(Object.keys(expected).map((name) => [name, res.headers.get(name)]));
}

function expectExactly(res: TestResponse<unknown>, expected: object, label: string): void {
  expect(pick(res, expected), label).toEqual(expected);
}

/** A browser navigating to a page, as opposed to fetch() or a subresource. */
const navigation = { headers: { 'sec-fetch-dest': 'document', accept: 'text/html' } };

describe('security headers on API responses, compared whole', () => {
  it('on successful answers: GET /api/csrf, GET /api/profile, GET /healthz, a 201 and a 204', async () => {
    const anonymous = new TestClient(testApp);
    const cases: [string, TestResponse<unknown>][] = [
      ['GET /api/csrf', await anonymous.get('/api/csrf')],
      ['GET /api/profile', await member.client.get('/api/profile')],
      ['GET /healthz', await anonymous.get('/healthz')],
      ['POST /api/notes', await member.client.post('/api/notes', { title: 't', body: 'b' })],
      ['POST /api/logout', await anonymous.post('/api/logout', {})],
    ];
    expect(cases.map(([label, res]) => `${label} ${res.status}`)).toEqual([
      'GET /api/csrf 200',
      'GET /api/profile 200',
      'GET /healthz 200',
      'POST /api/notes 201',
      'POST /api/logout 204',
    ]);
    for (const [label, res] of cases) expectExactly(res, apiHeaders, label);
  });

  it('on error answers: 400, 401, 403, 404, 415', async () => {
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
      expectExactly(res, apiHeaders, `error ${status}`);
    }
  });
});

describe('security headers on the SPA, compared whole', () => {
  it('GET / (the document) has the strict document CSP', async () => {
    const res = await new TestClient(testApp).get('/', navigation);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expectExactly(res, documentHeaders, 'GET /');
  });

  it('a client-side route (the SPA fallback) carries the same headers as GET /', async () => {
    const res = await new TestClient(testApp).get('/notes/some-client-route', navigation);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expectExactly(res, documentHeaders, 'SPA fallback');
  });

  it('a static asset has the document headers', async () => {
    const res = await new TestClient(testApp).get('/assets/app.js');
    expect(res.status).toBe(200);
    expectExactly(res, documentHeaders, 'asset');
  });

  it('hashed assets are cached for a year; the document and its fallback are revalidated', async () => {
    const asset = await new TestClient(testApp).get('/assets/app.js');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/notes/some-client-route']) {
      const document = await new TestClient(testApp).get(path, navigation);
      expect(document.headers.get('cache-control'), path).toBe('no-cache');
    }
  });

  it('a missing static file is a JSON 404 with the API headers, not a directory listing', async () => {
    const res = await new TestClient(testApp).get('/assets/missing.js');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectExactly(res, apiHeaders, 'missing asset');
  });

  it("the document CSP read directive by directive: script-src 'self' with nothing unsafe, base-uri and object-src 'none'", async () => {
    const raw = (await new TestClient(testApp).get('/', navigation)).headers.get(
      'content-security-policy',
    );
    const csp = directives(raw);
    // A <base href> injected by markup would re-root every relative script URL: 'none' forbids it.
    expect(csp.get('base-uri')).toBe("'none'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('require-trusted-types-for')).toBe("'script'");
    expect(csp.get('trusted-types')).toBe("'none'");
    expect(csp.get('report-to')).toBe('csp-endpoint');
    expect(raw).not.toMatch(/unsafe-inline|unsafe-eval|(^|\s)\*(\s|;|$)/);
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
      const res = await new TestClient(spaApp).get('/', navigation);
      expect(res.status).toBe(200);
      expectExactly(res, documentHeaders, 'built SPA');
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
