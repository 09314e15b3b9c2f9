import type { FastifyInstance } from 'fastify';

/**
 * One structured line per request, written after the response (the request id comes from the
 * request's child logger). Only chosen fields are logged:
 * no headers, cookies, bodies or query strings, so tokens and passwords cannot leak into logs.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    const path = request.url.split('?', 1)[0];
    request.log.info(
      {
        method: request.method,
        path,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        ip: request.ip,
        userId: request.auth?.userId,
      },
      'request',
    );
    done();
  });
}
