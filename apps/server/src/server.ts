import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp, type BuildOptions } from './app.js';
import { ConfigError, loadConfigFromProcess, type AppConfig } from './config.js';
import {
  answerClientErrorsInEnvelope,
  newClientErrorRequestId,
  refusalOutsideApp,
} from './lib/client-error-response.js';
import { applyConnectionTimeouts, limitConnectionsPerClient } from './lib/connection-limits.js';
import { ensureDevCertificate } from './lib/dev-certificate.js';
import { redirectTarget } from './lib/redirect-target.js';
import { hashConcurrencyForThreadPool, lowerThreadPoolPriority } from './lib/thread-pool.js';
import { startMetricsListener } from './lib/app-metrics.js';
import { TLS_CIPHERS, TLS_MIN_VERSION } from './lib/tls-policy.js';

/**
 * The plain-HTTP listener only redirects, to the configured public origin: never to the request's
 * Host header, which an attacker controls (open redirect, cache poisoning). Only pages redirect:
 * the API is refused (ASVS 5.0 4.1.2), so a client configured with an http:// URL fails at once
 * instead of quietly following a redirect after its request went out in clear.
 */
function startRedirectListener(config: AppConfig): Server | undefined {
  if (config.httpRedirectPort === 0) return undefined;
  const server = createServer((request, response) => {
    const location = redirectTarget(config.publicOrigin, request.url);
    const { pathname } = new URL(location);
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      const refusal = refusalOutsideApp('https_required', newClientErrorRequestId());
      response.writeHead(refusal.status, refusal.headers);
      response.end(refusal.json);
      return;
    }
    response.writeHead(308, { location, 'content-length': '0', connection: 'close' });
    response.end();
  });
  applyConnectionTimeouts(server, config.connections);
  server.listen(config.httpRedirectPort, config.host);
  return server;
}

async function main(): Promise<void> {
  let config: AppConfig;
  let hashConcurrencyLowered = false;
  try {
    config = await loadConfigFromProcess();
    // libuv sized its pool before this line ran (loading this module used it), so the pool is
    // what it is: hashes are fitted into it rather than the other way round.
    const fitted = hashConcurrencyForThreadPool({
      concurrency: config.hashing.concurrency,
      threadPoolSize: config.threadPoolSize,
      concurrencyExplicit: config.hashConcurrencyExplicit,
      threadPoolSizeExplicit: config.threadPoolSizeExplicit,
    });
    config.hashing.concurrency = fitted.concurrency;
    hashConcurrencyLowered = fitted.lowered;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`portcullis: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let https: { key: Buffer; cert: Buffer } | undefined;
  if (config.tls !== undefined) {
    if (config.tls.generated) await ensureDevCertificate(config.tls.certFile, config.tls.keyFile);
    // buildApp hands these to https.createServer as they are; the handshake deadline can only be
    // set there (a client that opens a connection and never finishes the handshake held it for
    // Node's default 120 s).
    const tlsOptions = {
      key: readFileSync(config.tls.keyFile),
      cert: readFileSync(config.tls.certFile),
      handshakeTimeout: config.connections.tlsHandshakeTimeoutMs,
      minVersion: TLS_MIN_VERSION,
      ciphers: TLS_CIPHERS,
    };
    https = tlsOptions;
  }

  // Redis events before the app (and its logger) exist go to stderr.
  const logTarget: { log?: FastifyBaseLogger } = {};
  const redisLog = {
    warn: (details: object, message: string) => {
      if (logTarget.log === undefined) process.stderr.write(`portcullis: ${message}\n`);
      else logTarget.log.warn(details, message);
    },
    info: (details: object, message: string) => {
      logTarget.log?.info(details, message);
    },
  };
  const options: BuildOptions = https === undefined ? {} : { https };
  // Several instances share rate limits, throttles and revocations through Redis.
  // The Redis client is loaded only when configured, so a single instance starts faster.
  if (config.redisUrl !== undefined) {
    const { createRedisStores } = await import('./lib/redis-stores.js');
    options.stores = await createRedisStores(config.redisUrl, { log: redisLog });
  }
  const app = await buildApp(config, options);
  logTarget.log = app.log;
  if (hashConcurrencyLowered) {
    app.log.warn(
      { hashConcurrency: config.hashing.concurrency, threadPoolSize: config.threadPoolSize },
      'HASH_CONCURRENCY lowered to leave two libuv threads free: set UV_THREADPOOL_SIZE to use more cores',
    );
  }
  // Password hashes run on libuv's pool: at a lower priority they yield a core to requests.
  const pool = await lowerThreadPoolPriority(config.threadPoolSize);
  if (pool.lowered < config.threadPoolSize && process.platform === 'linux') {
    app.log.warn(
      { lowered: pool.lowered, threadPoolSize: config.threadPoolSize },
      'not every libuv pool thread could be given a lower priority: a login storm may slow reads',
    );
  }
  // Set before listening: Node reads the connection-checking interval when it starts to listen.
  applyConnectionTimeouts(app.server, config.connections);
  answerClientErrorsInEnvelope(app.server, app.log);
  await app.listen({
    port: config.port,
    host: config.host,
    // Fastify's own line names the bound socket, which is not an address the app answers to.
    listenTextResolver: (address) => `bound ${address}; open ${config.publicOrigin}`,
  });
  const redirect = startRedirectListener(config);
  // Behind a proxy every connection comes from the proxy, so the cap per client is its
  // `limit_conn` (deploy/nginx.conf); here it would cap the proxy itself.
  if (config.trustProxy === false) {
    limitConnectionsPerClient(
      redirect === undefined ? [app.server] : [app.server, redirect],
      config.connections.maxPerClient,
      (address) => {
        app.log.warn({ remoteAddress: address }, 'connection refused: too many from this client');
      },
      config.rateLimit.ipv6PrefixLength,
    );
  }
  // Metrics on their own listener (loopback by default), never on the public port.
  if (config.metrics.port !== 0) {
    const metricsServer = await startMetricsListener(app.metrics.registry, config.metrics);
    metricsServer.unref();
    app.log.info({ host: config.metrics.host, port: config.metrics.port }, 'metrics listening');
  }
  app.log.info(
    { origin: config.publicOrigin, tls: https !== undefined, trustProxy: config.trustProxy },
    https === undefined ? 'listening for a TLS-terminating proxy' : 'listening',
  );
  // One plain line for the person who ran `npm start`, written at once (the JSON log is buffered):
  // the address to open is the public origin, the only one CSRF's Origin check accepts.
  process.stderr.write(`portcullis: ready, open ${config.publicOrigin}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // In-flight requests finish; a stuck one cannot hold the process past the timeout.
    const deadline = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutSeconds * 1000);
    deadline.unref();
    // Closing only drops the keep-alive connections idle at that moment: one busy with a request
    // then stays open after its answer (a proxy's pooled upstream connection, for 72 s) and held
    // the shutdown to its deadline, pools unclosed. Drop each one as soon as it falls idle.
    const sweep = setInterval(() => {
      app.server.closeIdleConnections();
    }, 100);
    sweep.unref();
    redirect?.close();
    app
      .close()
      .then(() => {
        process.exit(0);
      })
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}

main().catch((error: unknown) => {
  // Some settings (a CA file for SMTP) are only read while the app is built.
  if (error instanceof ConfigError) {
    process.stderr.write(`portcullis: configuration error: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `portcullis: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
