import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDevCertificate } from '../../src/lib/dev-certificate.js';
import { findExecutable, freePort, repoRoot, send, sleep } from './live-processes.js';

/**
 * deploy/nginx.conf as shipped, run by a test: only the listen addresses, certificate paths,
 * upstream ports and redirect origin are replaced (plus whatever `extra` names, such as a shorter
 * timeout), each of which must occur exactly once, so a changed shipped file fails loudly instead
 * of testing something else. (multi-instance/nginx-proxy.test.ts renders it the same way.)
 */

export const shippedNginxConfigFile = path.join(repoRoot, 'deploy/nginx.conf');
export const nginxExecutable = findExecutable('nginx');

export function renderNginxConfig(
  shipped: string,
  values: {
    httpPort: number;
    tlsPort: number;
    certFile: string;
    keyFile: string;
    upstreamPorts: [number, number];
    origin: string;
  },
  extra: [string, string][] = [],
): string {
  const replacements: [string, string][] = [
    ['    listen 80;\n', `    listen 127.0.0.1:${values.httpPort};\n`],
    ['    listen [::]:80;\n', ''],
    ['    listen 443 ssl http2;\n', `    listen 127.0.0.1:${values.tlsPort} ssl http2;\n`],
    ['    listen [::]:443 ssl http2;\n', ''],
    ['ssl_certificate /etc/ssl/portcullis/fullchain.pem;', `ssl_certificate ${values.certFile};`],
    [
      'ssl_certificate_key /etc/ssl/portcullis/privkey.pem;',
      `ssl_certificate_key ${values.keyFile};`,
    ],
    ['server 127.0.0.1:3001 ', `server 127.0.0.1:${values.upstreamPorts[0]} `],
    ['server 127.0.0.1:3002 ', `server 127.0.0.1:${values.upstreamPorts[1]} `],
    ['https://portcullis.example.com$request_uri', `${values.origin}$request_uri`],
    ...extra,
  ];
  let rendered = shipped;
  for (const [from, to] of replacements) {
    const parts = rendered.split(from);
    if (parts.length !== 2) {
      throw new Error(
        `deploy/nginx.conf: expected "${from.trim()}" once, found ${parts.length - 1}`,
      );
    }
    rendered = parts.join(to);
  }
  return rendered;
}

export interface RunningNginx {
  /** https://127.0.0.1:<port> */
  baseUrl: string;
  origin: string;
  /** The plain-HTTP port, which only redirects to `origin`. */
  httpPort: number;
  /** The certificate to verify it with. */
  cert: string;
  stop(): Promise<void>;
}

/** Starts nginx on the shipped file in front of `upstreamPorts`; resolves once it accepts TLS. */
export async function startNginx(
  upstreamPorts: [number, number],
  extra: [string, string][] = [],
): Promise<RunningNginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-nginx-'));
  // Workers running as nobody must reach the temp paths; the key stays 0600 (read by the master).
  chmodSync(dir, 0o755);
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await ensureDevCertificate(certFile, keyFile);
  const cert = readFileSync(certFile, 'utf8');
  const tlsPort = await freePort();
  const httpPort = await freePort();
  const origin = `https://localhost:${tlsPort}`;
  const siteFile = path.join(dir, 'portcullis.conf');
  const mainFile = path.join(dir, 'nginx.conf');
  writeFileSync(
    siteFile,
    renderNginxConfig(
      readFileSync(shippedNginxConfigFile, 'utf8'),
      { httpPort, tlsPort, certFile, keyFile, upstreamPorts, origin },
      extra,
    ),
  );
  const nobodyGroup = spawnSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const user = process.getuid?.() === 0 ? `user nobody ${nobodyGroup || 'nogroup'};` : '';
  writeFileSync(
    mainFile,
    `${user}
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/body_temp;
    proxy_temp_path ${dir}/proxy_temp;
    fastcgi_temp_path ${dir}/fastcgi_temp;
    uwsgi_temp_path ${dir}/uwsgi_temp;
    scgi_temp_path ${dir}/scgi_temp;
    include ${siteFile};
}
`,
  );
  let output = '';
  const child: ChildProcess = spawn(
    nginxExecutable ?? 'nginx',
    [
      '-c',
      mainFile,
      '-p',
      `${dir}/`,
      '-g',
      `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const baseUrl = `https://127.0.0.1:${tlsPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`nginx exited:\n${output}`);
    }
    // nginx's own 404 for its internal location: no instance is asked, so a probe never marks
    // an upstream down (the tests stop or stall them on purpose).
    const reply = await send(`${baseUrl}/portcullis-proxy-error/`, {
      ca: cert,
      timeoutMs: 2000,
    }).catch(() => undefined);
    if (reply !== undefined) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not answer:\n${output}`);
    }
    await sleep(100);
  }
  return { baseUrl, origin, httpPort, cert, stop };
}
