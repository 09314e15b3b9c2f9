import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestClient, type TestApp, type TestResponse } from '../support/test-app.js';

/**
 * CORS with credentials is granted to the listed origins only, by exact match, never `*` and never
 * by reflecting whatever Origin arrived (OWASP HTML5 Security Cheat Sheet, ASVS 14.5.3).
 */

const ALLOWED = 'https://app.example';

let corsApp: TestApp;
let defaultApp: TestApp;

beforeAll(async () => {
  corsApp = await startTestApp({ CORS_ORIGINS: ALLOWED });
  defaultApp = await startTestApp();
});

afterAll(async () => {
  await corsApp.close();
  await defaultApp.close();
});

function expectNoWildcard(res: TestResponse<unknown>): void {
  for (const [name, value] of res.headers) {
    if (name.startsWith('access-control-')) expect(value, name).not.toBe('*');
  }
}

function preflight(testApp: TestApp, origin: string) {
  return new TestClient(testApp).request('OPTIONS', '/api/notes', {
    origin,
    csrf: false,
    headers: {
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-csrf-token',
    },
  });
}

describe('with CORS_ORIGINS=https://app.example', () => {
  it('the allowed origin gets its exact ACAO, credentials true and Vary: Origin', async () => {
    const res = await new TestClient(corsApp).get('/api/csrf', { origin: ALLOWED });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect((res.headers.get('vary') ?? '').toLowerCase()).toContain('origin');
    expectNoWildcard(res);
  });

  it('the allowed origin also gets ACAO on an error response', async () => {
    const res = await new TestClient(corsApp).get('/api/profile', { origin: ALLOWED });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  for (const origin of [
    'https://evil.example',
    'null',
    'https://app.example.evil.example',
    'http://app.example',
    'https://APP.example.',
  ]) {
    it(`Origin ${origin} gets no ACAO header`, async () => {
      const res = await new TestClient(corsApp).get('/api/csrf', { origin });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    });
  }

  it('a preflight from the allowed origin → 204 with allow-methods and allow-headers', async () => {
    const res = await preflight(corsApp, ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const methods = (res.headers.get('access-control-allow-methods') ?? '').toUpperCase();
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) expect(methods).toContain(method);
    const headers = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    expect(headers).toContain('content-type');
    expect(headers).toContain('x-csrf-token');
    expectNoWildcard(res);
  });

  it('a preflight from a foreign origin gets no CORS grant', async () => {
    const res = await preflight(corsApp, 'https://evil.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    expect(res.status).not.toBe(204);
  });

  it('the allowed origin passes the CSRF Origin check for unsafe requests', async () => {
    const client = new TestClient(corsApp);
    const res = await client.post('/api/logout', {}, { origin: ALLOWED });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });
});

describe('without CORS_ORIGINS', () => {
  it('no origin, not even our own or a lookalike, gets CORS headers', async () => {
    for (const origin of [ALLOWED, 'https://evil.example', 'null']) {
      const res = await new TestClient(defaultApp).get('/api/csrf', { origin });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), origin).toBeNull();
    }
  });

  it('a preflight gets no CORS grant', async () => {
    const res = await preflight(defaultApp, ALLOWED);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });
});
