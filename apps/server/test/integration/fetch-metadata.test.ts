import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  expectErrorEnvelope,
  rawRequest,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The resource isolation policy (plugins/fetch-metadata.ts), sent over real HTTP with every
 * combination of Sec-Fetch-Site and Sec-Fetch-Mode a browser can produce. Sent with node:http,
 * byte for byte: `fetch` sets `Sec-Fetch-Mode: cors` itself and would overwrite the mode tested. A refusal is asserted
 * exactly (403 `cross_site_request`), and each refused request is first shown to succeed when it
 * claims to be same-origin, so a pass cannot come from the route failing for another reason.
 */

const PARTNER = 'https://partner.example';
const EVIL = 'https://evil.example';

let testApp: TestApp;
let member: TestUser;
let webDistDir: string;

beforeAll(async () => {
  webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-fm-'));
  writeFileSync(path.join(webDistDir, 'index.html'), '<!doctype html><title>spa</title>');
  testApp = await startTestApp({ CORS_ORIGINS: PARTNER }, { webDistDir });
  member = await createUser(testApp);
});

afterAll(async () => {
  await testApp.close();
  rmSync(webDistDir, { recursive: true, force: true });
});

function fetchMetadata(site: string, mode: string, dest = 'empty'): Record<string, string> {
  return { 'sec-fetch-site': site, 'sec-fetch-mode': mode, 'sec-fetch-dest': dest };
}

/** The member's browser: its cookies, its CSRF token when asked, and the given headers. */
async function send(
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  options: { origin?: string; body?: unknown; csrf?: boolean; anonymous?: boolean } = {},
) {
  const all: Record<string, string> = { ...headers };
  if (options.anonymous !== true) all.cookie = member.client.cookieHeader();
  if (options.origin !== undefined) all.origin = options.origin;
  if (options.csrf === true)
    all['x-csrf-token'] = member.client.csrfToken ?? (await member.client.csrf());
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    all['content-type'] = 'application/json';
  }
  return rawRequest(testApp, method, urlPath, all, body);
}

describe('GET on an API route (the signed-in profile)', () => {
  const allowed: [label: string, headers: Record<string, string>][] = [
    ['no Fetch Metadata (curl, a server, an old browser)', {}],
    ['same-origin fetch', fetchMetadata('same-origin', 'cors')],
    ['same-origin navigation', fetchMetadata('same-origin', 'navigate', 'document')],
    ['same-site fetch', fetchMetadata('same-site', 'cors')],
    ['same-site no-cors', fetchMetadata('same-site', 'no-cors', 'image')],
    ['typed in the address bar (none, navigate)', fetchMetadata('none', 'navigate', 'document')],
  ];
  for (const [label, headers] of allowed) {
    it(`allowed: ${label} → 200`, async () => {
      const res = await send('GET', '/api/profile', headers);
      expect(res.status).toBe(200);
    });
  }

  const refused: [label: string, headers: Record<string, string>, origin?: string][] = [
    ['cross-site <img>/<script> (no-cors)', fetchMetadata('cross-site', 'no-cors', 'script')],
    ['cross-site top-level navigation', fetchMetadata('cross-site', 'navigate', 'document')],
    ['cross-site <iframe> navigation', fetchMetadata('cross-site', 'navigate', 'iframe')],
    [
      'cross-site fetch from an origin CORS does not allow',
      fetchMetadata('cross-site', 'cors'),
      EVIL,
    ],
    ['cross-site fetch without an Origin header', fetchMetadata('cross-site', 'cors')],
    [
      'cross-site no-cors from the CORS-allowed origin (CORS covers cors mode only)',
      fetchMetadata('cross-site', 'no-cors', 'image'),
      PARTNER,
    ],
    [
      'cross-site navigation from the CORS-allowed origin',
      fetchMetadata('cross-site', 'navigate', 'document'),
      PARTNER,
    ],
    ['cross-site websocket', fetchMetadata('cross-site', 'websocket', 'websocket')],
    [
      'an unknown Sec-Fetch-Site value is treated as cross-site',
      fetchMetadata('elsewhere', 'no-cors'),
    ],
  ];
  for (const [label, headers, origin] of refused) {
    it(`refused: ${label} → 403 cross_site_request`, async () => {
      const res = await send(
        'GET',
        '/api/profile',
        headers,
        origin !== undefined ? { origin } : {},
      );
      expectErrorEnvelope(res, 403, 'cross_site_request');
      // Refused before the handler: the answer carries no profile data, only the API headers.
      expect(res.text).not.toContain(member.email);
      expect(res.headers.get('cache-control')).toBe('no-store');
    });
  }

  it('allowed: a cross-site CORS fetch from the allowed origin → 200 with the CORS grant', async () => {
    const res = await send('GET', '/api/profile', fetchMetadata('cross-site', 'cors'), {
      origin: PARTNER,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(PARTNER);
  });
});

describe('unsafe methods', () => {
  it('a cross-site form post (no-cors) to the API is refused before CSRF is even checked', async () => {
    const res = await send(
      'POST',
      '/api/notes',
      fetchMetadata('cross-site', 'navigate', 'document'),
      {
        origin: EVIL,
        body: { title: 'forged', body: 'b' },
      },
    );
    expectErrorEnvelope(res, 403, 'cross_site_request');
  });

  it('the same post from our own page is created (201)', async () => {
    const res = await send('POST', '/api/notes', fetchMetadata('same-origin', 'cors'), {
      origin: testApp.config.publicOrigin,
      csrf: true,
      body: { title: 'mine', body: 'b' },
    });
    expect(res.status).toBe(201);
  });

  it('a cross-site CORS post from the allowed origin reaches CSRF (which then wants its token)', async () => {
    const res = await send('POST', '/api/notes', fetchMetadata('cross-site', 'cors'), {
      origin: PARTNER,
      body: { title: 'partner', body: 'b' },
    });
    expectErrorEnvelope(res, 403, 'csrf_failed');
  });
});

describe('documents and unmatched paths are not API resources', () => {
  it('a link from another site to the app (GET /) opens it', async () => {
    const res = await send(
      'GET',
      '/',
      { ...fetchMetadata('cross-site', 'navigate', 'document'), accept: 'text/html' },
      { anonymous: true },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('a link from another site to a client-side route opens the app', async () => {
    const res = await send(
      'GET',
      '/notes',
      { ...fetchMetadata('cross-site', 'navigate', 'document'), accept: 'text/html' },
      { anonymous: true },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('a cross-site probe of an unknown API path is the same 404 every site gets', async () => {
    const res = await send(
      'GET',
      '/api/nothing-here',
      fetchMetadata('cross-site', 'no-cors', 'script'),
      {
        anonymous: true,
      },
    );
    expectErrorEnvelope(res, 404, 'not_found');
  });
});
