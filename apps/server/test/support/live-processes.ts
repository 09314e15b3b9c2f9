import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import type { ErrorBody } from '@portcullis/contract/errors';
import { listOutbox } from '../../src/modules/mail/mail-outbox.js';
import { cookieNames } from '../../src/plugins/cookies.js';

/**
 * The compiled server (apps/server/dist, which `npm test` builds first) as separate processes, for
 * tests about deployment and failures: several instances behind nginx, a dependency going away,
 * SIGTERM. Everything listens on loopback only.
 */

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const serverJs = path.join(serverDir, 'bundle/server.js');
export const cliJs = path.join(serverDir, 'dist/cli.js');
export const repoRoot = path.resolve(serverDir, '../..');

/** The machine's shared services; tests only ever create private schemas and unique keys in them. */
export const sharedDatabaseUrl =
  process.env.PORTCULLIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const sharedRedisUrl = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

/** Whether something accepts TCP connections at the URL's host and port, within a second. */
export function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** The absolute path of an executable on PATH (plus the sbin directories), or undefined. */
export function findExecutable(name: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], {
    encoding: 'utf8',
    env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/sbin` },
  });
  const found = result.stdout.trim();
  return result.status === 0 && found !== '' ? found : undefined;
}

/**
 * A loopback address other than 127.0.0.1, random per run (Linux routes all of 127/8 to lo).
 * Requests sent from it reach the app as a client of their own: the shared Redis counts login
 * failures and rate limits per client address without a per-run prefix, so a fixed address would
 * accumulate failures over runs and end up locked.
 */
export function randomLoopbackAddress(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** An address from the benchmarking range (198.18.0.0/15, RFC 2544), random per call. */
export function randomForeignAddress(): string {
  return `198.${randomInt(18, 20)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

export function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      resolve(false);
    });
    probe.listen(0, address, () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
}

export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

let passwordsMade = 0;

/**
 * Strong, unique per call, and on no breach list; deterministic for the reason in test-app.ts
 * (the first 600 of this sequence pass the pinned list).
 */
export function strongPassword(): string {
  passwordsMade += 1;
  return `multi-instance-${createHash('sha256')
    .update(`password ${String(passwordsMade)}`)
    .digest('hex')
    .slice(0, 12)}-Horse`;
}

export function privateSchemaName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function schemaUrl(schema: string): string {
  const url = new URL(sharedDatabaseUrl);
  url.searchParams.set('schema', schema);
  return url.href;
}

/** Runs one function with a connection whose search_path is the private schema. */
export async function withSchema<T>(
  schema: string,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: sharedDatabaseUrl,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^pc_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  await withSchema('public', (client) => client.query(`drop schema if exists "${schema}" cascade`));
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds from sending to the end of the response. */
  ms: number;
}

export function errorCode(reply: HttpReply): string | undefined {
  try {
    return (JSON.parse(reply.body) as Partial<ErrorBody>).error?.code;
  } catch {
    return undefined;
  }
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Source address of the connection (a loopback alias stands for a distinct client). */
  localAddress?: string;
  /** Trust anchor for https: the test's own certificate, so TLS is verified, not skipped. */
  ca?: string;
  /** The whole exchange must finish in this time, or the promise rejects. */
  timeoutMs?: number;
  /** The request target sent byte for byte (a URL would normalise `/./` and `/../`). */
  rawPath?: string;
}

/** One request on a fresh connection (no keep-alive, so each one is balanced anew). */
export function send(url: string, options: SendOptions = {}): Promise<HttpReply> {
  const started = Date.now();
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
        ...(options.rawPath === undefined ? {} : { path: options.rawPath }),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
        ...(options.ca === undefined ? {} : { ca: options.ca, servername: 'localhost' }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Date.now() - started,
          });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(options.body);
  });
}

/**
 * How requests reach an app: through the proxy (a base URL and the client's own connection), or
 * straight to one instance as its trusted proxy would (X-Forwarded-* from 127.0.0.1).
 */
export interface Route {
  baseUrl: string;
  headers?: Record<string, string>;
  localAddress?: string;
  ca?: string;
}

export function directRoute(port: number, clientIp: string): Route {
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    headers: { 'x-forwarded-for': clientIp, 'x-forwarded-proto': 'https' },
  };
}

/** A browser's view of the app: a cookie jar, the CSRF token, and the Origin it sends. */
export class Browser {
  readonly cookies = new Map<string, string>();
  private csrf: { binding: string; token: string } | undefined;

  constructor(
    readonly origin: string,
    readonly route: Route,
  ) {}

  /** Another browser holding a copy of these cookies (a stolen or replayed session). */
  copy(route: Route = this.route): Browser {
    const other = new Browser(this.origin, route);
    for (const [name, value] of this.cookies) other.cookies.set(name, value);
    return other;
  }

