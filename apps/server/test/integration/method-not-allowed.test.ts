import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  expectErrorEnvelope,
  rawRequest,
  startTestApp,
  TestClient,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * RFC 9110 §15.5.6: a method a known resource does not support is 405 with `Allow`, in the API's
 * envelope with the API's headers; a path the router does not know stays 404 whatever the method.
 */

let testApp: TestApp;
let member: TestUser;
let webDistDir: string;

beforeAll(async () => {
  webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-405-'));
  mkdirSync(path.join(webDistDir, 'assets'));
  writeFileSync(path.join(webDistDir, 'index.html'), '<!doctype html><title>spa</title>');
  writeFileSync(path.join(webDistDir, 'assets', 'app-1a2b3c.js'), 'console.log(1);');
  testApp = await startTestApp({}, { webDistDir });
  member = await createUser(testApp);
});

afterAll(async () => {
  await testApp.close();
  rmSync(webDistDir, { recursive: true, force: true });
});

const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

describe('405 on known paths', () => {
  const cases: [method: string, urlPath: string, allow: string][] = [
    ['DELETE', '/api/csrf', 'GET, HEAD'],
    ['PUT', '/api/notes', 'GET, HEAD, POST'],
    ['PUT', '/api/notes/00000000-0000-4000-8000-000000000000', 'DELETE, GET, HEAD, PATCH'],
    ['GET', '/api/login', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    // Documents too: the SPA's entry and its built files are known paths.
    ['POST', '/', 'GET, HEAD'],
    ['DELETE', '/assets/app-1a2b3c.js', 'GET, HEAD'],
    // The router decodes before matching (ADR 010): this spelling is the same known path.
    ['DELETE', '/%61pi/csrf', 'GET, HEAD'],
  ];
  for (const [method, urlPath, allow] of cases) {
    it(`${method} ${urlPath} → 405, Allow: ${allow}, API envelope and headers`, async () => {
      const res = await member.client.request(method, urlPath, { csrf: true });
      expectErrorEnvelope(res, 405, 'method_not_allowed');
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('content-security-policy')).toBe(apiCsp);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-request-id')).toBe(
        (res.body as { error: { requestId: string } }).error.requestId,
      );
    });
  }

  it('HEAD on a POST-only path → 405 with Allow and no body', async () => {
    const res = await rawRequest(testApp, 'HEAD', '/api/login');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.text).toBe('');
  });

  it('CSRF still comes first: an unsafe method without a token is refused as a forgery', async () => {
    const res = await member.client.request('DELETE', '/api/csrf', { csrf: false });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });
});

describe('unknown paths stay 404', () => {
  for (const [method, urlPath] of [
    ['GET', '/api/nothing-here'],
    ['PUT', '/api/nothing-here'],
    ['DELETE', '/api/notes/a/b/c'],
    ['POST', '/assets/missing.js'],
  ] as const) {
    it(`${method} ${urlPath} → 404`, async () => {
      const res = await new TestClient(testApp).request(method, urlPath, {
        csrf: method !== 'GET',
      });
      expectErrorEnvelope(res, 404, 'not_found');
      expect(res.headers.get('allow')).toBeNull();
    });
  }
});
