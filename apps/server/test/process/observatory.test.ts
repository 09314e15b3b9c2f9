import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCertificate } from '../../src/lib/dev-certificate.js';
import { redirectTarget } from '../../src/lib/redirect-target.js';
import { freePort, startInstance, type Instance } from '../support/live-processes.js';
import { startRedirectServer, startWeakenedProxy } from '../support/weakened-proxy.js';

/**
 * The MDN HTTP Observatory's rules (@mdn/mdn-http-observatory, its retriever, tests and grader
 * unchanged) against the bundled server on localhost, with the test's certificate trusted by the
 * scanning process alone (NODE_EXTRA_CA_CERTS): the grade must stay A+, and a regression in any
 * header it scores fails here.
 */

const scanScript = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../support/observatory-scan.mjs',
);

interface ScanResult {
  grade: string;
  score: number;
  statusCode: number;
  testsPassed: number;
  testsQuantity: number;
  tests: Record<string, { result: string; pass: boolean; scoreModifier: number }>;
}

function scan(ports: { https: number; http: number }, certFile: string): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [scanScript, 'localhost', String(ports.https), String(ports.http)],
      {
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: certFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`scan exited ${String(code)}: ${output}${errors}`));
      else resolve(JSON.parse(output) as ScanResult);
    });
  });
}

describe('HTTP Observatory', () => {
  let instance: Instance;
  let certDir: string;
  let ports: { https: number; http: number };

  beforeAll(async () => {
    certDir = mkdtempSync(path.join(tmpdir(), 'portcullis-observatory-'));
    const certFile = path.join(certDir, 'cert.pem');
    const keyFile = path.join(certDir, 'key.pem');
    await ensureDevCertificate(certFile, keyFile);
    ports = { https: await freePort(), http: await freePort() };
    instance = await startInstance({
      PORT: String(ports.https),
      HTTP_PORT: String(ports.http),
      PUBLIC_ORIGIN: `https://localhost:${ports.https}`,
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: keyFile,
    });
  }, 60_000);

  afterAll(async () => {
    await instance.stop();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('scores A+ with every test passed, the redirect and the certificate verified', async () => {
    const result = await scan(ports, path.join(certDir, 'cert.pem'));
    expect(result.statusCode).toBe(200);
    expect(
      Object.entries(result.tests)
        .filter(([, test]) => !test.pass)
        .map(([name, test]) => `${name}: ${test.result}`),
    ).toEqual([]);
    expect(result.tests.redirection?.result).toBe('redirection-to-https');
    expect(result.tests['strict-transport-security']?.result).toBe(
      'hsts-implemented-max-age-at-least-six-months',
    );
    expect(result.grade).toBe('A+');
    expect(result.score).toBeGreaterThanOrEqual(100);
  }, 90_000);

  it('the same scan grades a copy without its CSP below A+ (so the check above can fail)', async () => {
    const certFile = path.join(certDir, 'cert.pem');
    const weak = { https: await freePort(), http: await freePort() };
    const proxy = await startWeakenedProxy({
      port: weak.https,
      upstreamPort: ports.https,
      upstreamCa: readFileSync(certFile, 'utf8'),
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(path.join(certDir, 'key.pem'), 'utf8'),
      weakening: {
        headers: (headers) => {
          delete headers['content-security-policy'];
        },
      },
    });
    const redirect = await startRedirectServer(weak.http, (request) =>
      redirectTarget(`https://localhost:${weak.https}`, request.url),
    );
    try {
      const result = await scan(weak, certFile);
      expect(result.tests['content-security-policy']?.pass).toBe(false);
      expect(result.grade).not.toBe('A+');
    } finally {
      await redirect.close();
      await proxy.close();
    }
  }, 90_000);
});
