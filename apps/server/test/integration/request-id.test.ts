import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startTestApp, type TestApp, type TestResponse } from '../support/test-app.js';

/**
 * Every response names its request id, the one in the server's log line and in an error body.
 * Ids are random UUIDs: a counter (or a per-process prefix and a counter, as before) tells anyone
 * how busy the server is and lets them guess the ids of other people's requests.
 */

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let testApp: TestApp;
let webDistDir: string;

beforeAll(async () => {
  webDistDir = mkdtempSync(path.join(tmpdir(), 'portcullis-reqid-'));
  writeFileSync(path.join(webDistDir, 'index.html'), '<!doctype html><title>spa</title>');
  testApp = await startTestApp({}, { webDistDir });
});

afterAll(async () => {
  await testApp.close();
  rmSync(webDistDir, { recursive: true, force: true });
});

const navigation = { 'sec-fetch-dest': 'document', accept: 'text/html' };

const kinds: [label: string, send: () => Promise<TestResponse<unknown>>, status: number][] = [
  ['API answer (GET /api/csrf)', () => rawRequest(testApp, 'GET', '/api/csrf'), 200],
  ['document (GET /)', () => rawRequest(testApp, 'GET', '/', navigation), 200],
  ['SPA fallback (GET /notes)', () => rawRequest(testApp, 'GET', '/notes', navigation), 200],
  ['API 404', () => rawRequest(testApp, 'GET', '/api/nothing-here'), 404],
  ['error (401)', () => rawRequest(testApp, 'GET', '/api/profile'), 401],
  [
    'error (400, malformed JSON)',
    () =>
      rawRequest(
        testApp,
        'POST',
        '/api/security/csp-reports',
        { 'content-type': 'application/csp-report' },
        '{',
      ),
    400,
  ],
  // Refused by the router itself before any hook runs (frameworkErrors).
  ['router error (malformed URL)', () => rawRequest(testApp, 'GET', '/api/notes/%E0%A4%A'), 404],
];

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i += 1;
  return i;
}

describe('X-Request-Id', () => {
  for (const [label, send, status] of kinds) {
    it(`${label}: two consecutive answers carry unrelated random UUIDs`, async () => {
      const first = await send();
      const second = await send();
      expect([first.status, second.status]).toEqual([status, status]);
      const ids = [first.headers.get('x-request-id'), second.headers.get('x-request-id')];
      for (const id of ids) expect(id).toMatch(uuidV4);
      const [a, b] = [ids[0] ?? '', ids[1] ?? ''];
      expect(a).not.toBe(b);
      // A counter shares everything but its last characters; random ids share a few at most.
      expect(commonPrefixLength(a, b)).toBeLessThan(8);
      // An error body names the same id as the header.
      const body = first.body as { error?: { requestId?: string } } | undefined;
      if (status >= 400) expect(body?.error?.requestId).toBe(a);
    });
  }

  it('a request id sent by the client is neither echoed nor used', async () => {
    const res = await rawRequest(testApp, 'GET', '/api/nothing-here', {
      'x-request-id': 'forged-id',
      'request-id': 'forged-id',
    });
    expect(res.headers.get('x-request-id')).toMatch(uuidV4);
    expect(res.text).not.toContain('forged-id');
  });
});
