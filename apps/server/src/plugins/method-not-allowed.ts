import type { FastifyInstance, HTTPMethods } from 'fastify';
import { AppError } from '../lib/app-error.js';
import { sendError } from './error-handler.js';

/**
 * RFC 9110 §15.5.6: a method the target resource does not support is 405 with an `Allow` header
 * listing the ones it does, not 404, which would say the resource does not exist. The answer is
 * decided by the router itself: for every registered path, the methods it lacks are registered
 * too, on a handler that only refuses. So "known path" means exactly what the router matches
 * (percent-decoding included, ADR 010), and an unknown path stays 404.
 *
 * OPTIONS is left out (CORS answers preflights; without CORS it is 404 as before), and so are
 * wildcard paths, whose "other methods" would turn every unknown path under them into a 405.
 */
const refusable: readonly HTTPMethods[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'QUERY',
  'TRACE',
];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks the 405 routes this plugin adds, so they are not taken for real ones. */
    methodNotAllowed?: true;
  }
}

/**
 * Starts recording routes; must run before any route is registered. Call the returned function
 * once every route (static files included) exists: it adds the 405 routes.
 */
export function trackRouteMethods(app: FastifyInstance): () => void {
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (route.config?.methodNotAllowed === true || route.url.includes('*')) return;
    if (route.constraints !== undefined && Object.keys(route.constraints).length > 0) return;
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      methods.add(method);
      // Fastify answers HEAD for every GET route.
      if (method === 'GET') methods.add('HEAD');
    }
    methodsByPath.set(route.url, methods);
  });

  return function registerMethodNotAllowed() {
    // As a plugin, so it runs after every plugin registered before it (avvio loads them in
    // order): routes that features add inside their own encapsulated scopes exist by then.
    void app.register((scope, _options, done) => {
      for (const [url, methods] of methodsByPath) {
        const missing = refusable.filter((method) => !methods.has(method));
        const onlyOptions = methods.size === 1 && methods.has('OPTIONS');
        if (missing.length === 0 || onlyOptions) continue;
        const allow = [...methods].sort().join(', ');
        scope.route({
          method: missing,
          url,
          // Refusing is an API answer whatever the path: JSON envelope, API headers. The usual
          // defences still run first (CSRF on unsafe methods, Fetch Metadata, the rate limit).
          config: { access: 'public', surface: 'api', methodNotAllowed: true },
          handler: (request, reply) =>
            sendError(reply.header('allow', allow), request, new AppError('method_not_allowed')),
        });
      }
      done();
    });
  };
}
