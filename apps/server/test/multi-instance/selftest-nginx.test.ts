import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSelftest, type SelftestReport } from '../../src/selftest/run-selftest.js';
import type { SelftestOptions } from '../../src/selftest/selftest-types.js';
import { freePort, startInstance, type Instance } from '../support/live-processes.js';
import { nginxExecutable, startNginx, type RunningNginx } from '../support/nginx.js';

/**
 * `portcullis selftest` behind deploy/nginx.conf as shipped (TLS, the HTTP redirect and nginx's
 * own answers are nginx's; everything else passes through to two instances): every check passes.
 * Then the same file with one line altered in the test: each alteration fails its own check.
 */

const failedIds = (report: SelftestReport) =>
  report.results.filter((result) => result.status === 'fail').map((result) => result.id);

describe.skipIf(nginxExecutable === undefined)(
  'portcullis selftest behind the shipped nginx',
  () => {
    const instances: Instance[] = [];
    const proxies: RunningNginx[] = [];
    let upstreamPorts: [number, number];

    // The instances' PUBLIC_ORIGIN is nginx's, known once nginx runs: nginx starts first, on ports
    // chosen for instances that do not exist yet (its start-up probe never reaches them).
    async function start(extra: [string, string][] = []): Promise<RunningNginx> {
      const proxy = await startNginx(upstreamPorts, extra);
      proxies.push(proxy);
      return proxy;
    }

    const options = (proxy: RunningNginx): SelftestOptions => ({
      url: new URL(proxy.origin),
      httpPort: proxy.httpPort,
      ca: proxy.cert,
      insecure: false,
      account: undefined,
      allowLockout: false,
      timeoutMs: 10_000,
    });

    let shipped: RunningNginx;

    beforeAll(async () => {
      upstreamPorts = [await freePort(), await freePort()];
      shipped = await start();
      const env = {
        TRUST_PROXY: '127.0.0.1',
        PUBLIC_ORIGIN: shipped.origin,
        JWT_SECRETS: randomBytes(32).toString('base64url'),
        CSRF_SECRET: randomBytes(32).toString('base64url'),
        SECURITY_CONTACT: 'mailto:security@example.test',
      };
      instances.push(
        ...(await Promise.all(
          upstreamPorts.map((port) => startInstance({ ...env, PORT: String(port) })),
        )),
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all(proxies.map((proxy) => proxy.stop()));
      await Promise.all(instances.map((instance) => instance.stop()));
    });

    it('passes every check through nginx as shipped', async () => {
      const report = await runSelftest(options(shipped));
      const failures = report.results.filter((result) => result.status === 'fail');
      expect(failedIds(report), JSON.stringify(failures, null, 1)).toEqual([]);
      const byId = new Map(report.results.map((result) => [result.id, result]));
      expect(byId.get('http-redirect')?.detail).toBe(
        `308 to ${shipped.origin}/selftest/path?query=1`,
      );
      expect(byId.get('tls-protocols')?.status).toBe('pass');
      expect(byId.get('no-version-banner')?.status).toBe('pass');
    }, 60_000);

    // The instances answer to the shipped nginx's origin only (CSRF), so each altered nginx is
    // judged on what nginx itself does: TLS and the redirect.
    it('ASVS 3.7.2: `return 308 https://$host…` (the redirect built from the Host header) fails redirect-offsite', async () => {
      const altered = await start([
        [
          'return 308 https://localhost:',
          'return 308 https://$host$request_uri; # was https://localhost:',
        ],
      ]);
      const report = await runSelftest(options(altered));
      expect(failedIds(report)).toContain('redirect-offsite');
      expect(report.results.find((result) => result.id === 'redirect-offsite')?.detail).toContain(
        'with a foreign Host header redirects to https://evil.example/x',
      );
      expect(report.results.find((result) => result.id === 'tls-protocols')?.status).toBe('pass');
    }, 60_000);

    it('ASVS 12.1.2: a CBC suite added to ssl_ciphers fails tls-cipher-suites', async () => {
      const altered = await start([
        [
          'ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:',
          'ssl_ciphers ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:',
        ],
      ]);
      const report = await runSelftest(options(altered));
      expect(failedIds(report)).toContain('tls-cipher-suites');
      expect(report.results.find((result) => result.id === 'tls-cipher-suites')?.detail).toContain(
        'a CBC suite is accepted (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256)',
      );
      expect(report.results.find((result) => result.id === 'http-redirect')?.status).toBe('pass');
    }, 60_000);

    it('ASVS 13.4.6: server_tokens on fails no-version-banner', async () => {
      const altered = await start([
        [
          '    server_name portcullis.example.com;\n    server_tokens off;\n\n    ssl_',
          '    server_name portcullis.example.com;\n    server_tokens on;\n\n    ssl_',
        ],
      ]);
      const report = await runSelftest(options(altered));
      expect(failedIds(report)).toContain('no-version-banner');
    }, 60_000);
  },
);