  private remember(reply: HttpReply): void {
    const setCookies = reply.headers['set-cookie'] ?? [];
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      const expired = attributes.some(
        (attribute) =>
          /^max-age=0$/i.test(attribute) ||
          (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) <= Date.now()),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(
    method: string,
    pathname: string,
    options: {
      json?: unknown;
      route?: Route;
      timeoutMs?: number;
      headers?: Record<string, string>;
    } = {},
  ): Promise<HttpReply> {
    const route = options.route ?? this.route;
    const headers: Record<string, string> = { ...route.headers, ...options.headers };
    if (method !== 'GET' && method !== 'HEAD') {
      headers.origin = this.origin;
      headers[CSRF_HEADER] = await this.csrfToken(route);
    }
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const reply = await send(`${route.baseUrl}${pathname}`, {
      method,
      headers,
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
      ...(route.localAddress === undefined ? {} : { localAddress: route.localAddress }),
      ...(route.ca === undefined ? {} : { ca: route.ca }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    this.remember(reply);
    return reply;
  }

  /** The token for the current CSRF cookie; fetched again after login or logout rotated it. */
  private async csrfToken(route: Route): Promise<string> {
    const binding = this.cookies.get(cookieNames.csrf);
    if (this.csrf !== undefined && this.csrf.binding === binding) return this.csrf.token;
    const reply = await this.request('GET', '/api/csrf', { route });
    if (reply.status !== 200) throw new Error(`GET /api/csrf answered ${reply.status}`);
    const { csrfToken } = JSON.parse(reply.body) as { csrfToken: string };
    this.csrf = { binding: this.cookies.get(cookieNames.csrf) ?? '', token: csrfToken };
    return csrfToken;
  }

  get = (pathname: string, route?: Route) =>
    this.request('GET', pathname, route === undefined ? {} : { route });
  post = (pathname: string, json: unknown = {}, route?: Route) =>
    this.request('POST', pathname, { json, ...(route === undefined ? {} : { route }) });
}

export interface Instance {
  port: number;
  child: ChildProcess;
  dataDir: string;
  /** The process's stdout and stderr so far (the last 64 KiB), for failure messages. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** SIGTERM, then SIGKILL if still running after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node bundle/server.js` (what `npm start` runs) with exactly `env` (and PATH), in a fresh data directory that is
 * also its working directory, so no developer's `.env` is read. Resolves once /healthz answers.
 */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-live-'));
  const port = env.PORT !== undefined ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [serverJs], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MFA_REQUIRED_ROLES: '',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal, at: Date.now() });
      });
    },
  );
  const instance: Instance = {
    port,
    child,
    dataDir,
    output: () => output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  // Without TRUST_PROXY the instance terminates TLS itself (HTTPS only), with its generated
  // certificate unless TLS_CERT_FILE names one; the probe verifies it like any client.
  const ownTls = env.TRUST_PROXY === undefined;
  const certFile = env.TLS_CERT_FILE ?? path.join(dataDir, 'dev-cert.pem');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${String(child.exitCode)}:\n${output}`);
    }
    try {
      const reply = await send(`${ownTls ? 'https' : 'http'}://127.0.0.1:${port}/healthz`, {
        timeoutMs: 2000,
        ...(ownTls ? { ca: readFileSync(certFile, 'utf8') } : {}),
      });
      if (reply.status === 200) return instance;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`server on port ${port} did not become healthy:\n${output}`);
    }
    await sleep(100);
  }
}

/** Waits until `check` returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Runs the operator CLI (dist/cli.js) with `env`; the password goes to stdin, as an operator's would. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<{ code: number | null; output: string }> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'portcullis-cli-'));
  const child = spawn(process.execPath, [cliJs, ...args], {
    cwd,
    env: { PATH: process.env.PATH, DATA_DIR: cwd, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

/**
 * Registers through the API, follows the verification link the instance wrote to its local
 * outbox (no SMTP_URL on a localhost origin), and signs in: the browser then holds a session.
 */
export async function registerVerified(
  browser: Browser,
  dataDir: string,
  account: { email: string; password: string; name: string },
): Promise<void> {
  const registered = await browser.post('/api/register', account);
  if (registered.status !== 202) throw new Error(`register answered ${registered.status}`);
  const token = await waitFor(
    `the verification mail to ${account.email}`,
    async () => {
      const messages = await listOutbox(dataDir);
      const link = messages
        .filter((message) => message.to === account.email)
        .flatMap((message) => message.links)
        .find((candidate) => candidate.includes('/verify-email#token='));
      return link === undefined ? undefined : new URL(link).hash.slice('#token='.length);
    },
    10_000,
  );
  const verified = await browser.post('/api/verify-email', { token });
  if (verified.status !== 200) throw new Error(`verify answered ${verified.status}`);
  const login = await browser.post('/api/login', {
    email: account.email,
    password: account.password,
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
}
