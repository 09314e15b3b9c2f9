import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../src/lib/metrics.js';
import {
  expectErrorEnvelope,
  rawRequest,
  startTestApp,
  type TestApp,
} from '../support/test-app.js';

/**
 * POST /api/security/csp-reports: what browsers send when the CSP blocks something. Sent with
 * node:http exactly as a browser would: no cookie, no CSRF token, the report content types. The
 * app runs in this process, so the counter is read directly.
 */

const PATH = '/api/security/csp-reports';
let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp.close();
});

function post(contentType: string, body: string, headers: Record<string, string> = {}) {
  return rawRequest(testApp, 'POST', PATH, { 'content-type': contentType, ...headers }, body);
}

const reportingApiBatch = [
  {
    type: 'csp-violation',
    age: 10,
    url: 'https://localhost:8443/reset-password?token=SECRET-RESET-TOKEN#frag',
    user_agent: 'Chrome',
    body: {
      documentURL: 'https://localhost:8443/reset-password?token=SECRET-RESET-TOKEN#frag',
      blockedURL: 'inline',
      effectiveDirective: 'script-src-elem',
      originalPolicy: "default-src 'self'",
      disposition: 'enforce',
      sourceFile: 'https://localhost:8443/assets/index-abc.js?v=1',
      sample: 'alert(1)\u001b[2J\nforged log line',
      statusCode: 200,
      lineNumber: 3,
      columnNumber: 14,
    },
  },
  {
    // As Chromium sends it: what it does not know is null, not absent.
    type: 'csp-violation',
    age: 2,
    url: 'https://localhost:8443/notes',
    user_agent: 'Chrome',
    body: {
      blockedURL: 'trusted-types-sink',
      columnNumber: null,
      disposition: 'enforce',
      documentURL: 'https://localhost:8443/notes',
      effectiveDirective: 'require-trusted-types-for',
      lineNumber: null,
      originalPolicy: "default-src 'self'",
      referrer: null,
      sample: 'Element innerHTML|<img src=x onerror=alert(1)>',
      sourceFile: null,
      statusCode: 200,
    },
  },
  // Another report type sent to the same endpoint is accepted but not counted as a violation.
  { type: 'deprecation', url: 'https://localhost:8443/', body: {} },
];

const legacyReport = {
  'csp-report': {
    'document-uri': 'https://localhost:8443/verify-email?token=SECRET-VERIFY-TOKEN',
    referrer: '',
    'violated-directive': "style-src-elem 'self'",
    'effective-directive': 'style-src-elem',
    'original-policy': "default-src 'self'",
    disposition: 'enforce',
    'blocked-uri': 'https://evil.example/x.css?session=abc',
    'status-code': 200,
  },
};

function violationLines(): Record<string, unknown>[] {
  return testApp
    .logs()
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.event === 'csp_violation');
}

describe('accepting reports', () => {
  it('application/reports+json: 204, each csp-violation logged as a security event and counted', async () => {
    const before = metrics.cspReports.value;
    const linesBefore = violationLines().length;
    const res = await post('application/reports+json', JSON.stringify(reportingApiBatch));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(metrics.cspReports.value - before).toBe(2);
    await testApp.waitForLogs(() => violationLines().length === linesBefore + 2);
    const [first, second] = violationLines().slice(linesBefore);
    expect(first).toMatchObject({
      level: 40,
      msg: 'csp violation reported',
      violation: {
        // Query and fragment dropped: the reset token never reaches the log.
        documentUrl: 'https://localhost:8443/reset-password',
        blockedUrl: 'inline',
        directive: 'script-src-elem',
        disposition: 'enforce',
        sourceFile: 'https://localhost:8443/assets/index-abc.js',
        line: 3,
        column: 14,
        // Control characters replaced, capped at 40 characters.
        sample: 'alert(1)?[2J?forged log line',
      },
    });
    expect(second).toMatchObject({
      violation: { blockedUrl: 'trusted-types-sink', directive: 'require-trusted-types-for' },
    });
    expect((second?.violation as { sample: string }).sample).toBe(
      'Element innerHTML|<img src=x onerror=ale…',
    );
    expect(testApp.logText()).not.toContain('SECRET-RESET-TOKEN');
  });

  it('application/csp-report (report-uri): 204, logged and counted once', async () => {
    const before = metrics.cspReports.value;
    const linesBefore = violationLines().length;
    const res = await post('application/csp-report', JSON.stringify(legacyReport));
    expect(res.status).toBe(204);
    expect(metrics.cspReports.value - before).toBe(1);
    await testApp.waitForLogs(() => violationLines().length === linesBefore + 1);
    expect(violationLines().at(-1)).toMatchObject({
      violation: {
        documentUrl: 'https://localhost:8443/verify-email',
        blockedUrl: 'https://evil.example/x.css',
        directive: 'style-src-elem',
      },
    });
    expect(testApp.logText()).not.toContain('SECRET-VERIFY-TOKEN');
    expect(testApp.logText()).not.toContain('session=abc');
  });

  it('needs no CSRF token and no cookie, even with a foreign Origin (browsers send neither)', async () => {
    const res = await post('application/csp-report', JSON.stringify(legacyReport), {
      origin: 'https://elsewhere.example',
    });
    expect(res.status).toBe(204);
  });
});

describe('refusing what is not a report', () => {
  it('a body over 16 KiB → 413', async () => {
    const huge = JSON.stringify([
      { type: 'csp-violation', body: { sample: 'x'.repeat(4000) } },
      ...Array.from({ length: 4 }, () => ({ type: 'x', url: 'y'.repeat(4000) })),
    ]);
    expect(huge.length).toBeGreaterThan(16 * 1024);
    expectErrorEnvelope(await post('application/reports+json', huge), 413, 'payload_too_large');
  });

  it('application/json and text/plain → 415 (only the two report types are parsed here)', async () => {
    const body = JSON.stringify(legacyReport);
    expectErrorEnvelope(await post('application/json', body), 415, 'unsupported_media_type');
    expectErrorEnvelope(await post('text/plain', body), 415, 'unsupported_media_type');
  });

  it('a body of neither shape → 400, nothing counted', async () => {
    const before = metrics.cspReports.value;
    expectErrorEnvelope(
      await post('application/csp-report', JSON.stringify({ hello: 'world' })),
      400,
      'validation_failed',
    );
    expectErrorEnvelope(await post('application/reports+json', '{'), 400, 'validation_failed');
    expect(metrics.cspReports.value).toBe(before);
  });

  it('GET → 405 with Allow: POST', async () => {
    const res = await rawRequest(testApp, 'GET', PATH);
    expectErrorEnvelope(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('rate limit', () => {
  it('60 reports a minute per client; the 61st → 429 with Retry-After, not logged', async () => {
    // A fresh app, so the requests above do not count.
    const limited = await startTestApp();
    try {
      const body = JSON.stringify(legacyReport);
      const send = () =>
        rawRequest(limited, 'POST', PATH, { 'content-type': 'application/csp-report' }, body);
      const statuses: number[] = [];
      for (let i = 0; i < 60; i += 1) statuses.push((await send()).status);
      expect(new Set(statuses)).toEqual(new Set([204]));
      const before = metrics.cspReports.value;
      const refused = await send();
      expectErrorEnvelope(refused, 429, 'rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(metrics.cspReports.value).toBe(before);
    } finally {
      await limited.close();
    }
  });
});
