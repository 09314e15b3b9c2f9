import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import type { NoteListResponse } from '@portcullis/contract/notes';
import { apiCsp, apiHeaders } from '../../src/plugins/security-headers.js';
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
 * Every defence is decided from the route the router matched, never from the raw URL. The router
 * decodes percent-escapes before matching, so `/%61pi/notes` runs the `/api/notes` handler: a
 * check on the spelling (`url.startsWith('/api/')`) once let it past CSRF, the rate limit and
 * `Cache-Control: no-store`. Each spelling below is sent byte for byte (fetch would normalise it).
 */

/** Spellings the router decodes to a real route: each must get exactly the route's defences. */
const matchingSpellings = [
  '/%61pi/notes',
  '/ap%69/notes',
  '/api/%6eotes',
  '/api/note%73',
  '/%61%70%69/%6e%6f%74%65%73',
  '/api/notes?',
  '/api/notes?limit=5',
  '/%61pi/notes?limit=%35',
];

/**
 * Spellings that match no route (find-my-way keeps case, slashes, dot segments, `;` and encoded
 * slashes as written): each is a 404 that still gets API headers, CSRF and the rate limit.
 */
const unmatchedSpellings = [
  '//api/notes',
  '/api//notes',
  '/./api/notes',
  '/x/../api/notes',
  '/api/./notes',
  '/api/notes/.',
  '/API/notes',
  '/Api/Notes',
  '/api/notes;jsessionid=1',
  '/api/notes;/',
  '/api/notes/',
  '/api%2Fnotes',
  '/%2Fapi/notes',
  '/api/notes%2F',
  '/%2561pi/notes',
  '/api/notes%00',
  '/api/notes%20',
  '/api/notes%3F',
  '/api/notes%23',
  '/api%2f%2e%2e%2fapi/notes',
  '/%EF%BC%A1pi/notes',
];

const allSpellings = [...matchingSpellings, ...unmatchedSpellings];

let testApp: TestApp;
let owner: TestUser;

beforeAll(async () => {
  testApp = await startTestApp();
  owner = await createUser(testApp, { label: 'spelling-owner' });
});

afterAll(async () => {
  await testApp.close();
});

async function ownNoteTitles(): Promise<string[]> {
  const res = await owner.client.get<NoteListResponse>('/api/notes?limit=100');
  expect(res.status).toBe(200);
  return res.body.notes.map((note) => note.title);
}

describe('CSRF holds whatever the spelling of the path', () => {
  it.each(allSpellings)(
    'POST %s with the session cookies, no token and no Origin → 403 csrf_failed, nothing created',
    async (spelling) => {
      const title = `forged ${spelling}`;
      const res = await rawRequest(
        testApp,
        'POST',
        spelling,
        { cookie: owner.client.cookieHeader(), 'content-type': 'application/json' },
        JSON.stringify({ title, body: 'planted by a cross-site form' }),
      );
      expectErrorEnvelope(res, 403, 'csrf_failed');
      expect(await ownNoteTitles()).not.toContain(title);
    },
  );

  it.each(matchingSpellings.filter((s) => !s.includes('?')))(
    'DELETE %s/:id without a token → 403 csrf_failed, the note survives',
    async (spelling) => {
      const created = await owner.client.post<{ id: string }>('/api/notes', {
        title: `kept ${spelling}`,
        body: 'must survive',
      });
      expect(created.status).toBe(201);
      const res = await rawRequest(testApp, 'DELETE', `${spelling}/${created.body.id}`, {
        cookie: owner.client.cookieHeader(),
      });
      expectErrorEnvelope(res, 403, 'csrf_failed');
      expect(await ownNoteTitles()).toContain(`kept ${spelling}`);
    },
  );

  it.each(['PUT', 'PATCH', 'PROPFIND', 'MKCOL'])(
    '%s to an unknown path without a token → 403 csrf_failed (every unsafe method is checked)',
    async (method) => {
      const res = await rawRequest(testApp, method, '/whatever', {
        cookie: owner.client.cookieHeader(),
      });
      expectErrorEnvelope(res, 403, 'csrf_failed');
    },
  );

  it('a spelled path with a valid token and Origin still works (the check is not a blocklist)', async () => {
    const token = await owner.client.csrf();
    const res = await rawRequest(
      testApp,
      'POST',
      '/%61pi/notes',
      {
        cookie: owner.client.cookieHeader(),
        origin: testApp.config.publicOrigin,
        [CSRF_HEADER]: token,
        'content-type': 'application/json',
      },
      JSON.stringify({ title: 'spelled but genuine', body: 'ok' }),
    );
    expect(res.status).toBe(201);
  });
});

describe('API headers (no-store, the API CSP) whatever the spelling', () => {
  it.each(allSpellings)('GET %s carries every API header exactly', async (spelling) => {
    const res = await rawRequest(testApp, 'GET', spelling, {
      cookie: owner.client.cookieHeader(),
    });
    expect([200, 404]).toContain(res.status);
    for (const [name, value] of Object.entries(apiHeaders)) {
      expect(res.headers.get(name), `${name} on ${spelling}`).toBe(value);
    }
    expect(res.headers.get('content-security-policy')).toBe(apiCsp);
  });

  it.each(matchingSpellings)(
    'GET %s reaches the private route and is never cacheable',
    async (spelling) => {
      const res = await rawRequest(testApp, 'GET', spelling, {
        cookie: owner.client.cookieHeader(),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
    },
  );
});

describe('the general rate limit counts every request, whatever its path', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await startTestApp({ RATE_LIMIT_MAX: '10', RATE_LIMIT_WINDOW_SECONDS: '60' });
  });

  afterAll(async () => {
    await limited.close();
  });

  it('spelled API paths, unknown paths, static files and the SPA fallback all count', async () => {
    const paths = [
      '/%61pi/csrf',
      '/api/%63srf',
      '//api/csrf',
      '/API/csrf',
      '/no-such-page',
      '/favicon.svg',
      '/assets/none.js',
      '/notes',
      '/%2561pi/csrf',
      '/api/csrf;x',
    ];
    for (const [index, spelling] of paths.entries()) {
      const res = await rawRequest(limited, 'GET', spelling, { 'sec-fetch-dest': 'document' });
      expect(res.status, `request ${index + 1}: ${spelling}`).not.toBe(429);
    }
    const eleventh = await rawRequest(limited, 'GET', '/%61pi/csrf');
    expectErrorEnvelope(eleventh, 429, 'rate_limited');
    expect(eleventh.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const plain = await new TestClient(limited).get('/api/csrf');
    expectErrorEnvelope(plain, 429, 'rate_limited');
  });
});

describe('CORS decides from the matched route', () => {
  let withCors: TestApp;
  const partner = 'https://partner.example';

  beforeAll(async () => {
    withCors = await startTestApp({ CORS_ORIGINS: partner });
  });

  afterAll(async () => {
    await withCors.close();
  });

  it.each(['/%61pi/notes', '/api/%6eotes'])(
    'a preflight to %s from a foreign origin is refused with no CORS headers',
    async (spelling) => {
      const res = await rawRequest(withCors, 'OPTIONS', spelling, {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
      });
      expectErrorEnvelope(res, 403, 'forbidden');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  it.each(['/%61pi/notes', '/api/%6eotes'])(
    'a preflight to %s from the allowed origin gets exactly that origin',
    async (spelling) => {
      const res = await rawRequest(withCors, 'OPTIONS', spelling, {
        origin: partner,
        'access-control-request-method': 'POST',
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(partner);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    },
  );
});
