import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { AuditEvent, AuditListResponse } from '@portcullis/contract/admin';
import { CSRF_HEADER, type User } from '@portcullis/contract/auth';
import type { ErrorBody } from '@portcullis/contract/errors';
import type { Role } from '@portcullis/contract/roles';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig, type AppConfig } from '../../src/config.js';
import { createDatabase, type Db } from '../../src/db/database.js';
import { createRedisStores } from '../../src/lib/redis-stores.js';
import { cookieNames } from '../../src/plugins/cookies.js';
import { sharedBackendUrls } from './shared-backends.js';

/**
 * The real application over real HTTP on a real SQLite file: every integration test goes through
 * the same wiring as production (buildApp), only the data directory and a few limits differ.
 */

export { cookieNames };

/** Values every test app starts with; a test overrides only what its rule is about. */
export const baseTestEnv: Readonly<Record<string, string>> = Object.freeze({
  NODE_ENV: 'test',
  PASSWORD_MIN_LENGTH: '12',
  HASH_CONCURRENCY: '2',
  RATE_LIMIT_MAX: '100000',
  LOG_LEVEL: 'info',
  // Second factors required of admins are proven in second-factors.test.ts; elsewhere an admin
  // signs in with a password alone.
  MFA_REQUIRED_ROLES: '',
});

export const USER_AGENT = 'portcullis-integration-test/1.0';

