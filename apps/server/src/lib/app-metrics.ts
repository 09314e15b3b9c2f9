import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { metrics as securityCounters } from './metrics.js';

/**
 * Prometheus metrics for one app. Labels come only from the server's own vocabulary (the route's
 * pattern, the method, the status, an audit type), never from request text, so a client cannot
 * grow the registry. Served on a listener of its own (METRICS_PORT, loopback by default), never
 * on the public port.
 */
export function createAppMetrics(options: { processMetrics: boolean }) {
  const registry = new Registry();
  // Node's own collectors sample the event loop and heap: only worth it when someone scrapes.
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
  const httpRequests = new Counter({
    name: 'portcullis_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'Time from request to response, by route pattern and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const auditEvents = new Counter({
    name: 'portcullis_audit_events_total',
    help: 'Security events recorded, by type and outcome (sign-ins, lockouts, refresh-token reuse…)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  for (const counter of Object.values(securityCounters)) {
    new Gauge({
      name: `portcullis_${counter.name}`,
      help: counter.help,
      registers: [registry],
      collect() {
        this.set(counter.value);
      },
    });
  }
  return {
    registry,
    httpRequests,
    httpDuration,
    auditEvents,
    /** A value read when Prometheus scrapes (queue depth, cache size, mail backlog). */
    gauge(name: string, help: string, read: () => number | Promise<number>): void {
      new Gauge({
        name: `portcullis_${name}`,
        help,
        registers: [registry],
        async collect() {
          this.set(await read());
        },
      });
    },
  };
}

export type AppMetrics = ReturnType<typeof createAppMetrics>;

/** GET /metrics on its own listener; anything else is 404. */
export function startMetricsListener(
  registry: Registry,
  options: { host: string; port: number },
): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType }).end(text);
      },
      () => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Error\n');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      resolve(server);
    });
  });
}
