import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TestClient, type TestApp } from '../support/test-app.js';

/**
 * Which unknown paths get the SPA's index.html and which a JSON 404. Only a browser navigating to
 * a page gets the document: a fetch() or a script asking for a missing path gets JSON, so a typo
 * in an API call is never answered with HTML (and its permissive caching). Tested over HTTP with a
 * small stand-in for the built SPA.
 */

let testApp: TestApp;
let noSpaApp: TestApp;
let webDistDir: string;
const indexHtml = '<!doctype html><html><body><div id="root">spa-index</div></body></html>';

beforeAll(async () => {
  webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-spa-'));
  mkdirSync(path.join(webDistDir, 'assets'));
  writeFileSync(path.join(webDistDir, 'index.html'), indexHtml);
  writeFileSync(path.join(webDistDir, 'assets', 'app.js'), 'console.log("app");');
  testApp = await startTestApp({}, { webDistDir });
  noSpaApp = await startTestApp({}, { webDistDir: path.join(webDistDir, 'missing') });
});

afterAll(async () => {
  await testApp.close();
  await noSpaApp.close();
  rmSync(webDistDir, { recursive: true, force: true });
});

/** 'spa', 'json 404', or the status and type of anything else. */
async function outcome(
  app: TestApp,
  urlPath: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<string> {
  const res = await new TestClient(app).request(method, urlPath, { headers });
  const type = res.headers.get('content-type') ?? '';
  if (res.status === 200 && type.startsWith('text/html')) {
    if (method === 'GET') expect(res.text).toBe(indexHtml);
    return 'spa';
  }
  if (res.status === 404 && type.startsWith('application/json')) return 'json 404';
  return `${res.status} ${type}`;
}

const navigate = { 'sec-fetch-dest': 'document', accept: 'text/html,application/xhtml+xml' };

describe('the SPA fallback for unknown paths', () => {
  it('a navigation (Sec-Fetch-Dest: document) to a client-side route gets index.html', async () => {
    expect(await outcome(testApp, '/notes/123', navigate)).toBe('spa');
    expect(await outcome(testApp, '/settings', { 'sec-fetch-dest': 'document' })).toBe('spa');
  });

  it('HEAD is a navigation too; other methods never get the document', async () => {
    expect(await outcome(testApp, '/notes/123', navigate, 'HEAD')).toBe('spa');
    // An unsafe method is refused by CSRF before any fallback; OPTIONS falls through to a 404.
    expect(await outcome(testApp, '/notes/123', navigate, 'OPTIONS')).toBe('json 404');
  });

  it('an older browser without Sec-Fetch-Dest is recognised by Accept: text/html', async () => {
    expect(await outcome(testApp, '/notes/123', { accept: 'text/html' })).toBe('spa');
    expect(await outcome(testApp, '/notes/123', { accept: 'application/json' })).toBe('json 404');
    expect(await outcome(testApp, '/notes/123', { accept: '*/*' })).toBe('json 404');
  });

  it('Sec-Fetch-Dest other than document means fetch() or a subresource: JSON, whatever Accept says', async () => {
    for (const destination of ['empty', 'script', 'image', 'iframe', 'style']) {
      expect(
        await outcome(testApp, '/notes/123', {
          'sec-fetch-dest': destination,
          accept: 'text/html',
        }),
        destination,
      ).toBe('json 404');
    }
  });

  it('a path with a file extension is a missing file, not a route; a dot in the query does not count', async () => {
    expect(await outcome(testApp, '/assets/missing.js', navigate)).toBe('json 404');
    expect(await outcome(testApp, '/notes/report.pdf', navigate)).toBe('json 404');
    expect(await outcome(testApp, '/notes?file=report.pdf', navigate)).toBe('spa');
  });

  it('without a built SPA every unknown path is a JSON 404, navigation or not', async () => {
    expect(await outcome(noSpaApp, '/notes/123', navigate)).toBe('json 404');
    expect(await outcome(noSpaApp, '/', navigate)).toBe('json 404');
  });
});