export interface TestApp {
  url: string;
  config: AppConfig;
  app: FastifyInstance;
  dataDir: string;
  /** Captured log output, one JSON line per entry. */
  logs(): string[];
  /** Captured log output as it was written, for searching secrets in the raw text. */
  logText(): string;
  /** Resolves once the captured log satisfies `predicate` (log lines are written after the response). */
  waitForLogs(predicate: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  /** A second connection to the app's database, for test-only shortcuts (promoting an admin). */
  db(): Db;
  close(): Promise<void>;
}

export async function startTestApp(
  overrides: Record<string, string> = {},
  buildOptions: Omit<BuildOptions, 'logStream'> = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-it-'));
  // The 'server-postgres' project runs the same tests on PostgreSQL (a schema per app) and Redis.
  const shared = sharedBackends();
  const config = loadConfig({ ...baseTestEnv, DATA_DIR: dataDir, ...shared.env, ...overrides });
  if (buildOptions.stores === undefined && shared.redisUrl !== undefined) {
    const keyPrefix = `pc-test:${randomBytes(6).toString('hex')}:`;
    buildOptions = {
      ...buildOptions,
      stores: await createRedisStores(shared.redisUrl, { keyPrefix }),
    };
  }
  const chunks: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));

  // The local outbox's one line per message is for a person at a terminal, not the test output.
  const app = await buildApp(config, {
    mailNotice: () => undefined,
    ...buildOptions,
    logStream,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');

  let db: Db | undefined;
  const logText = () => chunks.join('');
  const logs = () => logText().split('\n').filter(Boolean);
  return {
    url: `http://127.0.0.1:${address.port}`,
    config,
    app,
    dataDir,
    logText,
    logs,
    async waitForLogs(predicate, timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(logs())) {
        if (Date.now() > deadline) throw new Error('expected log lines were not written in time');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return logs();
    },
    db: () => (db ??= createDatabase(config.database)),
    async close() {
      await app.close();
      await db?.destroy();
      await dropPostgresSchema(config.database);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function sharedBackends(): { env: Record<string, string>; redisUrl: string | undefined } {
  const { databaseUrl, redisUrl } = sharedBackendUrls();
  const env: Record<string, string> = {};
  if (databaseUrl !== undefined) {
    const url = new URL(databaseUrl);
    url.searchParams.set('schema', `pc_${randomBytes(6).toString('hex')}`);
    env.DATABASE_URL = url.href;
  }
  return { env, redisUrl };
}

async function dropPostgresSchema(database: AppConfig['database']): Promise<void> {
  if (database.kind !== 'postgres' || database.schema?.startsWith('pc_') !== true) return;
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${database.schema}" cascade`);
  } finally {
    await client.end();
  }
}

let passwordsMade = 0;

/**
 * A strong password no breach list holds, unique per call within a test file. Deterministic, not
 * random: the breached-password filter answers "listed" for about one unlisted password in ten
 * thousand, so random passwords failed a registration now and then. The first 3,800 of this
 * sequence pass the pinned list (a test file makes a few dozen), and it is the same on every run.
 */
export function strongPassword(): string {
  passwordsMade += 1;
  return `correct-horse-battery-${createHash('sha256')
    .update(`password ${String(passwordsMade)}`)
    .digest('hex')
    .slice(0, 12)}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

export interface ParsedCookie {
  name: string;
  value: string;
  /** Attribute names lowercased; flag attributes (HttpOnly, Secure) map to `true`. */
  attributes: Map<string, string | true>;
}

export function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string | true>();
  for (const part of rest) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const at = trimmed.indexOf('=');
    if (at === -1) attributes.set(trimmed.toLowerCase(), true);
    else attributes.set(trimmed.slice(0, at).trim().toLowerCase(), trimmed.slice(at + 1).trim());
  }
  return {
    name: pair.slice(0, eq).trim(),
    value: decodeURIComponent(pair.slice(eq + 1).trim()),
    attributes,
  };
}

function isRemoval(cookie: ParsedCookie): boolean {
  const maxAge = cookie.attributes.get('max-age');
  if (typeof maxAge === 'string' && Number(maxAge) <= 0) return true;
  const expires = cookie.attributes.get('expires');
  return typeof expires === 'string' && Date.parse(expires) <= Date.now();
}

export interface TestResponse<T> {
  status: number;
  headers: Headers;
  /** The raw body text: searched for leaks (stack traces, paths, SQL). */
  text: string;
  /** The body parsed as JSON, or undefined when it was empty or not JSON. */
  body: T;
  /** Cookies this response set, by name (including removals). */
  setCookies: Map<string, ParsedCookie>;
}

export interface RequestOptions {
  /** Serialised as JSON with content-type application/json. */
  body?: unknown;
  /** Sent as is; set `content-type` in `headers` yourself. */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Send the CSRF token (fetched first if needed). Default: true for unsafe methods. */
  csrf?: boolean;
  /** A token to send instead of this client's own. */
  csrfToken?: string;
  /** The Origin header; null leaves it out. Default: the app's public origin. */
  origin?: string | null;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** One browser: a cookie jar, the CSRF token it was handed, and the Origin it sends. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;
  /** Requests this client sent, so a test can match them with the server's request log lines. */
  requestCount = 0;

  constructor(readonly testApp: TestApp) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async csrf(): Promise<string> {
    const res = await this.request<{ csrfToken: string }>('GET', '/api/csrf');
    if (res.status !== 200) throw new Error(`GET /api/csrf answered ${res.status}: ${res.text}`);
    this.csrfToken = res.body.csrfToken;
    return this.csrfToken;
  }

  async request<T = ErrorBody>(
    method: string,
    urlPath: string,
    options: RequestOptions = {},
  ): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    const unsafe = unsafeMethods.has(method);
    if (options.origin !== null && (unsafe || options.origin !== undefined)) {
      headers.origin = options.origin ?? this.testApp.config.publicOrigin;
    }
    if (options.csrf ?? unsafe) {
      headers[CSRF_HEADER] = options.csrfToken ?? this.csrfToken ?? (await this.csrf());
    }
    let body: string | Uint8Array | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, options.headers);
    if (this.cookies.size > 0 && headers.cookie === undefined) headers.cookie = this.cookieHeader();

    this.requestCount += 1;
    const response = await fetch(`${this.testApp.url}${urlPath}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
    });
    const setCookies = new Map<string, ParsedCookie>();
    for (const header of response.headers.getSetCookie()) {
      const cookie = parseSetCookie(header);
      setCookies.set(cookie.name, cookie);
      if (isRemoval(cookie)) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: parsed as T,
      setCookies,
    };
  }

  get<T = ErrorBody>(urlPath: string, options?: RequestOptions) {
    return this.request<T>('GET', urlPath, options);
  }

  post<T = ErrorBody>(urlPath: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', urlPath, { ...options, body });
  }

  patch<T = ErrorBody>(urlPath: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', urlPath, { ...options, body });
  }

  delete<T = ErrorBody>(urlPath: string, options?: RequestOptions) {
    return this.request<T>('DELETE', urlPath, options);
  }

  register(email: string, password: string, name: string) {
    return this.post<{ user: User }>('/api/register', { email, password, name });
  }

  /** CSRF first (login needs it), then login, then a fresh token since login rotates it. */
  async login(email: string, password: string) {
    await this.csrf();
    const res = await this.post<{ user: User }>('/api/login', { email, password });
    if (res.status === 200) await this.csrf();
    return res;
  }

  /**
   * A password change renews the session and its CSRF binding (ADR 013), as a sign-in does: the
   * browser's app asks for a fresh token afterwards, and so does this client.
   */
  async changePassword(currentPassword: string, newPassword: string) {
    const res = await this.post<undefined>('/api/profile/password', {
      currentPassword,
      newPassword,
    });
    if (res.status === 204) await this.csrf();
    return res;
  }

  async logout() {
    const res = await this.post<undefined>('/api/logout');
    if (res.status === 204) await this.csrf();
    return res;
  }
}

export interface TestUser {
  client: TestClient;
  user: User;
  email: string;
  password: string;
  name: string;
}

/**
 * Registers through the public API and signs in. A role other than `user` is set with a direct
 * database update before signing in: a test-only shortcut, since self-registration never grants
 * one (and the CLI is for operators).
 */
