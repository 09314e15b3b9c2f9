import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AppConfig } from './config.js';
import { createDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrations.js';
import type { CounterStore } from './lib/counter-store.js';
import { MemoryCounterStore } from './lib/counter-store.js';
import { DbInvalidationLog, InvalidationLogFollower } from './lib/db-invalidation-log.js';
import { preloadBreachedPasswords } from './lib/breached-passwords.js';
import { createLogger } from './lib/logger.js';
import { requestContext } from './lib/request-context.js';
import { loadEncryptionKeys } from './lib/encryption-keys.js';
import { loadSecrets } from './lib/secrets.js';
import {
  HOUSEKEEPING_INTERVAL_MS,
  runHousekeeping,
  type HousekeepingDeps,
  type HousekeepingReport,
} from './modules/audit/housekeeping.js';
import { LocalInvalidationBus, type InvalidationBus } from './modules/auth/session-state.js';
import { createIdentityCore } from './modules/identity/identity-core.js';
import type { FeatureContext } from './modules/feature-module.js';
import { featureModules } from './modules/feature-modules.js';
import { createMailService } from './modules/mail/mail-module.js';
import { registerAccessControl } from './plugins/access-control.js';
import { cookieNames } from './plugins/cookies.js';
import { registerCors } from './plugins/cors.js';
import { registerCsrf } from './plugins/csrf.js';
import { AppError } from './lib/app-error.js';
import { declareApiReference } from './plugins/api-reference.js';
import { registerErrorHandler, sendError, toAppError } from './plugins/error-handler.js';
import { registerFetchMetadata } from './plugins/fetch-metadata.js';
import { trackRouteMethods } from './plugins/method-not-allowed.js';
import { createClientRateLimit, registerRateLimit } from './plugins/rate-limit.js';
import { createAppMetrics, type AppMetrics } from './lib/app-metrics.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerRoutePolicy } from './plugins/route-policy.js';
import { registerRequestLog } from './plugins/request-log.js';
import { apiHeaders, registerSecurityHeaders } from './plugins/security-headers.js';
import { registerSpa } from './plugins/spa.js';
import { registerZodValidation } from './plugins/validation.js';

/** The API's version in the OpenAPI document; bumped with any incompatible change. */
const API_VERSION = '1.0.0';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry and instruments (served by server.ts on METRICS_PORT). */
    metrics: AppMetrics;
    /** The hourly retention job, run now (for tests and the operator's tools). */
    runHousekeeping: (now?: number) => Promise<HousekeepingReport>;
  }
}

/** ASVS 13.1.3: a request body larger than this is refused with 413 before it is buffered. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

const defaultWebDistDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../web/dist',
);

export interface BuildOptions {
  /** Where logs go instead of stdout or LOG_FILE (tests capture them to check redaction). */
  logStream?: NodeJS.WritableStream;
  https?: { key: Buffer; cert: Buffer };
  webDistDir?: string;
  /** Where the local outbox announces each message (stderr by default; tests keep it quiet). */
  mailNotice?: ((line: string) => void) | undefined;
  /** Shared stores for several instances (Redis); in-process stores otherwise. */
  stores?: {
    counters: CounterStore;
    /** The general per-client limit, if it should not share `counters`' failure mode. */
    rateLimitCounters?: CounterStore;
    invalidationBus: InvalidationBus;
    readinessChecks?: (() => Promise<void>)[];
  };
}

/**
 * Once shutdown starts, a request on a still-open keep-alive connection is answered 503 with
 * Retry-After and `Connection: close`, so the client (or the proxy) retries on another instance
 * and the connection drains; requests already past this point run to completion.
 */
function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    reply.header('connection', 'close');
    done(new AppError('server_busy', { retryAfterSeconds: 1 }));
  });
}

