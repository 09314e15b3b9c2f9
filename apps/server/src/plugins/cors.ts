import type { FastifyInstance } from 'fastify';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import { AppError } from '../lib/app-error.js';

/**
 * CORS for an SPA served from another origin. Only origins in CORS_ORIGINS get credentials; the
 * Origin is compared by exact string against the allow-list, never reflected blindly, and `null`
 * or `*` are refused by config validation. Without CORS_ORIGINS no CORS headers are ever sent.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.length === 0) return;
  const allowed = new Set(allowedOrigins);
  const preflightHeaders = {
    'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
    'access-control-allow-headers': `content-type, ${CSRF_HEADER}`,
    'access-control-max-age': '600',
  };

  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined || request.policy.surface !== 'api') {
      done();
      return;
    }
    if (!allowed.has(origin)) {
      if (request.method === 'OPTIONS') {
        done(new AppError('forbidden'));
        return;
      }
      done();
      return;
    }
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    if (request.method === 'OPTIONS') {
      reply.headers(preflightHeaders).code(204).send();
      return;
    }
    done();
  });

  // Preflights need a route to land on; the hook above answers them before it is reached.
  app.options('/api/*', { config: { access: 'public' } }, (_request, reply) => {
    void reply.code(204).send();
  });
}
