import type { FastifyInstance } from 'fastify';

/**
 * Which defences a request gets is decided from the route the router matched, never from the
 * raw URL. The router decodes the path before matching (`/%61pi/notes` is `/api/notes`), so a
 * check on `request.url` can disagree with the route that runs: that is how a percent-encoded
 * spelling once skipped CSRF, the rate limit and `Cache-Control: no-store`. The policy is
 * computed once per route at registration; a request that matches no route gets the strictest one.
 */
export interface RoutePolicy {
  /** `api`: JSON, `no-store`, `default-src 'none'`, CORS; `document`: the SPA's HTML and files. */
  readonly surface: 'api' | 'document';
  /** Unsafe methods need the Origin check and the CSRF token; opting out must be explicit. */
  readonly csrf: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A static file or the SPA's entry document; every other route is API. */
    surface?: RoutePolicy['surface'];
    /** `false` exempts the route's unsafe methods from CSRF (CSP reports only, ADR 012). */
    csrf?: false;
    /** Filled in at registration from the two fields above; read by the security plugins. */
    policy?: RoutePolicy;
  }
  interface FastifyRequest {
    policy: RoutePolicy;
  }
}

const apiPolicy: RoutePolicy = Object.freeze({ surface: 'api', csrf: true });
const documentPolicy: RoutePolicy = Object.freeze({ surface: 'document', csrf: true });

/** Unmatched requests: API headers (`no-store`), CSRF on unsafe methods, counted by the limit. */
export const notFoundPolicy: RoutePolicy = apiPolicy;

/**
 * The one definition of an API route, applied to registered route patterns only. Read-only routes
 * outside these prefixes (the static files @fastify/static registers) serve documents.
 */
export function isApiRoute(pattern: string): boolean {
  return (
    pattern === '/api' ||
    pattern.startsWith('/api/') ||
    pattern === '/healthz' ||
    pattern === '/readyz'
  );
}

function isReadOnly(method: string | string[]): boolean {
  return (Array.isArray(method) ? method : [method]).every((m) => m === 'GET' || m === 'HEAD');
}

/** Must be registered before any route and before the other security hooks. */
export function registerRoutePolicy(app: FastifyInstance): void {
  // Set by the first onRequest hook below, before anything reads it.
  app.decorateRequest('policy', null as unknown as RoutePolicy);

  app.addHook('onRoute', (route) => {
    const config = route.config ?? {};
    const surface =
      config.surface ?? (isReadOnly(route.method) && !isApiRoute(route.url) ? 'document' : 'api');
    if (surface === 'document' && !isReadOnly(route.method)) {
      throw new Error(`route ${String(route.method)} ${route.url}: a document is read-only`);
    }
    const base = surface === 'api' ? apiPolicy : documentPolicy;
    const policy = config.csrf === false ? Object.freeze({ ...base, csrf: false }) : base;
    route.config = { ...config, surface, policy };
  });

  app.addHook('onRequest', (request, _reply, done) => {
    // A 404 has no route config: it gets the strict default.
    request.policy =
      (request.routeOptions.config as { policy?: RoutePolicy } | undefined)?.policy ??
      notFoundPolicy;
    done();
  });
}