/** Builds the whole application without listening, so tests and the server share one wiring. */
export async function buildApp(
  config: AppConfig,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const logger = createLogger(config, options.logStream);

  const app = fastify({
    loggerInstance: logger,
    // One line per request is written by the request-log plugin instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A hop count or an address list; never `true`, which would believe any client's X-Forwarded-For.
    // (Fastify accepts a number at run time; its type omits it.)
    trustProxy: config.trustProxy as boolean | string[],
    bodyLimit: BODY_LIMIT_BYTES,
    // A client-chosen request id could forge log correlation; ours are generated, and random
    // (122 bits), so an id shown to a user reveals neither the request volume nor other ids.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Bounds how long a slow client may hold a connection (slowloris).
    requestTimeout: 30_000,
    // Requests arriving while the server drains are refused below, in the API's own envelope.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 128 },
    // The router answers malformed URLs before any hook runs; without this its own error page
    // (which echoes the URL) would leave instead of our envelope and headers.
    frameworkErrors: (error, request, reply) => {
      reply.headers(apiHeaders).header('x-request-id', request.id);
      void sendError(reply, request, toAppError(error) ?? new AppError('not_found'));
    },
    ...(options.https !== undefined ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;

  const db: Db = createDatabase(config.database, { walCheckpointer: true });
  await migrateToLatest(db as never);
  const secrets = loadSecrets(config);

  const memoryCounters = options.stores === undefined ? new MemoryCounterStore() : undefined;
  const fastCounters: CounterStore =
    options.stores?.counters ?? (memoryCounters as MemoryCounterStore);
  const bus = options.stores?.invalidationBus ?? new LocalInvalidationBus();

  // Created here for the services; its route and worker are registered with the other modules.
  const mailQueue = createMailService(
    { db, config },
    app.log.child({ module: 'mail' }),
    options.mailNotice === undefined ? {} : { notice: options.mailNotice },
  );
  const { mail } = mailQueue;
  const appMetrics = createAppMetrics({ processMetrics: config.metrics.port !== 0 });
  app.decorate('metrics', appMetrics);
  const identity = createIdentityCore({
    db,
    config,
    jwtSecrets: secrets.jwtSecrets,
    encryptionKeys: loadEncryptionKeys(config),
    log: app.log,
    fastCounters,
    invalidationBus: bus,
    mail,
    onAuditEvent: (record) => {
      appMetrics.auditEvents.inc({ type: record.type, outcome: record.outcome });
    },
  });
  const { sessionRepository, audit, sessionState, auth } = identity;
  appMetrics.gauge(
    'hash_queue_active',
    'Password hashes running',
    () => identity.hasher.load().active,
  );
  appMetrics.gauge(
    'hash_queue_waiting',
    'Password hashes waiting for a slot',
    () => identity.hasher.load().waiting,
  );
  appMetrics.gauge(
    'session_cache_entries',
    'Sessions held in this instance’s cache',
    () => sessionState.cachedSessions,
  );
  appMetrics.gauge(
    'mail_queue_pending',
    'Messages waiting to be sent (all instances)',
    async () => {
      const row = await db
        .selectFrom('mail_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['pending', 'sending'])
        .executeTakeFirst();
      return row?.n ?? 0;
    },
  );
  // Labels from the server's own vocabulary only: the matched route's pattern, never the URL.
  // With no metrics listener nothing could read them, so requests do not pay for counting.
  if (config.metrics.port !== 0) {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      appMetrics.httpRequests.inc({ route, method: request.method, status: reply.statusCode });
      appMetrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
      done();
    });
  }
  // Changes made by the operator's CLI reach this instance through the database (ADR 009).
  const cliInvalidations = new InvalidationLogFollower(
    new DbInvalidationLog(db),
    (event) => {
      sessionState.forget(event);
    },
    {
      onError: (error) => {
        app.log.warn({ err: error }, 'invalidation log unreadable');
      },
    },
  );
  app.addHook('onReady', (done) => {
    cliInvalidations.start();
    done();
  });

  // Only JSON bodies exist in this API; any other content type is refused with 415.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      // The body is decoded as UTF-8; a client declaring another charset would be misread.
      const charset = /;\s*charset=([^;\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
      if (charset !== undefined && charset.replace(/"/g, '').toLowerCase() !== 'utf-8') {
        done(new AppError('unsupported_media_type'), undefined);
        return;
      }
      void parseJson(request, typeof body === 'string' ? body : body.toString('utf8'), done);
    },
  );

  registerErrorHandler(app);
  // Before every onRoute check: the reference's routes are declared by the time those run.
  const registerApiReference = declareApiReference(app, { enabled: config.apiReference });
  registerZodValidation(app);
  await registerOpenApi(app, { publicOrigin: config.publicOrigin, version: API_VERSION });
  registerRoutePolicy(app);
  const registerMethodNotAllowed = trackRouteMethods(app);
  registerSecurityHeaders(app);
  refuseWhileClosing(app);
  registerCors(app, config.corsOrigins);
  const consumeRateLimit = createClientRateLimit(
    options.stores?.rateLimitCounters ?? fastCounters,
    config.rateLimit,
  );
  registerRateLimit(app, consumeRateLimit);
  registerFetchMetadata(app, { corsOrigins: config.corsOrigins });
  await app.register(fastifyCookie);
  registerCsrf(app, {
    secret: secrets.csrfSecret,
    publicOrigin: config.publicOrigin,
    allowedOrigins: [config.publicOrigin, ...config.corsOrigins],
    onFailure: (request, reason) => {
      void audit.record(requestContext(request), {
        type: 'csrf_failed',
        outcome: 'failure',
        detail: reason,
      });
    },
  });
  registerAccessControl(app, (request) => auth.authenticate(request.cookies[cookieNames.access]), {
    mfaRequiredRoles: config.mfaRequiredRoles,
  });
  registerRequestLog(app);

  const context: FeatureContext = {
    config,
    db,
    identity,
    mail: mailQueue,
    readinessChecks: options.stores?.readinessChecks ?? [],
  };
  for (const feature of featureModules) feature.register(app, context);
  registerApiReference();
  await registerSpa(app, { webDistDir: options.webDistDir ?? defaultWebDistDir });
  // Last: every path, the SPA's files included, is known by now.
  registerMethodNotAllowed();

  // The breached-password list takes a few hundred milliseconds to load; do it in slices once the
  // server listens, so neither start-up nor the first registration waits for it.
  app.addHook('onListen', (done) => {
    preloadBreachedPasswords().catch((error: unknown) => {
      app.log.error({ err: error }, 'breached-password list failed to load');
    });
    done();
  });

  const housekeepingDeps: HousekeepingDeps = {
    sessions: sessionRepository,
    counters: identity.durableCounters,
    expiring: [
      identity.verifications,
      identity.signIns,
      identity.federation,
      identity.factors,
      mail,
    ],
    audit,
    auditRetentionMs: config.auditRetentionDays * 86_400_000,
    log: app.log,
  };
  app.decorate('runHousekeeping', (now?: number) => runHousekeeping(housekeepingDeps, now));
  const housekeeping = setInterval(() => {
    void runHousekeeping(housekeepingDeps);
  }, HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();

  app.addHook('onClose', async () => {
    clearInterval(housekeeping);
    memoryCounters?.close();
    await cliInvalidations.close();
    await bus.close();
    await db.destroy();
  });

  return app;
}
