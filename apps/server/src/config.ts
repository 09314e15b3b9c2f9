import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { roleSchema, type Role } from '@portcullis/contract/roles';
import {
  PASSWORD_MIN_LENGTH_DEFAULT,
  PASSWORD_MIN_LENGTH_FLOOR,
} from '@portcullis/contract/password-policy';
import {
  DEFAULT_IPV6_PREFIX_LENGTH,
  MAX_IPV6_PREFIX_LENGTH,
  MIN_IPV6_PREFIX_LENGTH,
} from './lib/client-key.js';
import {
  formatSentinelTarget,
  MASTER_NAME_PATTERN,
  parseSentinelList,
  type SentinelAddress,
} from './lib/redis-target.js';
import {
  parseFederationSettings,
  type FederationSettings,
} from './modules/federation/provider-settings.js';

/**
 * The one place that reads the environment. Everything else receives a validated `AppConfig`.
 * Dangerous values stop the process with one line naming the variable (fail fast, ASVS 14.1).
 */

const SECRET_MIN_LENGTH = 32;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const intFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const originSchema = z.string().transform((value, ctx) => {
  try {
    const url = new URL(value);
    if (url.origin === 'null' || url.origin !== value.replace(/\/$/, '')) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a bare origin (scheme://host[:port])`,
      });
      return z.NEVER;
    }
    return url.origin;
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a URL origin` });
    return z.NEVER;
  }
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: intFromEnv(0, 65535).default(8443),
  HTTP_PORT: intFromEnv(0, 65535).default(8080),
  PUBLIC_ORIGIN: originSchema.optional(),
  DATA_DIR: z.string().min(1).default('data'),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.url().optional(),
  REDIS_SENTINELS: z.string().min(1).optional(),
  REDIS_MASTER_NAME: z.string().min(1).optional(),
  INSTANCE_COUNT: intFromEnv(1, 1000).default(1),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  TRUST_PROXY: z.string().min(1).optional(),
  CORS_ORIGINS: z.string().default(''),
  JWT_SECRETS: z.string().min(1).optional(),
  CSRF_SECRET: z.string().min(1).optional(),
  ENCRYPTION_KEYS: z.string().min(1).optional(),
  MFA_REQUIRED_ROLES: z.string().default('admin'),
  SMTP_URL: z.string().min(1).optional(),
  SMTP_FROM: z.string().min(1).optional(),
  SMTP_TLS_CA_FILE: z.string().min(1).optional(),
  SMTP_REQUIRE_TLS: z.enum(['true', 'false']).optional(),
  ACCESS_TOKEN_TTL_SECONDS: intFromEnv(30, 3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: intFromEnv(300, 90 * 86400).default(7 * 86400),
  SESSION_MAX_AGE_SECONDS: intFromEnv(300, 365 * 86400).default(30 * 86400),
  BROWSER_SESSION_IDLE_SECONDS: intFromEnv(120, 7 * 86400).default(3600),
  BROWSER_SESSION_MAX_AGE_SECONDS: intFromEnv(300, 30 * 86400).default(12 * 3600),
  ADMIN_IDLE_TIMEOUT_SECONDS: intFromEnv(120, 7 * 86400).default(1800),
  MAX_SESSIONS_PER_USER: intFromEnv(1, 100_000).default(30),
  PASSWORD_MIN_LENGTH: intFromEnv(PASSWORD_MIN_LENGTH_FLOOR, 64).default(
    PASSWORD_MIN_LENGTH_DEFAULT,
  ),
  RATE_LIMIT_MAX: intFromEnv(1, 1_000_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: intFromEnv(1, 3600).default(60),
  IPV6_PREFIX_LENGTH: intFromEnv(MIN_IPV6_PREFIX_LENGTH, MAX_IPV6_PREFIX_LENGTH).default(
    DEFAULT_IPV6_PREFIX_LENGTH,
  ),
  HASH_CONCURRENCY: intFromEnv(1, 64).default(Math.max(1, availableParallelism() - 1)),
  HASH_QUEUE_MAX: intFromEnv(0, 10_000).default(64),
  HASH_QUEUE_PER_CLIENT_MAX: intFromEnv(1, 10_000).default(8),
  // Read by libuv itself, when its thread pool is first used; validated here against hashing.
  UV_THREADPOOL_SIZE: intFromEnv(1, 1024).optional(),
  REQUEST_TIMEOUT_SECONDS: intFromEnv(1, 300).default(30),
  HEADERS_TIMEOUT_SECONDS: intFromEnv(1, 300).default(10),
  KEEP_ALIVE_TIMEOUT_SECONDS: intFromEnv(1, 600).default(72),
  MAX_REQUESTS_PER_SOCKET: intFromEnv(1, 1_000_000).default(1000),
  TLS_HANDSHAKE_TIMEOUT_SECONDS: intFromEnv(1, 120).default(10),
  MAX_CONNECTIONS_PER_CLIENT: intFromEnv(1, 100_000).default(64),
  METRICS_PORT: intFromEnv(0, 65535).default(0),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FILE: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT_SECONDS: intFromEnv(1, 300).default(10),
  AUDIT_RETENTION_DAYS: intFromEnv(1, 36_500).default(365),
  AUDIT_CHECKPOINT_KEY: z.string().min(1).optional(),
  // Sign-in with providers (ADR 016): a JSON array, parsed and checked in provider-settings.ts.
  OIDC_PROVIDERS: z.string().optional(),
  PROVIDER_REGISTRATION: z.enum(['open', 'closed']).default('open'),
  // RFC 9116 security.txt: where researchers report a vulnerability (mailto:, https: or tel:).
  SECURITY_CONTACT: z.string().optional(),
  // The interactive API reference page; unset, it follows NODE_ENV (on except in production).
  API_REFERENCE: z.enum(['on', 'off']).optional(),
});

export type TrustProxy = false | number | string[];

export interface ConnectionLimits {
  /** The whole request, headers and body, must arrive within this (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** The request line and headers must arrive within this (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  maxRequestsPerSocket: number;
  /** The TLS handshake must finish within this (HTTPS without a proxy). */
  tlsHandshakeTimeoutMs: number;
  /** Open connections from one remote address; the next is closed at once. */
  maxPerClient: number;
}

/** libuv's own default when UV_THREADPOOL_SIZE is unset. */
export const LIBUV_DEFAULT_THREADPOOL_SIZE = 4;

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  httpRedirectPort: number;
  publicOrigin: string;
  dataDir: string;
  database:
    | { kind: 'sqlite'; file: string }
    /** `schema` (from `?schema=` on the URL) isolates e.g. one test run; created if missing. */
    | { kind: 'postgres'; url: string; schema?: string };
  /**
   * A `redis://` URL (REDIS_URL), or Sentinel's primary as `redis-sentinel://host:port,…/name`
   * (REDIS_SENTINELS and REDIS_MASTER_NAME; lib/redis-target.ts parses it back).
   */
  redisUrl: string | undefined;
  instanceCount: number;
  tls: { certFile: string; keyFile: string; generated: boolean } | undefined;
  trustProxy: TrustProxy;
  corsOrigins: string[];
  /** Newest first: the first signs, all verify, so keys rotate without signing everyone out. */
  jwtSecrets: string[] | undefined;
  csrfSecret: string | undefined;
  /** CSRF_SECRET as a list, newest first: the first signs tokens, all verify (ADR 014). */
  csrfSecrets: string[] | undefined;
  /** Keys for secrets stored encrypted (TOTP keys), newest first; generated on localhost. */
  encryptionKeys: string[] | undefined;
  /** Prometheus metrics on a listener of their own; port 0 means none. */
  metrics: { port: number; host: string };
  /** Roles that must have a second factor before they can do anything else. */
  mfaRequiredRoles: Role[];
  mail: MailConfig;
  accessTokenTtlSeconds: number;
  /**
   * Session lifetimes (ADR 013): the idle limit is how long an unused session lives (each refresh
   * moves it on), the absolute limit how long any session lives. "Remember me" picks `remembered`;
   * admins' idle limit is capped at `adminIdleSeconds` either way.
   */
  sessions: {
    remembered: { idleSeconds: number; maxAgeSeconds: number };
    browser: { idleSeconds: number; maxAgeSeconds: number };
    adminIdleSeconds: number;
    /** Live sessions an account may hold; a sign-in beyond it ends the least recently used. */
    maxPerUser: number;
  };
  passwordMinLength: number;
  /**
   * `ipv6PrefixLength` is how every per-client limit and throttle counts an IPv6 client (the
   * general limit, sign-in, registration, mail; lib/client-key.ts, ADR 014).
   */
  rateLimit: { max: number; windowSeconds: number; ipv6PrefixLength: number };
  hashing: {
    concurrency: number;
    queueMax: number;
    perClientMax: number;
    ipv6PrefixLength: number;
  };
  /** libuv's thread pool size (UV_THREADPOOL_SIZE, default 4): hashes must leave two threads free. */
  threadPoolSize: number;
  /** Whether HASH_CONCURRENCY and UV_THREADPOOL_SIZE were set, or left at their defaults. */
  threadPoolSizeExplicit: boolean;
  hashConcurrencyExplicit: boolean;
  /** How long, and how much, one client (an IPv6 one by its prefix) may hold of the listener. */
  connections: ConnectionLimits;
  log: { level: string; file: string | undefined };
  shutdownTimeoutSeconds: number;
  /** Audit events older than this are pruned by the hourly housekeeping job. */
  auditRetentionDays: number;
  /**
   * AUDIT_CHECKPOINT_KEY, newest first: the first signs the audit chain's checkpoints, all verify
   * (ADR 017). Generated into the data directory on localhost.
   */
  auditCheckpointKeys: string[] | undefined;
  /** OpenID Connect and GitHub providers, and whether their first sign-in creates an account. */
  federation: FederationSettings;
  /** `Contact:` URIs of /.well-known/security.txt (RFC 9116); empty: the file is not served. */
  securityContacts: string[];
  /**
   * Whether the interactive API reference is served (API_REFERENCE): a development aid that needs a
   * looser CSP on its own route, so production leaves it out unless an operator turns it on.
   */
  apiReference: boolean;
}