export async function createUser(
  testApp: TestApp,
  options: { role?: Role; label?: string; name?: string } = {},
): Promise<TestUser> {
  const client = new TestClient(testApp);
  const email = uniqueEmail(options.label ?? options.role ?? 'user');
  const password = strongPassword();
  const name = options.name ?? `Test ${options.role ?? 'user'}`;
  const registered = await client.register(email, password, name);
  if (registered.status !== 202) {
    throw new Error(`register answered ${registered.status}: ${registered.text}`);
  }
  // Test-only shortcuts: the address counts as verified (the mail round trip is tested in
  // account-flows.test.ts), and a role other than `user` is set directly.
  const role = options.role ?? 'user';
  await testApp
    .db()
    .updateTable('users')
    .set({ role, email_verified_at: Date.now() })
    .where('email', '=', email)
    .execute();
  const loggedIn = await client.login(email, password);
  if (loggedIn.status !== 200) {
    throw new Error(`login answered ${loggedIn.status}: ${loggedIn.text}`);
  }
  return { client, user: loggedIn.body.user, email, password, name };
}

/**
 * Test-only shortcut for an account registered through the API: marks its address verified, as
 * following the mailed link would (that round trip is proven in account-flows.test.ts).
 */
export async function markVerified(testApp: TestApp, email: string): Promise<void> {
  await testApp
    .db()
    .updateTable('users')
    .set({ email_verified_at: Date.now() })
    .where('email', '=', email)
    .execute();
}

/** Every audit event, newest first, read through the admin API. */
export async function listAudit(admin: TestClient): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const res: TestResponse<AuditListResponse> = await admin.get<AuditListResponse>(
      `/api/admin/audit?limit=100${query}`,
    );
    if (res.status !== 200) throw new Error(`audit answered ${res.status}: ${res.text}`);
    events.push(...res.body.events);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return events;
}

/**
 * Some audit writes are fire-and-forget (a CSRF refusal must not wait on the database), so poll
 * briefly for the event instead of guessing a delay.
 */
export async function waitForAudit(
  admin: TestClient,
  predicate: (event: AuditEvent) => boolean,
  timeoutMs = 2_000,
): Promise<AuditEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await listAudit(admin)).find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('audit event not recorded in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A request sent byte for byte as given: `fetch` normalises paths (`/api/../x` becomes `/x`), which
 * would hide exactly the inputs a path-traversal test needs to send.
 */
export function rawRequest(
  testApp: TestApp,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<TestResponse<ErrorBody>> {
  const { port } = new URL(testApp.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const item of Array.isArray(value) ? value : [value ?? '']) {
            responseHeaders.append(name, item);
          }
        }
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: responseHeaders,
          text,
          body: body as ErrorBody,
          setCookies: new Map(),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Markers of an internal detail leaking into a response: stack frames, paths, SQL, class names. */
export const leakMarkers = [
  '    at ',
  'at Object.',
  '/src/',
  'node_modules',
  '.ts:',
  '.js:',
  'SQLITE',
  'sqlite',
  'SELECT ',
  'INSERT ',
  'Error:',
  'TypeError',
  'SyntaxError',
  'FST_',
  'stack',
  '<html',
];

export function findLeaks(text: string): string[] {
  return leakMarkers.filter((marker) => text.includes(marker));
}

/** The catalogue's error envelope: exactly `{error: {code, message, requestId[, fields]}}`. */
export function expectErrorEnvelope(
  res: TestResponse<unknown>,
  status: number,
  code: string,
): void {
  const problems: string[] = [];
  if (res.status !== status) problems.push(`status ${res.status}, expected ${status}`);
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/json')) problems.push(`content-type ${contentType}`);
  // Read as untyped JSON: a framework error page has a different shape than our type says.
  const body = res.body as Record<string, unknown> | undefined;
  const error = body?.error as Record<string, unknown> | string | undefined;
  if (body === undefined || typeof error !== 'object' || Object.keys(body).join() !== 'error') {
    problems.push(`body is not {error}: ${res.text}`);
  } else {
    if (error.code !== code) problems.push(`code ${JSON.stringify(error.code)}, expected ${code}`);
    if (typeof error.message !== 'string' || error.message === '') problems.push('no message');
    if (typeof error.requestId !== 'string' || error.requestId === '')
      problems.push('no requestId');
    const allowed = [
      'code',
      'message',
      'requestId',
      'fields',
      ...(code === 'wrong_origin' ? ['openAt'] : []),
      ...(code === 'invalid_credentials' || code === 'invalid_second_factor'
        ? ['attemptsRemaining']
        : []),
    ];
    const extra = Object.keys(error).filter((key) => !allowed.includes(key));
    if (extra.length > 0) problems.push(`unexpected keys ${extra.join(', ')}`);
  }
  const leaks = findLeaks(res.text);
  if (leaks.length > 0) problems.push(`leaks ${leaks.join(', ')}`);
  if (problems.length > 0) {
    throw new Error(`error envelope: ${problems.join('; ')}\nbody: ${res.text.slice(0, 500)}`);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
