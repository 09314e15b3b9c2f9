import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectErrorEnvelope,
  rawRequest,
  startTestApp,
  TestClient,
  type TestApp,
  type TestResponse,
} from '../support/test-app.js';

/**
 * The interactive API reference at /api/reference/ (@scalar/fastify-api-reference): on in
 * development and test, absent in production unless API_REFERENCE=on. Its CSP is the one policy
 * that allows more than our own files do, so it is compared whole on its routes, and the policies
 * of every other route are shown unchanged beside it.
 */

const PAGE = '/api/reference/';
const SCRIPT = '/api/reference/js/scalar.js';

/*
 * Written out, not imported from plugins/security-headers.ts: a test comparing the plugin's
 * constants with themselves passes whatever they say. The hash is the page's one inline script
 * (checked against the served page below); the rest is the document policy without Trusted Types,
 * with inline styles.
 */
const referenceCsp =
  "default-src 'self'; script-src 'self' 'sha256-+efYHOabpiuw7YBtXPQ+zy+GvjvJRzvR10d2kAYrFK0='; " +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; " +
  'upgrade-insecure-requests; report-uri /api/security/csp-reports; report-to csp-endpoint';

const documentCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
  "form-action 'self'; require-trusted-types-for 'script'; trusted-types 'none'; " +
  'upgrade-insecure-requests; report-uri /api/security/csp-reports; report-to csp-endpoint';

const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Every URL the page names in a `src` or `href` attribute, resolved against the page's URL. */
function referencedUrls(html: string, pageUrl: string): URL[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map(
    (match) => new URL(match[1] ?? '', pageUrl),
  );
}

/** The CSP source expression that allows each inline (src-less) script of the page. */
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash('sha256')
        .update(match[1] ?? '')
        .digest('base64')}'`,
  );
}

function directive(csp: string | null, name: string): string | undefined {
  return (csp ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name} `));
}

describe('API_REFERENCE on (the default outside production)', () => {
  let testApp: TestApp;
  let client: TestClient;
  let webDistDir: string;

  beforeAll(async () => {
    // A stand-in for the built SPA, so the document policy is shown beside the reference's.
    webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-web-'));
    mkdirSync(path.join(webDistDir, 'assets'));
    writeFileSync(path.join(webDistDir, 'index.html'), '<!doctype html><div id="root"></div>');
    testApp = await startTestApp({}, { webDistDir });
    client = new TestClient(testApp);
  });

  afterAll(async () => {
    await testApp.close();
    rmSync(webDistDir, { recursive: true, force: true });
  });

  it('the page is HTML under the reference CSP, compared whole', async () => {
    expect(testApp.config.apiReference).toBe(true);
    const res = await client.get(PAGE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(referenceCsp);
    // The rest of the document headers stand: no framing, isolation, reports to our endpoint.
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(res.headers.get('reporting-endpoints')).toBe('csp-endpoint="/api/security/csp-reports"');
    expect(res.text).toContain('<div id="app"></div>');
  });

  it('the CSP allows exactly the page’s inline script by its hash, and no inline script else', async () => {
    const res = await client.get(PAGE);
    const hashes = inlineScriptHashes(res.text);
    expect(hashes).toHaveLength(1);
    // Fails after a Scalar upgrade or a settings change: the new hash goes in security-headers.ts.
    expect(directive(res.headers.get('content-security-policy'), 'script-src')).toBe(
      `script-src 'self' ${hashes.join(' ')}`,
    );
  });

  it('everything the page loads is on this server, and answers 200', async () => {
    const res = await client.get(PAGE);
    const pageUrl = `${testApp.url}${PAGE}`;
    const urls = referencedUrls(res.text, pageUrl);
    // The settings name the document by path: the reference fetches it from here too.
    const documentUrl = /"url": "([^"]+)"/.exec(res.text)?.[1];
    expect(documentUrl).toBe('/api/openapi.json');
    urls.push(new URL(documentUrl ?? '', pageUrl));
    expect(urls.map((url) => url.pathname)).toEqual([SCRIPT, '/api/openapi.json']);
    for (const url of urls) {
      expect(url.origin, url.href).toBe(testApp.url);
      const asset = await client.get(`${url.pathname}${url.search}`);
      expect(asset.status, url.href).toBe(200);
    }
  });

  it('the script is served as JavaScript with the same CSP', async () => {
    const res = await client.get(SCRIPT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(referenceCsp);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('the bare path redirects to the page (its script URL is relative to the slash form)', async () => {
    const res = await client.get('/api/reference');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe(PAGE);
  });

  it('a Host header that names no host is a 400 in the envelope, not a 500', async () => {
    for (const path of ['/api/reference', PAGE]) {
      const res = await rawRequest(testApp, 'GET', path, { host: '[' });
      expect(res.status).toBe(400);
      expectErrorEnvelope(res, 400, 'bad_request');
    }
  });

  it('is neither in the OpenAPI document nor among the routes it must name', async () => {
    const doc = (await client.get<{ paths: Record<string, unknown> }>('/api/openapi.json')).body;
    expect(Object.keys(doc.paths).filter((url) => url.startsWith('/api/reference'))).toEqual([]);
    expect(testApp.app.apiRoutes.filter((route) => route.url.startsWith('/api/reference'))).toEqual(
      [],
    );
  });

  it('every other route keeps its strict CSP', async () => {
    const cases: [string, TestResponse<unknown>, string][] = [
      ['GET /api/csrf', await client.get('/api/csrf'), apiCsp],
      ['GET /api/openapi.json', await client.get('/api/openapi.json'), apiCsp],
      ['GET /', await client.get('/'), documentCsp],
      ['unknown path under the page', await client.get('/api/reference/other.js'), apiCsp],
    ];
    expect(cases.map(([label, res]) => `${label} ${res.status}`)).toEqual([
      'GET /api/csrf 200',
      'GET /api/openapi.json 200',
      'GET / 200',
      'unknown path under the page 404',
    ]);
    for (const [label, res, csp] of cases) {
      expect(res.headers.get('content-security-policy'), label).toBe(csp);
    }
  });

  it('only reads: other methods on the page are 405 with the API headers', async () => {
    const res = await client.post(PAGE, {});
    expectErrorEnvelope(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.headers.get('content-security-policy')).toBe(apiCsp);
  });
});

describe('API_REFERENCE off (the default in production)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ NODE_ENV: 'production' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it.each(['/api/reference', PAGE, SCRIPT])(
    '%s does not exist: 404 exactly like an unknown API path',
    async (url) => {
      expect(testApp.config.apiReference).toBe(false);
      const client = new TestClient(testApp);
      const res = await client.get(url);
      expectErrorEnvelope(res, 404, 'not_found');
      const unknown = await client.get('/api/no-such-route');
      expectErrorEnvelope(unknown, 404, 'not_found');
      const comparable = (reply: TestResponse<unknown>) => {
        const headers = Object.fromEntries(reply.headers);
        delete headers['x-request-id'];
        delete headers.date;
        const body = structuredClone(reply.body) as { error: Record<string, unknown> };
        delete body.error.requestId;
        return { status: reply.status, headers, body };
      };
      expect(comparable(res)).toEqual(comparable(unknown));
    },
  );
});