function parseTrustProxy(raw: string | undefined): TrustProxy {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 10) throw new ConfigError('TRUST_PROXY', 'hop count must be 1 to 10');
    return hops;
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    // "true" would trust any client's X-Forwarded-For, which lets anyone pick their own IP.
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not a hop count, IP address or CIDR`);
    }
  }
  return entries;
}

function parseDatabase(raw: string | undefined, dataDir: string): AppConfig['database'] {
  if (raw === undefined) return { kind: 'sqlite', file: path.join(dataDir, 'portcullis.sqlite') };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    const url = new URL(raw);
    const schema = url.searchParams.get('schema');
    if (schema === null) return { kind: 'postgres', url: raw };
    // Interpolated into search_path and CREATE SCHEMA, so only a plain identifier is accepted.
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new ConfigError('DATABASE_URL', 'schema must be a lower-case identifier');
    }
    url.searchParams.delete('schema');
    return { kind: 'postgres', url: url.href, schema };
  }
  if (raw.startsWith('file:')) return { kind: 'sqlite', file: decodeURIComponent(raw.slice(5)) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new ConfigError('DATABASE_URL', 'use a file path, a file: URL or a postgres:// URL');
  }
  return { kind: 'sqlite', file: raw };
}

function parseSecrets(variable: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const secrets = raw.split(',').map((secret) => secret.trim());
  for (const secret of secrets) {
    if (secret.length < SECRET_MIN_LENGTH) {
      throw new ConfigError(
        variable,
        `each secret must be at least ${SECRET_MIN_LENGTH} characters`,
      );
    }
  }
  return secrets;
}

/**
 * One Redis, or a primary found through Sentinel: never both, since nothing could say which one
 * holds the shared counts. The master name is required with sentinels (they may watch several).
 */
function parseRedis(
  url: string | undefined,
  sentinels: string | undefined,
  masterName: string | undefined,
): string | undefined {
  if (sentinels === undefined) {
    if (masterName !== undefined) {
      throw new ConfigError('REDIS_MASTER_NAME', 'is only used with REDIS_SENTINELS');
    }
    return url;
  }
  if (url !== undefined) {
    throw new ConfigError('REDIS_SENTINELS', 'set either REDIS_URL or REDIS_SENTINELS, not both');
  }
  let addresses: SentinelAddress[];
  try {
    addresses = parseSentinelList(sentinels);
  } catch (error) {
    throw new ConfigError('REDIS_SENTINELS', (error as Error).message);
  }
  if (masterName === undefined) {
    throw new ConfigError('REDIS_MASTER_NAME', 'must be set with REDIS_SENTINELS');
  }
  if (!MASTER_NAME_PATTERN.test(masterName)) {
    throw new ConfigError('REDIS_MASTER_NAME', 'letters, digits, ".", "_" and "-" only');
  }
  return formatSentinelTarget(addresses, masterName);
}

function isLoopbackHost(origin: string): boolean {
  const { hostname } = new URL(origin);
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** Where mail goes: an SMTP server, or (on localhost only) files in the data directory. */
export interface MailConfig {
  from: { name: string; address: string };
  transport:
    | {
        kind: 'smtp';
        /** May carry the SMTP password: never logged, never echoed in an error. */
        url: string;
        /** STARTTLS must succeed before anything is sent (meaningless for smtps://, TLS from the start). */
        requireTls: boolean;
        /** A PEM bundle trusted in addition to the system's CAs (a private mail relay). */
        tlsCaFile: string | undefined;
      }
    | { kind: 'outbox'; dir: string };
}

const DEVELOPMENT_MAIL_FROM = 'Portcullis <no-reply@localhost>';

/** `address` or `Name <address>`; one address, and no line break to inject a header with. */
function parseMailFrom(raw: string): MailConfig['from'] {
  const trimmed = raw.trim();
  const named = /^(.*?)\s*<([^<>]*)>$/.exec(trimmed);
  const name = (named?.[1] ?? '').replace(/^"(.*)"$/, '$1');
  const address = named?.[2] ?? trimmed;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  const unsafeName = /[\u0000-\u001f\u007f<>"]/;
  if (!/^[^\s<>@",;]+@[^\s<>@",;]+$/.test(address) || unsafeName.test(name)) {
    throw new ConfigError('SMTP_FROM', 'must be an address or "Name <address>"');
  }
  return { name, address };
}

function parseMail(
  env: { url?: string; from?: string; tlsCaFile?: string; requireTls?: 'true' | 'false' },
  publicOrigin: string,
  dataDir: string,
): MailConfig {
  const local = isLoopbackHost(publicOrigin);
  if (env.url === undefined) {
    // A deployment whose verification and reset links go nowhere would strand its users.
    if (!local)
      throw new ConfigError('SMTP_URL', 'must be set when PUBLIC_ORIGIN is not localhost');
    return {
      from: parseMailFrom(env.from ?? DEVELOPMENT_MAIL_FROM),
      transport: { kind: 'outbox', dir: path.join(dataDir, 'outbox') },
    };
  }
  let url: URL;
  try {
    url = new URL(env.url);
  } catch {
    // Not echoed: the URL may carry the SMTP password.
    throw new ConfigError('SMTP_URL', 'is not a URL (smtp://user:password@host:587)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(
      'SMTP_URL',
      'must be smtp:// (STARTTLS) or smtps:// (TLS from the start)',
    );
  }
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '') {
    throw new ConfigError('SMTP_URL', 'takes a host, a port and credentials only');
  }
  // The development default is an address no real mail server would accept mail from.
  if (!local && env.from === undefined) {
    throw new ConfigError('SMTP_FROM', 'must be set when PUBLIC_ORIGIN is not localhost');
  }
  const requireTls = env.requireTls === undefined ? !local : env.requireTls === 'true';
  const relayOnThisMachine = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (!requireTls && !local && url.protocol === 'smtp:' && !relayOnThisMachine) {
    // One-time links would cross the network in clear text, readable and usable by anyone on the path.
    throw new ConfigError('SMTP_REQUIRE_TLS', 'may be false only for a mail relay on this machine');
  }
  return {
    from: parseMailFrom(env.from ?? DEVELOPMENT_MAIL_FROM),
    transport: { kind: 'smtp', url: env.url, requireTls, tlsCaFile: env.tlsCaFile },
  };
}

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variable, issue?.message ?? 'invalid');
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);

  const defaultOrigin = trustProxy === false ? `https://localhost:${e.PORT}` : 'https://localhost';
  const publicOrigin = e.PUBLIC_ORIGIN ?? defaultOrigin;
  if (
    e.NODE_ENV === 'production' &&
    !publicOrigin.startsWith('https://') &&
    !isLoopbackHost(publicOrigin)
  ) {
    throw new ConfigError('PUBLIC_ORIGIN', 'must be https:// in production');
  }

  const corsOrigins = e.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin === '*' || origin === 'null') {
      throw new ConfigError('CORS_ORIGINS', `"${origin}" is refused: list each allowed origin`);
    }
    const checked = originSchema.safeParse(origin);
    if (!checked.success)
      throw new ConfigError('CORS_ORIGINS', checked.error.issues[0]?.message ?? 'invalid');
  }

  const jwtSecrets = parseSecrets('JWT_SECRETS', e.JWT_SECRETS);
  const encryptionKeys = parseSecrets('ENCRYPTION_KEYS', e.ENCRYPTION_KEYS);
  const auditCheckpointKeys = parseSecrets('AUDIT_CHECKPOINT_KEY', e.AUDIT_CHECKPOINT_KEY);
  const mfaRequiredRoles = e.MFA_REQUIRED_ROLES.split(',')
    .map((role) => role.trim())
    .filter(Boolean)
    .map((role) => {
      const parsed = roleSchema.safeParse(role);
      if (!parsed.success) {
        throw new ConfigError('MFA_REQUIRED_ROLES', `"${role}" is not a role (admin, user, guest)`);
      }
      return parsed.data;
    });
  const csrfSecrets = parseSecrets('CSRF_SECRET', e.CSRF_SECRET);
  const csrfSecret = csrfSecrets?.[0];
  // Secrets generated into the data directory are fine on a developer's machine and nowhere else.
  if (!isLoopbackHost(publicOrigin)) {
    if (jwtSecrets === undefined) {
      throw new ConfigError('JWT_SECRETS', `must be set when PUBLIC_ORIGIN is not localhost`);
    }
    if (encryptionKeys === undefined) {
      throw new ConfigError('ENCRYPTION_KEYS', `must be set when PUBLIC_ORIGIN is not localhost`);
    }
    if (csrfSecret === undefined) {
      throw new ConfigError('CSRF_SECRET', `must be set when PUBLIC_ORIGIN is not localhost`);
    }
    // A key kept only beside the database it signs for would be taken with it (ADR 017).
    if (auditCheckpointKeys === undefined) {
      throw new ConfigError(
        'AUDIT_CHECKPOINT_KEY',
        `must be set when PUBLIC_ORIGIN is not localhost`,
      );
    }
  }

  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    throw new ConfigError(
      e.TLS_CERT_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE',
      'set both TLS_CERT_FILE and TLS_KEY_FILE',
    );
  }
  let tls: AppConfig['tls'];
  if (trustProxy === false) {
    tls =
      e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined
        ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE, generated: false }
        : {
            certFile: path.join(dataDir, 'dev-cert.pem'),
            keyFile: path.join(dataDir, 'dev-key.pem'),
            generated: true,
          };
    if (tls.generated && !isLoopbackHost(publicOrigin)) {
      throw new ConfigError('TLS_CERT_FILE', 'a self-signed certificate is only for localhost');
    }
  }

  if (e.HEADERS_TIMEOUT_SECONDS > e.REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError('HEADERS_TIMEOUT_SECONDS', 'must not exceed REQUEST_TIMEOUT_SECONDS');
  }

  // A session is only kept alive by refreshing, which happens when the access token runs out: an
  // idle limit no longer than that token would end sessions that are in use.
  for (const variable of [
    'REFRESH_TOKEN_TTL_SECONDS',
    'BROWSER_SESSION_IDLE_SECONDS',
    'ADMIN_IDLE_TIMEOUT_SECONDS',
  ] as const) {
    if (e[variable] < 2 * e.ACCESS_TOKEN_TTL_SECONDS) {
      throw new ConfigError(
        variable,
        `must be at least twice ACCESS_TOKEN_TTL_SECONDS (${2 * e.ACCESS_TOKEN_TTL_SECONDS})`,
      );
    }
  }

  const redisUrl = parseRedis(e.REDIS_URL, e.REDIS_SENTINELS, e.REDIS_MASTER_NAME);
  if (e.INSTANCE_COUNT > 1 && redisUrl === undefined) {
    throw new ConfigError(
      'REDIS_URL',
      `INSTANCE_COUNT is ${e.INSTANCE_COUNT}: without Redis each instance would keep its own rate limits and revocations`,
    );
  }

  const securityContacts = parseSecurityContacts(e.SECURITY_CONTACT);
  const federation = parseFederationSettings(e.OIDC_PROVIDERS, e.PROVIDER_REGISTRATION);
  if ('problem' in federation) throw new ConfigError(federation.variable, federation.problem);

  const mail = parseMail(
    {
      url: e.SMTP_URL,
      from: e.SMTP_FROM,
      tlsCaFile: e.SMTP_TLS_CA_FILE,
      requireTls: e.SMTP_REQUIRE_TLS,
    },
    publicOrigin,
    dataDir,
  );

  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    httpRedirectPort: trustProxy === false ? e.HTTP_PORT : 0,
    publicOrigin,
    dataDir,
    database: parseDatabase(e.DATABASE_URL, dataDir),
    redisUrl,
    instanceCount: e.INSTANCE_COUNT,
    tls,
    trustProxy,
    corsOrigins,
    jwtSecrets,
    csrfSecret,
    csrfSecrets,
    encryptionKeys,
    mfaRequiredRoles,
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST },
    mail,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    sessions: {
      remembered: {
        idleSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
        maxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
      },
      browser: {
        idleSeconds: e.BROWSER_SESSION_IDLE_SECONDS,
        maxAgeSeconds: e.BROWSER_SESSION_MAX_AGE_SECONDS,
      },
      adminIdleSeconds: e.ADMIN_IDLE_TIMEOUT_SECONDS,
      maxPerUser: e.MAX_SESSIONS_PER_USER,
    },
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    rateLimit: {
      max: e.RATE_LIMIT_MAX,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      ipv6PrefixLength: e.IPV6_PREFIX_LENGTH,
    },
    hashing: {
      concurrency: e.HASH_CONCURRENCY,
      queueMax: e.HASH_QUEUE_MAX,
      perClientMax: e.HASH_QUEUE_PER_CLIENT_MAX,
      ipv6PrefixLength: e.IPV6_PREFIX_LENGTH,
    },
    threadPoolSize: e.UV_THREADPOOL_SIZE ?? LIBUV_DEFAULT_THREADPOOL_SIZE,
    threadPoolSizeExplicit: e.UV_THREADPOOL_SIZE !== undefined,
    hashConcurrencyExplicit: env.HASH_CONCURRENCY !== undefined,
    connections: {
      requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
      headersTimeoutMs: e.HEADERS_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      maxRequestsPerSocket: e.MAX_REQUESTS_PER_SOCKET,
      tlsHandshakeTimeoutMs: e.TLS_HANDSHAKE_TIMEOUT_SECONDS * 1000,
      maxPerClient: e.MAX_CONNECTIONS_PER_CLIENT,
    },
    log: { level: e.LOG_LEVEL, file: e.LOG_FILE },
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    auditCheckpointKeys,
    federation,
    securityContacts,
    apiReference:
      e.API_REFERENCE === undefined ? e.NODE_ENV !== 'production' : e.API_REFERENCE === 'on',
  };
}

/**
 * SECURITY_CONTACT: comma-separated URIs for security.txt's `Contact:` lines. Each becomes one line
 * of a file researchers trust, so only mailto:, https: and tel: are accepted (RFC 9116 §2.5.3 asks
 * for https for web URIs) and no whitespace or control character can start a forged field.
 */
function parseSecurityContacts(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const contacts = raw
    .split(',')
    .map((contact) => contact.trim())
    .filter(Boolean);
  for (const contact of contacts) {
    // Visible ASCII only (`!` to `~`): no space, control character or look-alike letter.
    if (!/^(mailto:[!-~]+@[!-~]+|https:\/\/[!-~]+|tel:\+?[0-9-]+)$/.test(contact)) {
      throw new ConfigError(
        'SECURITY_CONTACT',
        `"${contact}" is not a mailto:, https: or tel: URI`,
      );
    }
  }
  return contacts;
}

/** Reads `.env` (if present) and then the process environment, which wins. */
export async function loadConfigFromProcess(): Promise<AppConfig> {
  const { config: loadDotenv } = await import('dotenv');
  loadDotenv({ quiet: true });
  return loadConfig(process.env);
}
