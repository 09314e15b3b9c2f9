import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestClient, type TestApp, type TestResponse } from '../support/test-app.js';

/**
 * The CORS answers compared whole (OWASP HTML5 Security Cheat Sheet, ASVS 14.5.3): what a preflight
 * grants (methods, headers, how long the browser may cache the grant), that a refused preflight is
 * an explicit 403, and that documents never carry a grant. The integration suite covers the
 * exact-match and look-alike origins.
 */

const first = 'https://app.example';
const second = 'https://admin.example';
let testApp: TestApp;
let webDistDir: string;

beforeAll(async () => {
  webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-cors-'));
  writeFileSync(path.join(webDistDir, 'index.html'), '<!doctype html><title>spa</title>');
  testApp = await startTestApp({ CORS_ORIGINS: ` ${first} , ${second} ` }, { webDistDir });
});

afterAll(async () => {
  await testApp.close();
  rmSync(webDistDir, { recursive: true, force: true });
});

const corsHeaderNames = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
];

function corsHeaders(res: TestResponse<unknown>): Record<string, string | null> {
  return Object.fromEntries(corsHeaderNames.map((name) => [name, res.headers.get(name)]));
}

function preflight(origin: string | null, urlPath = '/api/notes') {
  return new TestClient(testApp).request('OPTIONS', urlPath, {
    origin,
    csrf: false,
    headers: {
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'content-type, x-csrf-token',
    },
  });
}

describe('preflights', () => {
  it('each allowed origin gets exactly this grant, with no body', async () => {
    for (const origin of [first, second]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(204);
      expect(res.text, origin).toBe('');
      expect(corsHeaders(res), origin).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
        'access-control-allow-headers': 'content-type, x-csrf-token',
        // Ten minutes: a removed origin loses its cached grant soon.
        'access-control-max-age': '600',
      });
    }
  });

  it('a foreign origin is refused with 403 forbidden and no grant', async () => {
    const res = await preflight('https://evil.example');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(Object.values(corsHeaders(res))).toEqual([null, null, null, null, null]);
  });

  it('an OPTIONS request without Origin is no preflight: 204 and no grant', async () => {
    const res = await preflight(null);
    expect(res.status).toBe(204);
    expect(Object.values(corsHeaders(res))).toEqual([null, null, null, null, null]);
  });
});

describe('simple requests', () => {
  it('an allowed origin gets ACAO and credentials, not the preflight headers', async () => {
    const res = await new TestClient(testApp).get('/api/csrf', { origin: second });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': second,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': null,
      'access-control-allow-headers': null,
      'access-control-max-age': null,
    });
  });

  it('a foreign origin is answered (the browser hides the answer), without a grant', async () => {
    const res = await new TestClient(testApp).get('/api/csrf', { origin: 'https://evil.example' });
    expect(res.status).toBe(200);
    expect(Object.values(corsHeaders(res))).toEqual([null, null, null, null, null]);
  });

  it('documents never carry a grant, even for an allowed origin', async () => {
    const res = await new TestClient(testApp).get('/', { origin: first });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Object.values(corsHeaders(res))).toEqual([null, null, null, null, null]);
  });
});
