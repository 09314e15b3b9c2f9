import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCertificate } from '../../src/lib/dev-certificate.js';
import { redirectTarget } from '../../src/lib/redirect-target.js';
import { runSelftest, type SelftestReport } from '../../src/selftest/run-selftest.js';
import type { SelftestOptions } from '../../src/selftest/selftest-types.js';
import { freePort, runCli, startInstance, type Instance } from '../support/live-processes.js';
import {
  startRedirectServer,
  startWeakenedProxy,
  type Weakening,
} from '../support/weakened-proxy.js';

/**
 * `portcullis selftest` against the bundled server as `npm start` runs it: every check passes
 * (with and without a throwaway account), and against deliberately weakened copies each weakness
 * is caught by exactly the check that names it. Behind the shipped nginx config:
 * multi-instance/selftest-nginx.test.ts.
 */

const contact = 'mailto:security@example.test';
const failedIds = (report: SelftestReport) =>
  report.results.filter((result) => result.status === 'fail').map((result) => result.id);

describe('portcullis selftest against a running Portcullis', () => {
  let instance: Instance;
  let origin: string;
  let httpPort: number;
  let certFile: string;
  const account = { email: 'selftest@example.test', password: 'throwaway-Horse-battery-41' };

  beforeAll(async () => {
    const port = await freePort();
    httpPort = await freePort();
    origin = `https://localhost:${port}`;
    instance = await startInstance({
      PORT: String(port),
      HTTP_PORT: String(httpPort),
      PUBLIC_ORIGIN: origin,
      SECURITY_CONTACT: contact,
    });
    certFile = path.join(instance.dataDir, 'dev-cert.pem');
    const created = await runCli(
      ['user', 'create', '--email', account.email, '--name', 'Selftest'],
      { DATA_DIR: instance.dataDir },
      `${account.password}\n`,
    );
    expect(created.code, created.output).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await instance.stop();
  });

  it('passes every check, one line each with its ASVS id, and exits 0', async () => {
    const run = await runCli(
      ['selftest', origin, '--http-port', String(httpPort), '--ca', certFile],
      {},
    );
    expect(run.code, run.output).toBe(0);
    const lines = run.output.trim().split('\n');
    const checks = lines.filter((line) => /^(PASS|FAIL|SKIP) {2}/.test(line));
    expect(checks.length).toBeGreaterThan(35);
    expect(checks.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    // Only what needs a public certificate or the opt-in account is skipped.
    expect(
      checks.filter((line) => line.startsWith('SKIP')).map((line) => line.split(/\s+/)[1]),
    ).toEqual(['tls-certificate-public', 'sign-in-throttle', 'sign-in-lockout']);
    expect(run.output).toContain('PASS  hsts  (ASVS 3.4.1)');
    expect(run.output).toContain('PASS  csrf-refusal  (ASVS 3.5.1)');
    expect(lines.at(-1)).toMatch(
      /^https:\/\/localhost:\d+: \d+ passed, 0 failed, 3 skipped of \d+ checks$/,
    );
  }, 60_000);

  it('with --account and --allow-lockout checks session cookies, forged tokens and the lock (--json)', async () => {
    const run = await runCli(
      [
        'selftest',
        origin,
        '--http-port',
        String(httpPort),
        '--ca',
        certFile,
        '--account',
        `${account.email}:${account.password}`,
        '--allow-lockout',
        '--json',
      ],
      {},
    );
    expect(run.code, run.output).toBe(0);
    const report = JSON.parse(run.output) as SelftestReport;
    expect(report.summary.fail).toBe(0);
    const byId = new Map(report.results.map((result) => [result.id, result]));
    expect(byId.get('jwt-alg-none')?.detail).toContain('the genuine token answered 200');
    expect(byId.get('jwt-wrong-key')?.status).toBe('pass');
    expect(byId.get('cookie-httponly')?.detail).toContain('__Host-portcullis-access');
    expect(byId.get('cookie-host-prefix')?.detail).toContain('__Secure-portcullis-refresh');
    expect(byId.get('sign-in-throttle')?.detail).toMatch(
      /^429 after \d+ wrong passwords, Retry-After \d+$/,
    );
    expect(byId.get('sign-in-lockout')?.detail).toContain('too_many_attempts');
  }, 90_000);

  it('refuses a plain-HTTP URL and a lockout without an account as usage errors (exit 2)', async () => {
    const plain = await runCli(['selftest', 'http://localhost:1'], {});
    expect(plain.code).toBe(2);
    expect(plain.output).toContain('the URL must be https://');
    const lockout = await runCli(['selftest', origin, '--allow-lockout'], {});
    expect(lockout.code).toBe(2);
    expect(lockout.output).toContain('--allow-lockout needs --account');
  }, 30_000);
});

describe('portcullis selftest against deliberately weakened deployments', () => {
  let instance: Instance;
  let corsInstance: Instance;
  let proxyPort: number;
  let proxyHttpPort: number;
  let certDir: string;
  let proxyCert: { cert: string; key: string };

  beforeAll(async () => {
    proxyPort = await freePort();
    proxyHttpPort = await freePort();
    certDir = mkdtempSync(path.join(tmpdir(), 'portcullis-selftest-'));
    await ensureDevCertificate(path.join(certDir, 'cert.pem'), path.join(certDir, 'key.pem'));
    proxyCert = {
      cert: readFileSync(path.join(certDir, 'cert.pem'), 'utf8'),
      key: readFileSync(path.join(certDir, 'key.pem'), 'utf8'),
    };
    [instance, corsInstance] = await Promise.all([
      // Reached only through the proxy, so its public origin is the proxy's. Every run comes
      // from 127.0.0.1: the general limit is raised so eight runs in a minute are not refused.
      startInstance({
        HTTP_PORT: '0',
        PUBLIC_ORIGIN: `https://localhost:${proxyPort}`,
        SECURITY_CONTACT: contact,
        RATE_LIMIT_MAX: '100000',
      }),
      // A real misconfiguration: a foreign origin allowed with credentials, and no security contact.
      startInstance({ HTTP_PORT: '0', CORS_ORIGINS: 'https://evil.example' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([instance.stop(), corsInstance.stop()]);
    rmSync(certDir, { recursive: true, force: true });
  });

  const options = (port: number, ca: string, httpPort?: number): SelftestOptions => ({
    url: new URL(`https://localhost:${port}`),
    httpPort,
    ca,
    insecure: false,
    account: undefined,
    allowLockout: false,
    timeoutMs: 10_000,
  });

  async function throughProxy(
    weakening: Weakening,
    redirect?: Parameters<typeof startRedirectServer>[1],
    redirectOptions: Parameters<typeof startRedirectServer>[2] = {},
  ): Promise<SelftestReport> {
    const proxy = await startWeakenedProxy({
      port: proxyPort,
      upstreamPort: instance.port,
      upstreamCa: readFileSync(path.join(instance.dataDir, 'dev-cert.pem'), 'utf8'),
      ...proxyCert,
      weakening,
    });
    const redirectServer =
      redirect === undefined
        ? undefined
        : await startRedirectServer(proxyHttpPort, redirect, redirectOptions);
    try {
      return await runSelftest(
        options(
          proxyPort,
          proxyCert.cert,
          redirectServer === undefined ? undefined : proxyHttpPort,
        ),
      );
    } finally {
      await redirectServer?.close();
      await proxy.close();
    }
  }

  it('the unaltered copy passes, so every failure below is the weakness alone', async () => {
    const report = await throughProxy(
      {},
      // The server's own rule (server.ts): the configured origin, never the request's host.
      (request) => redirectTarget(`https://localhost:${proxyPort}`, request.url),
    );
    expect(failedIds(report)).toEqual([]);
  }, 30_000);

  it('ASVS 3.4.1: HSTS max-age 300 fails the hsts check, saying what to set', async () => {
    const report = await throughProxy({
      headers: (headers) => {
        headers['strict-transport-security'] = 'max-age=300; includeSubDomains';
      },
    });
    expect(failedIds(report)).toEqual(['hsts']);
    expect(report.results.find((result) => result.id === 'hsts')?.detail).toBe(
      'HSTS max-age is 300; set at least 31536000',
    );
  }, 30_000);

  it('ASVS 3.3.2, 3.3.4: a cookie without HttpOnly and with SameSite=Lax fails those two checks', async () => {
    const report = await throughProxy({
      headers: (headers) => {
        const cookies = headers['set-cookie'];
        if (Array.isArray(cookies)) {
          headers['set-cookie'] = cookies.map((line) =>
            line.replace(/;\s*HttpOnly/i, '').replace(/SameSite=Strict/i, 'SameSite=Lax'),
          );
        }
      },
    });
    expect(failedIds(report).sort()).toEqual(['cookie-httponly', 'cookie-samesite']);
    expect(report.results.find((result) => result.id === 'cookie-httponly')?.detail).toBe(
      '__Host-portcullis-csrf lacks HttpOnly; add it',
    );
  }, 30_000);

  it('ASVS 3.4.3, 3.4.6: a dropped CSP and a weaker X-Frame-Options fail their header checks', async () => {
    const report = await throughProxy({
      headers: (headers) => {
        delete headers['content-security-policy'];
        headers['x-frame-options'] = 'SAMEORIGIN';
      },
    });
    expect(failedIds(report).sort()).toEqual([
      'header-content-security-policy',
      'header-x-frame-options',
    ]);
  }, 30_000);

  it('ASVS 13.4.6: a Server header naming a version fails no-version-banner', async () => {
    const report = await throughProxy({
      headers: (headers) => {
        headers.server = 'nginx/1.22.1';
      },
    });
    expect(failedIds(report)).toEqual(['no-version-banner']);
  }, 30_000);

  it('ASVS 16.5.1: an error answer with a stack trace fails error-envelope', async () => {
    const report = await throughProxy({
      body: (body, status) =>
        status === 404
          ? Buffer.from(
              JSON.stringify({
                error: { code: 'not_found', message: 'Not found.', requestId: 'x' },
                stack: 'Error: Not found\n    at Object.<anonymous> (/srv/app/src/routes.ts:12:3)',
              }),
            )
          : body,
    });
    expect(failedIds(report)).toEqual(['error-envelope']);
  }, 30_000);

  it('ASVS 12.1.1, 12.1.2: TLS 1.0 and CBC suites allowed fail tls-protocols and tls-cipher-suites', async () => {
    const report = await throughProxy({
      tls: { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
    });
    expect(failedIds(report).sort()).toEqual(['tls-cipher-suites', 'tls-protocols']);
    const protocols = report.results.find((result) => result.id === 'tls-protocols');
    expect(protocols?.detail).toContain('TLS 1.0 is accepted');
  }, 30_000);

  it('ASVS 4.1.2: plain HTTP redirecting the API as well as pages fails http-api-refused', async () => {
    const report = await throughProxy(
      {},
      (request) => redirectTarget(`https://localhost:${proxyPort}`, request.url),
      { redirectApi: true },
    );
    expect(failedIds(report)).toEqual(['http-api-refused']);
    expect(report.results.find((result) => result.id === 'http-api-refused')?.detail).toBe(
      `plain HTTP redirects /api/session (308 to https://localhost:${proxyPort}/api/session); refuse /api/ over HTTP (403) and redirect only pages`,
    );
  }, 30_000);

  it('ASVS 3.7.2: an HTTP redirect built from the Host header fails redirect-offsite', async () => {
    const report = await throughProxy(
      {},
      // The classic `return 301 https://$host$request_uri;` ($host has no port; ours is not 443).
      (request) =>
        `https://${(request.headers.host ?? '').replace(/:\d+$/, '')}:${proxyPort}${request.url ?? '/'}`,
    );
    expect(failedIds(report)).toEqual(['redirect-offsite']);
    expect(report.results.find((result) => result.id === 'redirect-offsite')?.detail).toContain(
      `with a foreign Host header redirects to https://evil.example:${proxyPort}/x`,
    );
  }, 30_000);

  it('ASVS 3.4.2, 3.5.1: CORS_ORIGINS listing a foreign origin fails the CORS and CSRF checks; no SECURITY_CONTACT fails security-txt', async () => {
    const report = await runSelftest(
      options(
        corsInstance.port,
        readFileSync(path.join(corsInstance.dataDir, 'dev-cert.pem'), 'utf8'),
      ),
    );
    expect(failedIds(report).sort()).toEqual([
      'cors-foreign-origin',
      'csrf-refusal',
      'security-txt',
    ]);
    expect(report.results.find((result) => result.id === 'csrf-refusal')?.detail).toContain(
      'POST /api/logout with Origin https://evil.example answered 204',
    );
    expect(report.results.find((result) => result.id === 'security-txt')?.detail).toContain(
      'set SECURITY_CONTACT',
    );
  }, 30_000);
});
